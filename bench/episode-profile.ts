/**
 * Where one episode's time goes, in the two settings users run, on the wasm backend:
 * - mobilenet-tiny as the README recommends: no fine-tune, so an episode is the compression of the original weights,
 *   batch-norm re-estimation (env/batch-norm.ts, 16 training batches of 64) and scoring the 2,000 validation images
 *   (env/evaluate.ts);
 * - lenet5 with a fine-tune of 60 steps (the speed work's headline command), then scoring.
 * Each phase is timed by wall clock around the same calls env/measure.ts makes (env/compress-model.ts's restore and
 * compression, its fine-tune, its re-estimation, then evaluateModel), and every wasm kernel is timed inside it
 * (bench/kernel-timer.ts); a phase's time outside kernels is tfjs's bookkeeping and our JavaScript. The strategy is a
 * typical searched one: every layer at 2 bits per output channel, 30% pruned. One warm-up episode, then `--episodes`
 * timed ones; figures are ms per episode. Then scoring at larger batches than today's 500 (evaluateModel's slices), the
 * batches interleaved over `--rounds` rounds, with the scores compared.
 *   npx tsx bench/episode-profile.ts [--episodes 5] [--rounds 5] [--workdir .autoshrink]
 */
import { loadavg } from 'node:os';
import { selectBackend } from '../env/backend.js';
import { BN_RECALIBRATION_BATCHES, recalibrateBatchNorm } from '../env/batch-norm.js';
import { compressModel, OriginalWeights } from '../env/compress-model.js';
import { evaluateModel } from '../env/evaluate.js';
import { compressibleLayers } from '../env/layers.js';
import { rewardSplit } from '../env/measure.js';
import { layerSpec } from '../learners/types.js';
import { DEFAULT_CONFIG } from '../run/config.js';
import { prepare } from '../run/setup.js';
import { arg, table, writeResults } from './common.js';
import { KernelTimer } from './kernel-timer.js';

const episodes = Number(arg('episodes', '5'));
const rounds = Number(arg('rounds', '5'));
const SCORE_BATCHES = [500, 1000, 2000];
const workdir = arg('workdir', '.autoshrink');
const SPEC = layerSpec({ bits: 2, pruneRatio: 0.3, bucket: 'channel' });
const BATCH = DEFAULT_CONFIG.finetuneBatch;
const SETTINGS = [
  { model: 'mobilenet-tiny', steps: 0 },
  { model: 'lenet5', steps: 60 },
];
const loadStart = loadavg()[0];
await selectBackend('wasm');
const timer = new KernelTimer();
timer.install();

