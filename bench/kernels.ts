/**
 * Our wasm kernels measured side by side in one process, set against set, for lenet5 and mobilenet-tiny:
 * - 'tfjs': wasm's own kernels and tfjs-core's gradients (`setFastWasmKernels(false)`; our conv-gradient composites
 *   stay, wasm has none for most of them);
 * - 'before': the first replacements only (Tile, MaxPoolGrad, transposed BatchMatMul, leading-axis Sum and Mean:
 *   `setFastWasmKernels(true, { layerKernels: false })`);
 * - 'ours': those and the layer kernels of env/kernels/ (`{ fusions: false }`), the default until the fusions;
 * - 'fused': all of ours, the default: also batch norm in training mode as one op, scoring with batch norm folded
 *   into the convolutions in whole batches, and bias-free linear convolutions trained through the plain op.
 * `--sets` picks them (default 'ours,fused'); ratios are to the first set named. Per round, each set in turn
 * (interleaved, so the machine's load falls on all alike): a plain training step (optimizer.minimize with Adam, batch
 * 64, as env/train.ts), a fine-tune step of a typical searched strategy (env/compress-model.ts: every layer 4 bits per
 * output channel, 'mse' ranges, half pruned at once; from the end of its first step to the end of its last), scoring
 * (env/evaluate.ts evaluateModel over the 2,000 validation images, as each episode does) and, for a model with batch
 * norm, its re-estimation (env/batch-norm.ts, 16 batches of 64: with scoring, what an episode without fine-tune
 * spends its time on). Figures are medians over the rounds, speed-ups the median of the rounds' own ratios (the sets
 * of a round run back to back); then the slowest kernels of one more step and scoring under the first
 * and last set (bench/kernel-timer.ts).
 *   npx tsx bench/kernels.ts [--models lenet5,mobilenet-tiny] [--sets ours,fused] [--rounds 5] [--workdir .autoshrink]
 */
import * as tf from '../tfjs.js';
import { loadavg } from 'node:os';
import { selectBackend } from '../env/backend.js';
import { OriginalWeights } from '../env/compress-model.js';
import type { Dataset } from '../env/data/dataset.js';
import { BN_RECALIBRATION_BATCHES, hasBatchNorm, recalibrateBatchNorm } from '../env/batch-norm.js';
import { evaluateModel } from '../env/evaluate.js';
import { compressibleLayers } from '../env/layers.js';
import { setFastWasmKernels } from '../env/wasm-kernels.js';
import { prepare } from '../run/setup.js';
import { arg, table, writeResults } from './common.js';
import { plainStepMs } from './plain-step.js';
import { KernelTimer } from './kernel-timer.js';
import { finetuneStepMs } from './finetune-step.js';

const models = arg('models', 'lenet5,mobilenet-tiny').split(',');
const rounds = Number(arg('rounds', '5'));
const workdir = arg('workdir', '.autoshrink');
const BATCH = 64;
const ALL_SETS = ['tfjs', 'before', 'ours', 'fused'] as const;
type KernelSet = (typeof ALL_SETS)[number];
const SETS = arg('sets', 'ours,fused').split(',') as KernelSet[];
if (SETS.length < 2 || SETS.some((s) => !ALL_SETS.includes(s))) throw new Error(`--sets: two or more of ${ALL_SETS.join(', ')}`);
const [BASE, LAST] = [SETS[0], SETS[SETS.length - 1]];
/** Goals: the last set over the first, samples per second (the fusions over 'ours': 2x a mobilenet-tiny step, 1.5x its scoring, 1.3x a lenet5 step). */
const GOALS: Record<string, { step: number; score: number }> = { 'mobilenet-tiny': { step: 2, score: 1.5 }, lenet5: { step: 1.3, score: 0 } };

const loadStart = loadavg()[0];
await selectBackend('wasm');

