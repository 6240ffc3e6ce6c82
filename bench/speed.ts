/**
 * Speed of the search and of its fine-tune, measured side by side in one run for mlp, lenet5 and
 * mobilenet-tiny:
 * - the backend's matmul bound (512x512 float32 GFLOP/s), measured before and after the models;
 * - steps of the same model and batch, interleaved round by round (medians of the rounds): plain training
 *   (optimizer.minimize, as env/train.ts), the fine-tune of a typical searched strategy (env/compress-model.ts; every
 *   layer at 4 bits per channel, 'mse' ranges, half pruned), and the same fine-tune with wasm's own kernels instead of
 *   ours (env/wasm-kernels.ts `setFastWasmKernels(false)`: the kernels before ours replaced them);
 * - the search for a few episodes at the product's defaults but --finetune-steps (default 60, the issue's headline
 *   setting) and, for mobilenet-tiny, the budget (size:1.5bits: fp32/20 is below what it can reach): episodes per
 *   minute, where an episode's time goes, and the fine-tune's samples/s inside the search (shadow setup and finalize
 *   included). Episode 0 carries the warm start's sensitivities and imitation: its time is shown apart, not shared.
 * Achieved GFLOP/s counts a training step as 3x the forward multiply-accumulates x 2 FLOPs.
 *   npx tsx bench/speed.ts [--models mlp,lenet5,mobilenet-tiny] [--episodes 8] [--rounds 3] [--workdir .autoshrink]
 */
import * as tf from '../tfjs.js';
import { loadavg } from 'node:os';
import { selectBackend } from '../env/backend.js';
import { compressModel, OriginalWeights } from '../env/compress-model.js';
import type { Dataset } from '../env/data/dataset.js';
import { compressibleLayers } from '../env/layers.js';
import { setFastWasmKernels } from '../env/wasm-kernels.js';
import { layerSpec } from '../learners/types.js';
import { DEFAULT_CONFIG } from '../run/config.js';
import type { EpisodeFinishedEvent } from '../run/events.js';
import { runSearch } from '../run/search.js';
import { prepare } from '../run/setup.js';
import { arg, table, writeResults } from './common.js';
import { plainStepMs } from './plain-step.js';

const models = arg('models', 'mlp,lenet5,mobilenet-tiny').split(',');
const episodes = Number(arg('episodes', '8'));
const searchSteps = Number(arg('finetune-steps', '60'));
/** The search's budget: the product's default, but mobilenet-tiny cannot reach fp32/20 (its batch norms stay fp32). */
const budgetOf = (model: string) => (model === 'mobilenet-tiny' ? 'size:1.5bits' : DEFAULT_CONFIG.budget);
const rounds = Number(arg('rounds', '3'));
const workdir = arg('workdir', '.autoshrink');
const backend = (await selectBackend('auto')).name;
const BATCH = DEFAULT_CONFIG.finetuneBatch;
const SPEC = layerSpec({ bits: 4, pruneRatio: 0.5, bucket: 'channel' });
const loadStart = loadavg()[0];

function matmulGflops(): number {
  const n = 512;
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  tf.matMul(a, b).dispose();
  const reps = 20;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  }
  const s = (performance.now() - t0) / 1000;
  a.dispose();
  b.dispose();
  return (2 * n ** 3 * reps) / s / 1e9;
}

/** ms per plain training step over `steps` steps, after one warm-up step (bench/plain-step.ts). */
function plainMs(model: tf.LayersModel, data: Dataset, steps: number, seed: string): number {
  return plainStepMs(model, data, { steps, seed, batchSize: BATCH, learningRate: DEFAULT_CONFIG.finetuneLr });
}

/** ms per fine-tune step of the typical strategy: from the end of its first step to the end of its last (onStep), so
 * the per-fine-tune setup and finalize are left out. */
