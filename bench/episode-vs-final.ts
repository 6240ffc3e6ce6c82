/**
 * How a short episode's accuracy relates to what the final stage recovers, for heavy settings (docs/smallest.md).
 *
 * For random heavy strategies (per layer: prune 80-98%, 4-64 clusters, 2-4 bits), on one model:
 * - episode: the search's measure (--finetune-steps 60, one stage, on the reward images), as a drop from their baseline;
 * - re-score: the final's staged fine-tune (prune and retrain, then cluster) for --rerank-steps (180), on the holdout;
 * - final: the same staged fine-tune for --final-steps (600), on the holdout and on test.
 * Prints the ranks' agreement (Spearman) and how many points each cheaper measure is off the final's, and writes
 * bench/results/episode-vs-final-<model>.md.
 *   npx tsx bench/episode-vs-final.ts [--model mlp] [--settings 12] [--seed 1] [--workdir .autoshrink]
 */
import { selectBackend } from '../env/backend.js';
import { OriginalWeights } from '../env/compress-model.js';
import { evaluateAccuracy } from '../env/evaluate.js';
import { compressibleLayers } from '../env/layers.js';
import { createRng } from '../agent/rng.js';
import { parseRunConfig, rerankStepsOf } from '../run/config.js';
import { buildEnvironment } from '../run/environment.js';
import { settingsOf, toSpecs } from '../run/final/specs.js';
import { stagedAccuracies } from '../run/final/smallest.js';
import { arg, table, writeResults } from './common.js';
import { spearman } from './stats.js';

const model = arg('model', 'mlp');
const count = Number(arg('settings', '12'));
const seed = Number(arg('seed', '1'));
const workdir = arg('workdir', '.autoshrink');
await selectBackend('wasm');
const config = parseRunConfig({ model, goal: 'smallest', seed });
const built = await buildEnvironment(config, workdir);
const { env, data } = built;
const holdout = data.holdout!;
const settings = settingsOf(config);
const baseline = { episode: env.baselineAccuracy, holdout: await evaluateAccuracy(built.model, holdout, data.inputShape), test: await evaluateAccuracy(built.model, data.test, data.inputShape) };
const originals = new OriginalWeights(built.model, compressibleLayers(built.model));
const rng = createRng(`episode-vs-final:${seed}`);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
const rescoreSteps = rerankStepsOf(config);
const started = performance.now();

interface Row {
  strategy: string;
  bytes: number;
  episode: number;
  rescore: number;
  finalHoldout: number;
  finalTest: number;
}
const rows: Row[] = [];
for (let i = 0; i < count; i++) {
  const entries = env.layers.map((l) => ({ name: l.name, pruneRatio: pick([0.8, 0.84, 0.88, 0.9, 0.92, 0.94, 0.96, 0.98]), clusters: pick([4, 8, 16, 32, 64]), bits: pick([2, 3, 4]) }));
  const specs = toSpecs(entries, settings);
  const m = await env.measure(specs);
  env.restoreOriginal();
  const [rescore] = await stagedAccuracies(built, config, specs, rescoreSteps, [holdout], originals);
  const [finalHoldout, finalTest] = await stagedAccuracies(built, config, specs, config.finalSteps, [holdout, data.test], originals);
  const row = {
    strategy: entries.map((e) => `${Math.round(e.pruneRatio * 100)}%/${e.clusters}c/${e.bits}b`).join(' '),
    bytes: env.cost(specs),
    episode: 100 * (baseline.episode - m.accuracy),
    rescore: 100 * (baseline.holdout - rescore),
    finalHoldout: 100 * (baseline.holdout - finalHoldout),
    finalTest: 100 * (baseline.test - finalTest),
  };
  rows.push(row);
  report();
  process.stdout.write(`${i + 1}/${count} ${row.strategy}  ${row.bytes} B  drops (points): episode ${row.episode.toFixed(2)}, re-score ${row.rescore.toFixed(2)}, final holdout ${row.finalHoldout.toFixed(2)}, final test ${row.finalTest.toFixed(2)}\n`);
}
originals.dispose();

function report(): void {
  const minutes = (performance.now() - started) / 60000;
  const col = (k: keyof Omit<Row, 'strategy'>) => rows.map((r) => r[k]);
  const gap = (k: 'episode' | 'rescore' | 'finalHoldout') => rows.map((r) => r[k] - r.finalTest);
  const sorted = (xs: number[]) => xs.slice().sort((a, b) => a - b);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const describe = (xs: number[]) => {
    const s = sorted(xs);
    return `mean ${mean(xs).toFixed(2)}, min ${s[0].toFixed(2)}, median ${s[Math.floor(s.length / 2)].toFixed(2)}, max ${s[s.length - 1].toFixed(2)}`;
  };
  const f = (x: number) => x.toFixed(2);
  const summary = [
    `| measure | Spearman with the final's test drop | its drop minus the final's test drop (points) |`,
    `|---|---:|---|`,
    `| episode (${config.finetuneSteps} steps, one stage, reward images) | ${spearman(col('episode'), col('finalTest')).toFixed(2)} | ${describe(gap('episode'))} |`,
    `| re-score (${rescoreSteps} steps, staged, holdout) | ${spearman(col('rescore'), col('finalTest')).toFixed(2)} | ${describe(gap('rescore'))} |`,
    `| final (${config.finalSteps} steps, staged, holdout) | ${spearman(col('finalHoldout'), col('finalTest')).toFixed(2)} | ${describe(gap('finalHoldout'))} |`,
  ].join('\n');
  writeResults(
    `bench/results/episode-vs-final-${model}.md`,
    `Short episode against the final stage, heavy settings on ${model}`,
    `npx tsx bench/episode-vs-final.ts --model ${model} --settings ${count} --seed ${seed}`,
    `${rows.length} of ${count} random strategies, each layer drawn from prune 80-98%, 4/8/16/32/64 clusters, 2/3/4 bits; accuracy drops in points from the ` +
      `baseline on the same images (baselines: reward images ${f(100 * baseline.episode)}%, holdout ${f(100 * baseline.holdout)}% on ${holdout.count} images, ` +
      `test ${f(100 * baseline.test)}% on ${data.test.count}). ${minutes.toFixed(1)} minutes.\n\n${summary}\n\n` +
      table(['strategy (per layer prune/clusters/bits)', 'bytes (fixed width)', 'episode drop', 're-score drop', 'final drop, holdout', 'final drop, test'], rows.map((r) => [r.strategy, Math.round(r.bytes), f(r.episode), f(r.rescore), f(r.finalHoldout), f(r.finalTest)])),
  );
}