function use(set: KernelSet): void {
  setFastWasmKernels(set !== 'tfjs', { layerKernels: set === 'ours' || set === 'fused', fusions: set === 'fused' });
}

/** Seconds to re-estimate the batch-norm statistics as an episode does (the statistics change: every set alike). */
async function recalibrateOnce(model: tf.LayersModel, data: Dataset, round: number): Promise<number> {
  const t0 = performance.now();
  await recalibrateBatchNorm(model, data, { batches: BN_RECALIBRATION_BATCHES, batchSize: BATCH, seed: round });
  return (performance.now() - t0) / 1000;
}

/** ms per plain training step over `steps` steps, after one warm-up step (bench/plain-step.ts). */
function plainMs(model: tf.LayersModel, data: Dataset, steps: number, seed: string): number {
  return plainStepMs(model, data, { steps, seed, batchSize: BATCH, learningRate: 5e-4 });
}

const finetuneMs = finetuneStepMs;

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
  const bn = hasBatchNorm(model);
  const m = Object.fromEntries(SETS.map((s) => [s, { plain: [] as number[], ft: [] as number[], score: [] as number[], bn: [] as number[], acc: 0, loss: 0 }]));
  for (const set of SETS) {
    use(set); // warm-up: every kernel set compiled and its first allocations made
    plainMs(model, data, 1, 'warm');
    originals.restore(model);
    await finetuneMs(model, originals, data, 1);
    originals.restore(model);
    await scoreOnce(model, data);
    if (bn) await recalibrateOnce(model, data, 0);
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
      if (bn) m[set].bn.push(await recalibrateOnce(model, data, r));
    }
    process.stdout.write(`${name} round ${r + 1}/${rounds}: ${SETS.map((s) => `${s} ${m[s].plain.at(-1)!.toFixed(0)}/${m[s].ft.at(-1)!.toFixed(0)} ms, ${m[s].score.at(-1)!.toFixed(2)} s`).join('; ')}\n`);
  }
  const perS = (ms: number) => (BATCH * 1000) / ms;
  const bnImages = BN_RECALIBRATION_BATCHES * BATCH;
  const rate = (s: KernelSet) => ({
    plain: perS(median(m[s].plain)),
    ft: perS(median(m[s].ft)),
    score: data.validation.count / median(m[s].score),
    bn: bn ? bnImages / median(m[s].bn) : NaN,
    // an episode without fine-tune: re-estimation and scoring, per round, then the median
    episode: median(m[s].score.map((v, i) => v + (bn ? m[s].bn[i] : 0))),
  });
  const rates = Object.fromEntries(SETS.map((s) => [s, rate(s)])) as Record<KernelSet, ReturnType<typeof rate>>;
  // speed-ups round by round (the two sets of a round ran back to back, under the same load), then their median
  const episodeS = (s: KernelSet) => m[s].score.map((v, i) => v + (bn ? m[s].bn[i] : 0));
  const paired = (s: KernelSet, k: 'plain' | 'ft' | 'score' | 'bn' | 'episode') => {
    const times = (set: KernelSet) => (k === 'episode' ? episodeS(set) : m[set][k]);
    return median(times(BASE).map((base, i) => base / times(s)[i]));
  };
  for (const s of SETS) {
    const x = rates[s];
    const vs = (k: 'plain' | 'ft' | 'score' | 'bn') => (bn || k !== 'bn' ? paired(s, k).toFixed(2) : '-');
    summary.push([
      name, s, Math.round(x.plain), vs('plain'), Math.round(x.ft), vs('ft'), Math.round(x.score), vs('score'),
      bn ? Math.round(x.bn) : '-', vs('bn'), x.episode.toFixed(2), paired(s, 'episode').toFixed(2), (100 * m[s].acc).toFixed(2), m[s].loss.toFixed(4),
    ]);
  }
  const goal = GOALS[name];
  if (goal) {
    const ratio = (k: 'plain' | 'ft' | 'score') => paired(LAST, k);
    const say = (what: string, r: number, want: number) => `${what} ${r.toFixed(2)}x (goal ${want}x: ${r >= want ? 'met' : `MISSED by ${(want - r).toFixed(2)}x`})`;
    const parts = [say('training step', ratio('plain'), goal.step), say('fine-tune step', ratio('ft'), goal.step)];
    if (goal.score > 0) parts.push(say('scoring', ratio('score'), goal.score));
    if (goal.score > 0 && bn) parts.push(`an episode's forward passes (re-estimation and scoring) ${paired(LAST, 'episode').toFixed(2)}x`);
    goalLines.push(`- ${name}, ${LAST} over ${BASE}: ${parts.join('; ')}.`);
  }
  // where the time goes: one more step and scoring under the first and last set, kernel by kernel
  const timer = new KernelTimer();
  for (const set of [BASE, LAST]) {
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
      const b = timer.top(`${BASE} ${what}`, 10, per(what))[i];
      const o = timer.top(`${LAST} ${what}`, 10, per(what))[i];
      return [b ? b[0] : '', b ? b[1].toFixed(2) : '', o ? o[0] : '', o ? o[1].toFixed(2) : ''];
    });
    profiles.push(
      `### ${name}: slowest kernels of a ${what === 'step' ? 'training step' : 'scoring pass (2,000 images)'}\n\n` +
        `In kernels: ${BASE} ${timer.total(`${BASE} ${what}`, per(what)).toFixed(1)} ms, ${LAST} ${timer.total(`${LAST} ${what}`, per(what)).toFixed(1)} ms.\n\n` +
        table([`${BASE}: kernel and input shapes`, 'ms', `${LAST}: kernel and input shapes`, 'ms'], rows),
    );
  }
  use('fused');
  originals.dispose();
  model.dispose();
}

