/**
 * A stored --goal smallest run built by hand (no training): fp32 100 kB, baseline validation 98%, --max-drop 0.5 (the
 * episodes aim within 30.5 points), four episodes, and, when asked, a final stage whose choice is given. For the
 * tests of `runs show` and the report, whose numbers a reader checks against these.
 */
import { parseRunConfig } from '../../run/config.js';
import type { SmallestReport } from '../../run/final/final.js';
import type { Strategy } from '../../run/final/strategy.js';
import { storePath } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import { sampleCheckpoint, sampleRun } from './store-samples.js';

/** The episodes: 5 kB at 60% (38 points down: outside), 20 kB at 70%, 12.5 kB at 75% (the smallest within), 40 kB at 90%. */
export const SMALLEST_EPISODES = [
  { accuracy: 0.6, cost: 5000 },
  { accuracy: 0.7, cost: 20_000 },
  { accuracy: 0.75, cost: 12_500 },
  { accuracy: 0.9, cost: 40_000 },
];

const layers = [
  { name: 'dense_1', bits: 4, pruneRatio: 0.9, clusters: 16 },
  { name: 'dense_2', bits: 4, pruneRatio: 0.5, clusters: 0 },
];

/** A final whose bisection re-scored 20 kB (within, 97.8% held out) then 12.5 kB (over, 97.4%): the answer is episode 2. */
export const MET: Omit<SmallestReport, 'maxDrop'> = {
  met: true,
  heldOut: { split: 'holdout', images: 1000, baseline: 0.981 },
  screened: 3,
  rows: [
    { episode: 1, bytes: 20_000, accuracy: 0.7, heldOutAccuracy: 0.978, withinDrop: true, chosen: true },
    { episode: 2, bytes: 12_500, accuracy: 0.75, heldOutAccuracy: 0.974, withinDrop: false, chosen: false },
  ],
  confirmed: true,
  testDrop: 0.4,
};

/** Stores the run in `workdir`'s runs.db; with `final`, its final stage: model.ashk 11 kB, test 97.6% against 98%. */
export function storeSmallestRun(workdir: string, final: { choice: Omit<SmallestReport, 'maxDrop'>; testAccuracy: number } | null, opts: { baseline?: boolean; budget?: string } = {}): string {
  const store = openStore(storePath(workdir));
  try {
    const config = parseRunConfig({ model: 'mlp', goal: 'smallest', maxDrop: 0.5, episodes: 4, ...(opts.budget ? { budget: opts.budget } : {}) });
    const run = store.createRun(sampleRun({ model: 'mlp', budget: { kind: 'size', limit: 25_000 }, episodesPlanned: 4, config, ...(opts.baseline === false ? {} : { baseline: { accuracy: 0.98, full: 100_000 } }) }));
    SMALLEST_EPISODES.forEach((e, i) => {
      store.recordEpisode(
        run.id,
        { episode: i, phase: 'warmup', strategy: layers, accuracy: e.accuracy, cost: e.cost, reward: 1 - e.cost / 100_000, cached: false, seconds: 1.5, timings: { agent: 0, compress: 0, finetune: 1.5, evaluate: 0, other: 0 } },
        sampleCheckpoint(i),
      );
    });
    if (final) {
      const pick = final.choice.rows.find((r) => r.chosen)!.episode;
      const strategy: Strategy = {
        format: 'autoshrink-strategy',
        version: 2,
        model: { name: 'mlp', hash: '0123456789abcdef', layers: [{ name: 'dense_1', kind: 'dense', shape: [784, 100] }, { name: 'dense_2', kind: 'dense', shape: [100, 10] }] },
        dataset: 'mnist',
        budget: { kind: 'size', limit: 25_000, label: 'size <= 8 bits/weight (25.0 kB)' },
        settings: { pruneKind: 'magnitude', clusterInit: 'linear', preserveSparsity: true, quantKind: 'uniform', bucket: 'none', bucketSize: 64 },
        layers,
        cost: { value: SMALLEST_EPISODES[pick].cost, bytes: 11_000, fixedWidthBytes: SMALLEST_EPISODES[pick].cost, fp32Bytes: 100_000, bitsPerWeight: 1, flops: 1000 },
        accuracy: { validation: SMALLEST_EPISODES[pick].accuracy, test: final.testAccuracy, baselineValidation: 0.98, baselineTest: 0.98 },
        provenance: { runId: run.id, episode: pick, seed: 7, backend: 'cpu', autoshrink: '0.1.0', date: '2026-12-07' },
      };
      const sizes = { packedBytes: 11_000, fixedPackedBytes: 12_000, headerBytes: 100, gzipBytes: 10_500, fp32Bytes: 100_000, fp32GzipBytes: 92_000 };
      store.setFinal(run.id, {
        validationAccuracy: 0.97,
        testAccuracy: final.testAccuracy,
        baselineValidationAccuracy: 0.98,
        baselineTestAccuracy: 0.98,
        sizes,
        tfjs: { bytes: 30_000, testAccuracy: final.testAccuracy },
        steps: 600,
        seconds: 30,
        smallest: { maxDrop: 0.5, ...final.choice },
        packedBytes: sizes.packedBytes,
        fixedPackedBytes: sizes.fixedPackedBytes,
        fp32Bytes: sizes.fp32Bytes,
        strategy,
      });
    }
    store.setStatus(run.id, 'completed');
    return run.id;
  } finally {
    store.close();
  }
}
