/**
 * Speed of the search: episodes per minute of the default search, where an episode's time goes (agent, compress,
 * fine-tune, evaluate, everything else), fine-tune throughput (samples/s and achieved GFLOP/s, counting a training
 * step as 3x the forward MACs x 2 FLOPs) against the backend's measured matmul GFLOP/s, and how episode time grows
 * with the model (mlp, lenet5, mobilenet-tiny).
 *   npx tsx bench/speed.ts [--models mlp,lenet5,mobilenet-tiny] [--episodes 12] [--workdir .autoshrink]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../env/backend.js';
import { compressibleLayers } from '../env/layers.js';
import { DEFAULT_CONFIG } from '../run/config.js';
import type { EpisodeFinishedEvent } from '../run/events.js';
import { runSearch } from '../run/search.js';
import { prepare } from '../run/setup.js';
import { arg, table, writeResults } from './common.js';

const models = arg('models', 'mlp,lenet5,mobilenet-tiny').split(',');
const episodes = Number(arg('episodes', '12'));
const workdir = arg('workdir', '.autoshrink');
const backend = (await selectBackend('auto')).name;

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

const bound = matmulGflops();
const rows: Array<Array<string | number>> = [];
for (const name of models) {
  const { model } = await prepare({ model: name, data: 'mnist', dataSeed: 1, workdir });
  const macs = compressibleLayers(model).reduce((s, l) => s + l.macs, 0);
  const params = model.countParams();
  model.dispose();
  const finished: EpisodeFinishedEvent[] = [];
  const t0 = performance.now();
  await runSearch({ model: name, episodes, warmup: Math.min(DEFAULT_CONFIG.warmup, episodes - 2), finalSteps: 0 }, {
    workdir,
    backend,
    onEvent: (e) => {
      if (e.type === 'episode-finished') finished.push(e);
    },
  });
  const wall = (performance.now() - t0) / 1000;
  const fresh = finished.filter((e) => !e.cached);
  const sum = (f: (e: EpisodeFinishedEvent) => number) => fresh.reduce((s, e) => s + f(e), 0);
  const total = sum((e) => e.seconds);
  const ft = sum((e) => e.timings.finetune);
  const samples = fresh.length * DEFAULT_CONFIG.finetuneSteps * DEFAULT_CONFIG.finetuneBatch;
  const samplesPerS = samples / ft;
  const gflops = (samplesPerS * macs * 2 * 3) / 1e9;
  const share = (v: number) => `${((100 * v) / total).toFixed(1)}%`;
  rows.push([
    name,
    params,
    (macs / 1e6).toFixed(2),
    (finished.length / (wall / 60)).toFixed(1),
    (total / fresh.length).toFixed(2),
    share(ft),
    share(sum((e) => e.timings.evaluate)),
    share(sum((e) => e.timings.compress)),
    share(sum((e) => e.timings.agent)),
    share(sum((e) => e.timings.other)),
    Math.round(samplesPerS),
    gflops.toFixed(2),
    `${((100 * gflops) / bound).toFixed(1)}%`,
  ]);
  process.stdout.write(`${rows[rows.length - 1].join('  ')}\n`);
}

writeResults(
  'bench/results/speed.md',
  'Search speed',
  `npx tsx bench/speed.ts --models ${models.join(',')} --episodes ${episodes}`,
  `Default search settings (${DEFAULT_CONFIG.finetuneSteps} fine-tune steps of batch ${DEFAULT_CONFIG.finetuneBatch} per episode, ${DEFAULT_CONFIG.evalSize} validation images), ${episodes} episodes each, final stage skipped. ` +
    `Shares are of the wall time of freshly evaluated episodes (cached strategies excluded). Achieved GFLOP/s counts a training step as 3x the forward multiply-accumulates x 2. ` +
    `Measured matmul bound of this backend: ${bound.toFixed(1)} GFLOP/s (512x512 float32).\n\n` +
    table(['model', 'params', 'MMACs/image', 'episodes/min', 's/episode', 'fine-tune', 'evaluate', 'compress', 'agent', 'other', 'fine-tune samples/s', 'achieved GFLOP/s', 'of matmul bound'], rows),
);
