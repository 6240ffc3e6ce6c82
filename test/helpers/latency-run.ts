/**
 * A stored run with a latency budget and its final stage, built by hand (no training, no timing): the pick and two
 * references (uniform, the channel plan), each built model timed beside the original. For the tests of the closing
 * lines, `runs show` and the report, whose numbers a reader checks against these:
 *   this run  test 95.00%  30.0 kB  1.70 ms against 3.40 ms: 2.00x as fast
 *   uniform   test 93.00%  28.0 kB  2.72 ms against 3.40 ms: 1.25x
 *   plan      test 94.00%  29.0 kB  2.00 ms against 3.20 ms: 1.60x
 */
import type { FinalReport } from '../../run/final/final.js';
import type { LatencyCheck } from '../../run/final/latency-check.js';
import type { Strategy } from '../../run/final/strategy.js';
import { storePath } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import { sampleCheckpoint, sampleRun } from './store-samples.js';

/** latency:0.6 of the original's 3.40 ms in the latency table: 2.04 ms. */
const LIMIT_MS = 2.04;

const timed = (measuredMs: number, fp32Ms: number, predictedMs: number): LatencyCheck => ({
  predictedMs,
  measuredMs,
  fp32Ms,
  measuredMinMs: measuredMs - 0.1,
  fp32MinMs: fp32Ms - 0.1,
  error: (measuredMs - predictedMs) / measuredMs,
  batch: 1,
  backend: 'wasm',
  limit: { fraction: 0.6 },
  overBudget: measuredMs / fp32Ms > 0.6,
});

const layers = [
  { name: 'fc1', bits: 4, pruneRatio: 0, clusters: 0, preserveRatio: 0.5 },
  { name: 'fc2', bits: 4, pruneRatio: 0, clusters: 0, preserveRatio: 0.5 },
];

const sizes = { packedBytes: 30_000, fixedPackedBytes: 31_000, headerBytes: 100, gzipBytes: 29_000, fp32Bytes: 100_000, fp32GzipBytes: 92_000, ratio: 100 / 30 };

/** The final report as finishRun returns it (the fields the closing lines read). */
export const LATENCY_FINAL = {
  runId: 'r',
  out: '/o',
  strategyPath: '/o/strategy.json',
  validationAccuracy: 0.96,
  testAccuracy: 0.95,
  baselineValidationAccuracy: 0.97,
  baselineTestAccuracy: 0.97,
  sizes,
  tfjs: { bytes: 60_000, testAccuracy: 0.95, uint8: 2, float16: 0 },
  steps: 600,
  seconds: 30,
  agent: 'ddpg',
  budgetShare: 1.75 / LIMIT_MS,
  latency: timed(1.7, 3.4, 1.75),
  references: [
    { agent: 'uniform', candidates: 1, validationAccuracy: 0.94, testAccuracy: 0.93, packedBytes: 28_000, cost: 2.0, budgetShare: 2.0 / LIMIT_MS, out: '/o/references/uniform', seconds: 40, latency: timed(2.72, 3.4, 2.0) },
    { agent: 'plan', candidates: 1, validationAccuracy: 0.95, testAccuracy: 0.94, packedBytes: 29_000, cost: 1.9, budgetShare: 1.9 / LIMIT_MS, out: '/o/references/plan', seconds: 40, latency: timed(2.0, 3.2, 1.9) },
  ],
  referenceSeconds: 80,
} as unknown as FinalReport;

/** Stores the run (two episodes, its final stage as LATENCY_FINAL) in `workdir`'s runs.db; returns its id. */
export function storeLatencyRun(workdir: string): string {
  const store = openStore(storePath(workdir));
  try {
    const run = store.createRun(sampleRun({ model: 'mlp', budget: { kind: 'latency', limit: LIMIT_MS }, agent: 'ddpg', episodesPlanned: 2, config: { episodes: 2, seed: 7, knobs: ['bits', 'channels'], budget: 'latency:0.6' } }));
    [1.9, 1.75].forEach((cost, i) => {
      store.recordEpisode(
        run.id,
        { episode: i, phase: 'warmup', strategy: layers, accuracy: 0.9 + i / 100, cost, reward: 0.9 + i / 100, cached: false, seconds: 2, timings: { agent: 0, compress: 0, finetune: 2, evaluate: 0, other: 0 } },
        sampleCheckpoint(i),
      );
    });
    const strategy = {
      format: 'autoshrink-strategy',
      version: 3,
      model: { name: 'mlp', hash: '0123456789abcdef', layers: [{ name: 'fc1', kind: 'dense', shape: [784, 300] }, { name: 'fc2', kind: 'dense', shape: [300, 100] }] },
      dataset: 'mnist',
      budget: { kind: 'latency', limit: LIMIT_MS, label: 'latency <= 60.0% of fp32 (2.04 ms of 3.40 ms)' },
      settings: { pruneKind: 'magnitude', clusterInit: 'linear', preserveSparsity: true, quantKind: 'uniform', bucket: 'none', bucketSize: 64 },
      layers,
      cost: { value: 1.75, bytes: 30_000, fixedWidthBytes: 31_000, fp32Bytes: 100_000, bitsPerWeight: 2.4, flops: 1000 },
      accuracy: { validation: 0.91, test: 0.95, baselineValidation: 0.97, baselineTest: 0.97 },
      provenance: { runId: run.id, episode: 1, seed: 7, backend: 'wasm', autoshrink: '0.1.0', date: '2026-12-07' },
    } as unknown as Strategy;
    store.setFinal(run.id, { ...LATENCY_FINAL, runId: run.id, packedBytes: sizes.packedBytes, fixedPackedBytes: sizes.fixedPackedBytes, fp32Bytes: sizes.fp32Bytes, strategy });
    store.setStatus(run.id, 'completed');
    return run.id;
  } finally {
    store.close();
  }
}
