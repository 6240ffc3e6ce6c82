/**
 * Our wasm layer kernels (env/kernels/) measured side by side in one process against the kernels before them and
 * against tfjs's own, for lenet5 and mobilenet-tiny:
 * - 'tfjs': wasm's own kernels and tfjs-core's gradients (`setFastWasmKernels(false)`; our conv-gradient composites
 *   stay, wasm has none for most of them);
 * - 'before': the first replacements only (Tile, MaxPoolGrad, transposed BatchMatMul, leading-axis Sum and Mean:
 *   `setFastWasmKernels(true, { layerKernels: false })`), what training ran on before the layer kernels;
 * - 'ours': both (the default).
 * Per round, each set in turn (interleaved, so the machine's load falls on all three alike): a plain training step
 * (optimizer.minimize with Adam, batch 64, as env/train.ts), a fine-tune step of a typical searched strategy
 * (env/compress-model.ts: every layer 4 bits per output channel, 'mse' ranges, half pruned at once; from the end of
 * its first step to the end of its last) and scoring (env/evaluate.ts evaluateModel over the 2,000 validation
 * images, as each episode does). Medians over the rounds; then the slowest kernels of one more step and scoring under
 * 'before' and 'ours' (bench/kernel-timer.ts).
 *   npx tsx bench/kernels.ts [--models lenet5,mobilenet-tiny] [--rounds 5] [--workdir .autoshrink]
 */
import * as tf from '../tfjs.js';
import { loadavg } from 'node:os';
import { selectBackend } from '../env/backend.js';
import { compressModel, OriginalWeights } from '../env/compress-model.js';
import type { Dataset } from '../env/data/dataset.js';
import { evaluateModel } from '../env/evaluate.js';
import { compressibleLayers } from '../env/layers.js';
import { setFastWasmKernels } from '../env/wasm-kernels.js';
import { layerSpec } from '../learners/types.js';
import { prepare } from '../run/setup.js';
import { arg, table, writeResults } from './common.js';
import { plainStepMs } from './plain-step.js';
import { KernelTimer } from './kernel-timer.js';

const models = arg('models', 'lenet5,mobilenet-tiny').split(',');
const rounds = Number(arg('rounds', '5'));
const workdir = arg('workdir', '.autoshrink');
const BATCH = 64;
const SPEC = layerSpec({ bits: 4, pruneRatio: 0.5, bucket: 'channel' });
const SETS = ['tfjs', 'before', 'ours'] as const;
type KernelSet = (typeof SETS)[number];
/** Goals: 'ours' over 'before', samples per second. */
const GOALS: Record<string, { step: number; score: number }> = { 'mobilenet-tiny': { step: 2, score: 1.5 }, lenet5: { step: 1.3, score: 0 } };

const loadStart = loadavg()[0];
await selectBackend('wasm');

function use(set: KernelSet): void {
  setFastWasmKernels(set !== 'tfjs', { layerKernels: set === 'ours' });
}

/** ms per plain training step over `steps` steps, after one warm-up step (bench/plain-step.ts). */
function plainMs(model: tf.LayersModel, data: Dataset, steps: number, seed: string): number {
  return plainStepMs(model, data, { steps, seed, batchSize: BATCH, learningRate: 5e-4 });
}

/** ms per fine-tune step of the typical strategy, first step (setup) left out. */
async function finetuneMs(model: tf.LayersModel, originals: OriginalWeights, data: Dataset, steps: number): Promise<number> {
  const plan = compressibleLayers(model).map((layer) => ({ layer, spec: SPEC }));
  let first = 0;
  let last = 0;
  await compressModel(model, originals, plan, data, {
    steps: steps + 1,
    batchSize: BATCH,
    learningRate: 5e-4,
    seed: 1,
    bnBatches: 0,
    onStep: (step) => {
      if (step === 1) first = performance.now();
      last = performance.now();
    },
  });
  return (last - first) / steps;
}

