/**
 * The channels knob searched: DDPG over per-layer preserve ratios (AMC) against a uniform preserve ratio and
 * against the L1 plan of equal FLOPs (env/channel-pruning/plan.ts: one ratio for every group, found by bisection, then
 * the leftover spent a channel at a time), on the cached lenet5 and mobilenet-tiny baselines (bundled MNIST), under
 * dense FLOPs budgets. Only the channels knob is searched (weights stay fp32), so the comparison is about which
 * channels, not bits. Every answer gets the same final stage (re-rank off, `--final-steps` from the original weights)
 * and is measured on the model it writes: test accuracy (model.ashk), and on the tfjs export as plain tf.loadLayersModel
 * reads it, the MACs the built model runs (countFlops) and predict time on a batch of 256 against the original, the
 * models taking turns call by call (median of `--repeats`): what a tfjs user who never installs autoshrink runs.
 *   npx tsx bench/channel-search.ts [--models lenet5,mobilenet-tiny] [--budgets 0.5,0.3] [--episodes 30]
 *     [--finetune-steps 20] [--final-steps 300] [--repeats 15] [--seed 1] [--workdir /tmp/channel-search]
 *     [--out bench/results/channel-search.md]
 */
import * as tf from '../tfjs.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../env/backend.js';
import { sliceBatch } from '../env/batches.js';
import { analyzeChannels } from '../env/channel-pruning/analysis.js';
import { countFlops } from '../env/channel-pruning/cost.js';
import { planChannels } from '../env/channel-pruning/plan.js';
import { ChannelSpace } from '../env/channel-space.js';
import type { Dataset } from '../env/data/dataset.js';
import { loadDataset } from '../env/data/load-dataset.js';
import { compressibleLayers } from '../env/layers.js';
import { loadOrTrainBaseline } from '../env/models/baseline-cache.js';
import type { RunConfig } from '../run/config.js';
import { finishRun } from '../run/final/final.js';
import { runSearch } from '../run/search.js';
import { loadStrategy } from '../run/final/strategy.js';
import { arg, table, writeResults } from './common.js';

const models = arg('models', 'lenet5,mobilenet-tiny').split(',');
const budgets = arg('budgets', '0.5').split(',').map(Number);
const episodes = Number(arg('episodes', '30'));
const finetuneSteps = Number(arg('finetune-steps', '20'));
const finalSteps = Number(arg('final-steps', '300'));
const repeats = Number(arg('repeats', '15'));
const seed = Number(arg('seed', '1'));
const workdir = arg('workdir', '/tmp/channel-search');
const out = arg('out', 'bench/results/channel-search.md');
const command = `npx tsx bench/channel-search.ts ${process.argv.slice(2).join(' ')}`.trim();

const backend = (await selectBackend('wasm')).name;
const data = loadDataset('mnist', { seed: 1 });

/** Median predict() time on 256 test images per model; the models take turns call by call (shared cores). */
async function predictMs(list: tf.LayersModel[], d: Dataset): Promise<number[]> {
  const [x, y] = sliceBatch(d.test, d.inputShape, 0, 256);
  y.dispose();
  const times = list.map(() => [] as number[]);
  for (let i = -2; i < repeats; i++) {
    for (const [k, m] of list.entries()) {
      const start = performance.now();
      const o = m.predict(x) as tf.Tensor;
      await o.data();
      o.dispose();
      if (i >= 0) times[k].push(performance.now() - start);
    }
  }
  x.dispose();
  return times.map((ts) => ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)]);
}

/** The tfjs export of an answer, loaded as any tfjs user would (tf.loadLayersModel, no autoshrink code). */
async function loadExport(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'tfjs', 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
  const bin = readFileSync(join(dir, 'tfjs', 'weights.bin'));
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(bin).buffer }));
}

/** Pins giving every prunable layer the L1 plan's count at `flops` (count / channels, read back exactly). */
function planPins(model: tf.LayersModel, flops: number): RunConfig['pin'] {
  const analysis = analyzeChannels(model);
  const counts = planChannels(analysis, { flops });
  const space = new ChannelSpace(model, compressibleLayers(model));
  const pins: RunConfig['pin'] = {};
  space.layers.forEach((l, i) => {
    const g = space.groupOf[i];
    if (g !== null) pins[l.name] = { preserveRatio: counts[g] / analysis.groups[g].channels };
  });
  return pins;
}