writeResults(
  'bench/results/kernels.md',
  'wasm kernels, side by side',
  `npx tsx bench/kernels.ts --models ${models.join(',')} --sets ${SETS.join(',')} --rounds ${rounds}${workdir === '.autoshrink' ? '' : ` --workdir ${workdir}`}`,
  `Load (1-min average) ${loadStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end; the 2 cores are shared, so ` +
    "compare the ratios of this run, not absolute figures across runs. Kernel sets: 'tfjs' (wasm's own kernels, tfjs-core's " +
    "gradients), 'before' (the first replacements: Tile, MaxPoolGrad, transposed BatchMatMul, leading-axis Sum and Mean), " +
    "'ours' (those and the layer kernels of env/kernels/), 'fused' (all of ours: also batch norm in training mode as one op, " +
    'env/kernels/batch-norm-training.ts, scoring with batch norm folded into the convolutions in whole batches, ' +
    'env/folded-inference.ts, and bias-free linear convolutions trained through the plain op, env/kernels/conv-training.ts). ' +
    `Batch ${BATCH} for the steps; scoring is env/evaluate.ts over the 2,000 validation images (batches ` +
    `of 500); re-estimation is env/batch-norm.ts over ${BN_RECALIBRATION_BATCHES} batches of ${BATCH}; 'episode forward' is the ` +
    `two together, an episode at --finetune-steps 0. Figures are medians of ${rounds} interleaved rounds; 'x ${BASE}' is the ` +
    `median over the rounds of each round's speed-up over '${BASE}' (the sets of a round run back to back, so the load that ` +
    'moves between rounds cancels in the ratio).\n\n' +
    table(
      ['model', 'kernels', 'training samples/s', `x ${BASE}`, 'fine-tune samples/s', `x ${BASE}`, 'scoring images/s', `x ${BASE}`, 're-estimation images/s', `x ${BASE}`, 'episode forward s', `x ${BASE}`, 'validation accuracy %', 'validation loss'],
      summary,
    ) +
    '\n\nGoals:\n' +
    goalLines.join('\n') +
    '\n\n' +
    profiles.join('\n\n'),
);