/** Seconds to score the validation split, and the score (the same under every set, up to float32 rounding). */
async function scoreOnce(model: tf.LayersModel, data: Dataset): Promise<{ s: number; accuracy: number; loss: number }> {
  const t0 = performance.now();
  const { accuracy, loss } = await evaluateModel(model, data.validation, data.inputShape);
  return { s: (performance.now() - t0) / 1000, accuracy, loss };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const summary: Array<Array<string | number>> = [];
const goalLines: string[] = [];
const profiles: string[] = [];
for (const name of models) {
  const { model, data } = await prepare({ model: name, data: 'mnist', dataSeed: 1, workdir });
  const originals = new OriginalWeights(model, compressibleLayers(model));
  const steps = name === 'mobilenet-tiny' ? 6 : 16;
  const m = Object.fromEntries(SETS.map((s) => [s, { plain: [] as number[], ft: [] as number[], score: [] as number[], acc: 0, loss: 0 }]));
  for (const set of SETS) {
    use(set); // warm-up: every kernel set compiled and its first allocations made
    plainMs(model, data, 1, 'warm');
    originals.restore(model);
    await finetuneMs(model, originals, data, 1);
    originals.restore(model);
    await scoreOnce(model, data);
  }
  for (let r = 0; r < rounds; r++) {
    for (const set of SETS) {
      use(set);
      m[set].plain.push(plainMs(model, data, steps, `kernels:${r}`));
      originals.restore(model);
      m[set].ft.push(await finetuneMs(model, originals, data, steps));
      originals.restore(model);
      const sc = await scoreOnce(model, data);
      m[set].score.push(sc.s);
      m[set].acc = sc.accuracy;
      m[set].loss = sc.loss;
    }
    process.stdout.write(`${name} round ${r + 1}/${rounds}: ${SETS.map((s) => `${s} ${m[s].plain.at(-1)!.toFixed(0)}/${m[s].ft.at(-1)!.toFixed(0)} ms, ${m[s].score.at(-1)!.toFixed(2)} s`).join('; ')}\n`);
  }
  const perS = (ms: number) => (BATCH * 1000) / ms;
  const rate = (s: KernelSet) => ({ plain: perS(median(m[s].plain)), ft: perS(median(m[s].ft)), score: data.validation.count / median(m[s].score) });
  const rates = Object.fromEntries(SETS.map((s) => [s, rate(s)])) as Record<KernelSet, ReturnType<typeof rate>>;
  for (const s of SETS) {
    const x = rates[s];
    const vs = (k: 'plain' | 'ft' | 'score') => (x[k] / rates.before[k]).toFixed(2);
    summary.push([name, s, Math.round(x.plain), vs('plain'), Math.round(x.ft), vs('ft'), Math.round(x.score), vs('score'), (100 * m[s].acc).toFixed(2), m[s].loss.toFixed(4)]);
  }
  const goal = GOALS[name];
  if (goal) {
    const ratio = (k: 'plain' | 'ft' | 'score') => rates.ours[k] / rates.before[k];
    const say = (what: string, r: number, want: number) => `${what} ${r.toFixed(2)}x (goal ${want}x: ${r >= want ? 'met' : `MISSED by ${(want - r).toFixed(2)}x`})`;
    const parts = [say('training step', ratio('plain'), goal.step), say('fine-tune step', ratio('ft'), goal.step)];
    if (goal.score > 0) parts.push(say('scoring', ratio('score'), goal.score));
    goalLines.push(`- ${name}, ours over before: ${parts.join('; ')}.`);
  }
  // where the time goes: one more step and scoring under 'before' and 'ours', kernel by kernel
  const timer = new KernelTimer();
  for (const set of ['before', 'ours'] as const) {
    use(set);
    timer.install();
    timer.slot = `${set} step`;
    plainMs(model, data, 2, 'profile');
    originals.restore(model);
    timer.slot = `${set} scoring`;
    await scoreOnce(model, data);
    timer.uninstall();
  }
  const per = (slot: string) => (slot.endsWith('step') ? 3 : 1); // plainMs ran 1 warm-up + 2 steps
  for (const what of ['step', 'scoring']) {
    const rows = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => {
      const b = timer.top(`before ${what}`, 10, per(what))[i];
      const o = timer.top(`ours ${what}`, 10, per(what))[i];
      return [b ? b[0] : '', b ? b[1].toFixed(2) : '', o ? o[0] : '', o ? o[1].toFixed(2) : ''];
    });
    profiles.push(
      `### ${name}: slowest kernels of a ${what === 'step' ? 'training step' : 'scoring pass (2,000 images)'}\n\n` +
        `In kernels: before ${timer.total(`before ${what}`, per(what)).toFixed(1)} ms, ours ${timer.total(`ours ${what}`, per(what)).toFixed(1)} ms.\n\n` +
        table(['before: kernel and input shapes', 'ms', 'ours: kernel and input shapes', 'ms'], rows),
    );
  }
  use('ours');
  originals.dispose();
  model.dispose();
}

writeResults(
  'bench/results/kernels.md',
  'wasm layer kernels, side by side',
  `npx tsx bench/kernels.ts --models ${models.join(',')} --rounds ${rounds}${workdir === '.autoshrink' ? '' : ` --workdir ${workdir}`}`,
  `Load (1-min average) ${loadStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end; the 2 cores are shared, so ` +
    "compare the ratios of this run, not absolute figures across runs. Kernel sets: 'tfjs' (wasm's own kernels, tfjs-core's " +
    "gradients), 'before' (the first replacements: Tile, MaxPoolGrad, transposed BatchMatMul, leading-axis Sum and Mean), " +
    "'ours' (those and the layer kernels of env/kernels/). Batch 64 for the steps; scoring is env/evaluate.ts over the " +
    `2,000 validation images (batches of 500). Medians of ${rounds} interleaved rounds; 'x before' is the ratio of samples/s to 'before'.\n\n` +
    table(['model', 'kernels', 'training samples/s', 'x before', 'fine-tune samples/s', 'x before', 'scoring images/s', 'x before', 'validation accuracy %', 'validation loss'], summary) +
    '\n\nGoals:\n' +
    goalLines.join('\n') +
    '\n\n' +
    profiles.join('\n\n'),
);