interface Row {
  model: string;
  budget: number;
  planner: string;
  test: number;
  baselineTest: number;
  macs: number;
  full: number;
  channels: string;
  out: string;
  searchSeconds: number;
}

const rows: Row[] = [];
for (const name of models) {
  const { model: baseline } = await loadOrTrainBaseline(name, data, { workdir, dataSeed: 1 });
  const full = countFlops(baseline).total;
  for (const flops of budgets) {
    const common: Partial<RunConfig> = {
      model: name,
      knobs: ['channels'],
      budget: `flops:${flops}`,
      finetuneSteps,
      finalSteps,
      rerankTop: 0,
      seed,
    };
    const planners: Array<[string, Partial<RunConfig>]> = [
      ['ddpg', { agent: 'ddpg', episodes, warmup: Math.max(1, Math.floor(episodes / 5)) }],
      ['uniform', { agent: 'uniform' }],
      ['L1 plan', { agent: 'uniform', pin: planPins(baseline, flops) }],
    ];
    for (const [planner, config] of planners) {
      const t0 = performance.now();
      const run = await runSearch({ ...common, ...config }, { workdir, backend });
      const searchSeconds = (performance.now() - t0) / 1000;
      const report = await finishRun(run.runId, { workdir, backend });
      const strategy = loadStrategy(report.strategyPath);
      const packed = await loadExport(report.out);
      const macs = countFlops(packed).total;
      packed.dispose();
      const channels = strategy.layers.map((l) => (l.channels ? `${l.name} ${l.channels[0]}/${l.channels[1]}` : null)).filter(Boolean).join(', ');
      rows.push({ model: name, budget: flops, planner, test: report.testAccuracy, baselineTest: report.baselineTestAccuracy, macs, full, channels, out: report.out, searchSeconds });
      process.stdout.write(`${name} flops:${flops} ${planner}: test ${(report.testAccuracy * 100).toFixed(2)}%, ${macs} MACs (${((macs / full) * 100).toFixed(1)}%), ${channels}\n`);
    }
  }
  baseline.dispose();
}

// predict time, per model: the original and every answer side by side
const timed = new Map<Row, { ms: number; baseMs: number }>();
for (const name of models) {
  const { model: baseline } = await loadOrTrainBaseline(name, data, { workdir, dataSeed: 1 });
  const mine = rows.filter((r) => r.model === name);
  const loaded = await Promise.all(mine.map((r) => loadExport(r.out)));
  const [baseMs, ...ms] = await predictMs([baseline, ...loaded], data);
  mine.forEach((r, i) => timed.set(r, { ms: ms[i], baseMs }));
  loaded.forEach((m) => m.dispose());
  baseline.dispose();
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const body = [
  `Each answer: one search (DDPG: ${episodes} episodes, ${Math.max(1, Math.floor(episodes / 5))} warm-up; uniform and the L1 plan: one episode), ` +
    `${finetuneSteps} fine-tune steps per episode, re-rank off, then ${finalSteps} final fine-tune steps from the original weights; ` +
    `L1 channel selection, weights fp32; seed ${seed}. MACs are counted on the written tfjs export (countFlops); predict time is the ` +
    `median of ${repeats} predict() calls on 256 test images, the original and the answers of a model taking turns.`,
  '',
  table(
    ['model', 'budget', 'planner', 'test acc', 'baseline test', 'MACs (built)', '% of full', 'predict ms', 'speed-up', 'search s', 'channels kept'],
    rows.map((r) => {
      const t = timed.get(r)!;
      return [r.model, `flops:${r.budget}`, r.planner, pct(r.test), pct(r.baselineTest), r.macs, pct(r.macs / r.full), t.ms.toFixed(1), `${(t.baseMs / t.ms).toFixed(2)}x`, r.searchSeconds.toFixed(0), r.channels];
    }),
  ),
].join('\n');
writeResults(out, 'Channel search: DDPG over preserve ratios vs uniform vs the L1 plan of equal FLOPs', command, body);