async function finetuneMs(model: tf.LayersModel, originals: OriginalWeights, data: Dataset, steps: number, batchSize = BATCH): Promise<number> {
  const plan = compressibleLayers(model).map((layer) => ({ layer, spec: SPEC }));
  let first = 0;
  let last = 0;
  await compressModel(model, originals, plan, data, {
    steps: steps + 1,
    batchSize,
    learningRate: DEFAULT_CONFIG.finetuneLr,
    seed: 1,
    onStep: (step) => {
      if (step === 1) first = performance.now();
      last = performance.now();
    },
  });
  return (last - first) / steps;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const boundBefore = matmulGflops();
const stepRows: Array<Array<string | number>> = [];
const searchRows: Array<Array<string | number>> = [];
const batchRows: Array<Array<string | number>> = [];
const goals: string[] = [];
for (const name of models) {
  const { model, data } = await prepare({ model: name, data: 'mnist', dataSeed: 1, workdir });
  const layers = compressibleLayers(model);
  const macs = layers.reduce((s, l) => s + l.macs, 0);
  const originals = new OriginalWeights(model, layers);
  const steps = name === 'mobilenet-tiny' ? 8 : 16;
  const plain: number[] = [];
  const ft: number[] = [];
  const ftStock: number[] = [];
  await finetuneMs(model, originals, data, 2); // warm-up
  for (let r = 0; r < rounds; r++) {
    originals.restore(model);
    plain.push(plainMs(model, data, steps, `speed:${r}`));
    ft.push(await finetuneMs(model, originals, data, steps));
    setFastWasmKernels(false);
    ftStock.push(await finetuneMs(model, originals, data, steps));
    setFastWasmKernels(true);
  }
  // larger batches: the same fine-tune, one measurement each (accuracy at these batches not measured here)
  const batches = [128, 256].map((b) => ({ b, ms: 0 }));
  for (const x of batches) x.ms = await finetuneMs(model, originals, data, Math.max(4, steps / 2), x.b);
  originals.restore(model);
  originals.dispose();
  const params = model.countParams();
  model.dispose();
  const perS = (ms: number) => (BATCH * 1000) / ms;
  const gflops = (samples: number) => (samples * macs * 2 * 3) / 1e9;
  const [p, f, fs] = [perS(median(plain)), perS(median(ft)), perS(median(ftStock))];
  stepRows.push([name, params, (macs / 1e6).toFixed(2), Math.round(p), Math.round(f), (f / p).toFixed(2), Math.round(fs), (f / fs).toFixed(2), gflops(p).toFixed(2), gflops(f).toFixed(2)]);
  batchRows.push([name, Math.round(f), ...batches.map((x) => Math.round((x.b * 1000) / x.ms)), ...[f, ...batches.map((x) => (x.b * 1000) / x.ms)].map((v) => gflops(v).toFixed(2))]);
  process.stdout.write(`${stepRows.at(-1)!.join('  ')}\n`);

  const finished: EpisodeFinishedEvent[] = [];
  const t0 = performance.now();
  await runSearch({ model: name, episodes, warmup: Math.min(DEFAULT_CONFIG.warmup, episodes - 2), finalSteps: 0, finetuneSteps: searchSteps, budget: budgetOf(name) }, {
    workdir,
    backend,
    onEvent: (e) => {
      if (e.type === 'episode-finished') finished.push(e);
    },
  });
  const wall = (performance.now() - t0) / 1000;
  const first = finished.find((e) => e.episode === 0);
  const fresh = finished.filter((e) => !e.cached && e.episode > 0);
  const sum = (g: (e: EpisodeFinishedEvent) => number) => fresh.reduce((s, e) => s + g(e), 0);
  const total = sum((e) => e.seconds);
  const ftSeconds = sum((e) => e.timings.finetune);
  const inSearch = ftSeconds > 0 ? (fresh.length * searchSteps * BATCH) / ftSeconds : 0;
  const share = (v: number) => `${((100 * v) / total).toFixed(1)}%`;
  searchRows.push([
    name,
    budgetOf(name),
    first ? first.seconds.toFixed(1) : '-',
    ((finished.length - (first ? 1 : 0)) / ((wall - (first?.seconds ?? 0)) / 60)).toFixed(1),
    (total / fresh.length).toFixed(2),
    share(ftSeconds),
    share(sum((e) => e.timings.evaluate)),
    share(sum((e) => e.timings.compress)),
    share(sum((e) => e.timings.agent)),
    share(sum((e) => e.timings.other)),
    Math.round(inSearch),
    gflops(inSearch).toFixed(2),
  ]);
  process.stdout.write(`${searchRows.at(-1)!.join('  ')}\n`);
}
const boundAfter = matmulGflops();
const bound = (boundBefore + boundAfter) / 2;
for (const row of stepRows) {
  row.push(`${((100 * Number(row[9])) / bound).toFixed(1)}%`);
}
for (const row of searchRows) row.push(`${((100 * Number(row[11])) / bound).toFixed(1)}%`);
for (const row of batchRows) row.push(...row.slice(-3).map((v) => `${((100 * Number(v)) / bound).toFixed(1)}%`));

const row = (name: string) => stepRows.find((r) => r[0] === name);
const lenet = row('lenet5');
if (lenet) {
  const ratio = Number(lenet[5]);
  const share = (100 * Number(lenet[9])) / bound;
  goals.push(`- lenet5 fine-tune >= 0.8x plain training (same model, batch ${BATCH}): ${ratio.toFixed(2)}x, ${ratio >= 0.8 ? 'met' : 'MISSED'}.`);
  goals.push(`- lenet5 fine-tune at >= 40% of the matmul bound: ${share.toFixed(1)}%, ${share >= 40 ? 'met' : 'MISSED'}.`);
}
const mobile = row('mobilenet-tiny');
if (mobile) {
  const f = Number(mobile[4]);
  goals.push(
    `- mobilenet-tiny fine-tune >= 3x the old 111 samples/s (>= 333): ${f} samples/s, ${(f / 111).toFixed(1)}x, ${f >= 333 ? 'met' : 'MISSED'}; ` +
      `in this run ${mobile[7]}x the same fine-tune with wasm's own kernels (${mobile[6]} samples/s).`,
  );
  goals.push(
    `- mobilenet-tiny fine-tune >= 2x the 277 samples/s of this file's previous run (2026-11-30, load 4-7; >= 554): ${f} samples/s, ${(f / 277).toFixed(1)}x, ` +
      `${f >= 554 ? 'met across runs' : 'MISSED'} (a ratio across runs and loads, not side by side: bench/kernels.ts measures the kernel sets interleaved).`,
  );
}

writeResults(
  'bench/results/speed.md',
  'Search and fine-tune speed',
  `npx tsx bench/speed.ts --models ${models.join(',')} --episodes ${episodes} --rounds ${rounds}${workdir === '.autoshrink' ? '' : ` --workdir ${workdir}`}`,
  `Load (1-min average) ${loadStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end; the 2 cores are shared with ` +
    'other jobs, so compare the ratios of this run rather than absolute figures across runs. ' +
    `Matmul bound of this backend (512x512 float32): ${boundBefore.toFixed(1)} GFLOP/s before the models, ${boundAfter.toFixed(1)} after; ` +
    `shares use their mean, ${bound.toFixed(1)}.\n\n` +
    `## Steps side by side (batch ${BATCH}, medians of ${rounds} interleaved rounds)\n\n` +
    `Plain training: optimizer.minimize (Adam) over the model. Fine-tune: env/compress-model.ts on a typical strategy (every layer ${SPEC.bits} bits per ` +
    `output channel, 'mse' ranges, ${SPEC.pruneRatio * 100}% pruned at once), per step from the end of its first step to the end of its last. ` +
    "\"wasm's own kernels\": the same fine-tune with wasm's Tile, MaxPoolGrad, transposed BatchMatMul, Sum and Mean (before ours replaced them).\n\n" +
    table(
      ['model', 'params', 'MMACs/image', 'plain samples/s', 'fine-tune samples/s', 'fine-tune / plain', "fine-tune, wasm's own kernels", 'speed-up', 'plain GFLOP/s', 'fine-tune GFLOP/s', 'fine-tune of matmul bound'],
      stepRows,
    ) +
    '\n\nGoals of the kernel work:\n' +
    goals.join('\n') +
    '\n\nThe same fine-tune at larger batches (one measurement each; whether accuracy holds at them is not measured here):\n\n' +
    table(['model', 'samples/s at 64', 'at 128', 'at 256', 'GFLOP/s at 64', 'at 128', 'at 256', 'of matmul bound at 64', 'at 128', 'at 256'], batchRows) +
    `\n\n## Search (${searchSteps} fine-tune steps of batch ${BATCH} per episode, ${episodes} episodes, final stage skipped, defaults otherwise)\n\n` +
    "Episode 0 is the warm start's (the knapsack's sensitivities measured and the actor's imitation inside it): its seconds stand apart. " +
    'Episodes/min and the shares count the episodes after it; shares are of the wall time of freshly evaluated episodes (cached strategies excluded); the fine-tune share includes ' +
    "each episode's shadow setup and finalize.\n\n" +
    table(['model', 'budget', 'episode 0 s', 'episodes/min after it', 's/episode', 'fine-tune', 'evaluate', 'compress', 'agent', 'other', 'fine-tune samples/s', 'achieved GFLOP/s', 'of matmul bound'], searchRows),
);