const sections: string[] = [];
const summary: Array<Array<string | number>> = [];
const batchRows: Array<Array<string | number>> = [];
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const { model: name, steps } of SETTINGS) {
  const { model, data } = await prepare({ model: name, data: 'mnist', dataSeed: 1, workdir });
  const layers = compressibleLayers(model);
  const originals = new OriginalWeights(model, layers);
  const plan = layers.map((layer) => ({ layer, spec: SPEC }));
  const split = rewardSplit(data, 0).validation;
  const phases = ['compress', 'finetune', 'bn', 'score'] as const;
  const wall = Object.fromEntries(phases.map((p) => [p, 0])) as Record<(typeof phases)[number], number>;
  const timed = async (phase: (typeof phases)[number], counted: boolean, f: () => Promise<unknown>) => {
    timer.slot = counted ? phase : 'warm-up';
    const t0 = performance.now();
    await f();
    if (counted) wall[phase] += performance.now() - t0;
  };
  for (let e = 0; e <= episodes; e++) {
    const counted = e > 0;
    const ft = { batchSize: BATCH, learningRate: DEFAULT_CONFIG.finetuneLr, seed: 'episode:1', bnBatches: 0 };
    await timed('compress', counted, () => compressModel(model, originals, plan, data, { ...ft, steps: 0 }));
    if (steps > 0) {
      await timed('finetune', counted, () => compressModel(model, originals, plan, data, { ...ft, steps }));
      // the compression inside that call is booked under compress already: take it out of the fine-tune
    }
    await timed('bn', counted, () => recalibrateBatchNorm(model, data, { batches: BN_RECALIBRATION_BATCHES, batchSize: BATCH, seed: ft.seed }));
    await timed('score', counted, () => evaluateModel(model, split, data.inputShape));
  }
  if (steps > 0) wall.finetune -= wall.compress;
  const kernelsOf = (p: string) => timer.total(p, episodes) + (p === 'finetune' ? -timer.total('compress', episodes) : 0);
  const per = (v: number) => v / episodes;
  const total = phases.reduce((s, p) => s + per(wall[p]), 0);
  const rows = phases
    .filter((p) => wall[p] > 0)
    .map((p) => [p, per(wall[p]).toFixed(1), `${((100 * per(wall[p])) / total).toFixed(1)}%`, Math.max(0, kernelsOf(p)).toFixed(1), Math.max(0, per(wall[p]) - kernelsOf(p)).toFixed(1)]);
  summary.push([name, steps, total.toFixed(1), ...phases.map((p) => (wall[p] > 0 ? `${((100 * per(wall[p])) / total).toFixed(1)}%` : '-'))]);
  const tops = phases
    .filter((p) => wall[p] > 0 && p !== 'compress')
    .map((p) => table([`slowest kernels, ${p}`, 'ms/episode'], timer.top(p, Number(arg("top", "8")), episodes).map(([k, v]) => [k, v.toFixed(2)])));
  sections.push(`### ${name}, ${steps} fine-tune steps\n\n` + table(['phase', 'ms/episode', 'share', 'in kernels', 'outside kernels'], rows) + '\n\n' + tops.join('\n\n'));
  process.stdout.write(`${summary.at(-1)!.join('  ')}\n`);
  timer.ms.clear();
  // the compressed model of the last episode, scored at each batch in turn
  timer.slot = 'batches';
  const ms = new Map(SCORE_BATCHES.map((b) => [b, [] as number[]]));
  const scores = new Map<number, string>();
  for (let r = 0; r < rounds; r++) {
    for (const b of r % 2 ? [...SCORE_BATCHES].reverse() : SCORE_BATCHES) {
      const t0 = performance.now();
      const score = await evaluateModel(model, split, data.inputShape, b);
      ms.get(b)!.push(performance.now() - t0);
      scores.set(b, `${(100 * score.accuracy).toFixed(2)}% / ${score.loss.toFixed(7)}`);
    }
  }
  const base = median(ms.get(SCORE_BATCHES[0])!);
  batchRows.push([name, ...SCORE_BATCHES.map((b) => `${median(ms.get(b)!).toFixed(0)} (${(base / median(ms.get(b)!)).toFixed(2)}x)`), ...SCORE_BATCHES.map((b) => scores.get(b)!)]);
  originals.restore(model);
  originals.dispose();
  model.dispose();
}

writeResults(
  'bench/results/episode-profile.md',
  'Where an episode goes',
  `npx tsx bench/episode-profile.ts --episodes ${episodes} --rounds ${rounds}${workdir === '.autoshrink' ? '' : ` --workdir ${workdir}`}`,
  `Load (1-min average) ${loadStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end (2 shared cores: compare shares, not absolute ` +
    `figures across runs). Every layer at ${SPEC.bits} bits per output channel, ${SPEC.pruneRatio * 100}% pruned; batch-norm re-estimation on ` +
    `${BN_RECALIBRATION_BATCHES} batches of ${BATCH}; scoring on the ${2000} validation images; ${episodes} episodes timed after one warm-up. ` +
    "'compress' is restoring the original weights and the learners' compression (JavaScript); the fine-tune's own shadow setup and finalize are in 'finetune'.\n\n" +
    table(['model', 'fine-tune steps', 'ms/episode', 'compress', 'fine-tune', 'bn re-estimation', 'scoring'], summary) +
    '\n\n' +
    sections.join('\n\n') +
    `\n\n### Scoring at larger batches (ms for the 2,000 images, medians of ${rounds} interleaved rounds; accuracy / loss)\n\n` +
    table(['model', ...SCORE_BATCHES.map((b) => `ms at ${b}`), ...SCORE_BATCHES.map((b) => `score at ${b}`)], batchRows),
);
