/**
 * The clock of latency timing: blocks of back-to-back calls, each awaited to its data (what a page waits for), and
 * whole models timed side by side in interleaved rounds. A block is as many calls as fill about BLOCK_MS (one call of a
 * small op lasts microseconds, near the timer's own cost) and gives the mean call of the block.
 */
import * as tf from '../tfjs.js';
import { inputEmbedding } from './layers.js';

/** Blocks per model when whole models are timed. */
export const MODEL_REPEATS = 41;
/** Warm-up calls before an entry or a model is timed (the first calls of a shape pay for its setup). */
export const WARMUP = 3;
/** The least a block of calls lasts, in ms. */
const BLOCK_MS = 2;
/** The most calls in a block. */
const MAX_BLOCK = 64;

export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One call of `run`, awaited to its data; its milliseconds. */
export async function once(run: () => tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const y = run();
  await y.data();
  const ms = performance.now() - t0;
  y.dispose();
  return ms;
}

/** The mean ms of `calls` back-to-back calls of `run`. */
export async function block(run: () => tf.Tensor, calls: number): Promise<number> {
  const t0 = performance.now();
  for (let c = 0; c < calls; c++) {
    const y = run();
    await y.data();
    y.dispose();
  }
  return (performance.now() - t0) / calls;
}

/** Calls per block for a call of about `ms`: enough to last BLOCK_MS. */
export function blockSize(ms: number): number {
  return Math.max(1, Math.min(MAX_BLOCK, Math.ceil(BLOCK_MS / Math.max(ms, 1e-3))));
}

/** The mean call of each of `repeats` blocks of `run`, after the warm-up. */
export async function timeCalls(run: () => tf.Tensor, repeats: number): Promise<number[]> {
  let ms = Infinity;
  for (let w = 0; w < WARMUP; w++) ms = Math.min(ms, await once(run));
  const calls = blockSize(ms);
  const out: number[] = [];
  for (let r = 0; r < repeats; r++) out.push(await block(run, calls));
  return out;
}

/** A random input batch for `model`: token ids below the table size when an Embedding reads the input (a negative or
 * fractional id is no row of it), else normal values. The caller disposes it. */
export function randomInput(model: tf.LayersModel, batch: number): tf.Tensor {
  const shape = model.inputs[0].shape.slice(1) as number[];
  const embedding = inputEmbedding(model);
  if (!embedding) return tf.randomNormal([batch, ...shape]);
  return tf.tidy(() => tf.randomUniform([batch, ...shape], 0, embedding.rows).floor());
}

/**
 * Whole models timed a block at a time, each `tick` timing one block of every model in turn (every other tick in the
 * reverse order): the caller spreads the
 * ticks over a longer measurement (the latency table's rounds) so each model's fastest block is taken over all of it.
 * A tick with `record` false only warms the models up (after other work has filled the caches). The caller disposes it.
 */
export async function modelClock(models: tf.LayersModel[], batch: number): Promise<{ tick: (record?: boolean) => Promise<void>; calls: number[][]; dispose: () => void }> {
  const inputs = models.map((m) => randomInput(m, batch));
  const runs = models.map((m, k) => () => m.predict(inputs[k]) as tf.Tensor);
  const calls = models.map(() => [] as number[]);
  const sizes: number[] = [];
  try {
    for (const run of runs) {
      let ms = Infinity;
      for (let w = 0; w < WARMUP + 2; w++) ms = Math.min(ms, await once(run));
      sizes.push(blockSize(ms));
    }
  } catch (e) {
    inputs.forEach((x) => x.dispose());
    throw e;
  }
  // every other tick in the reverse order, so no model is always the one timed first (on cold caches) or last
  let ticks = 0;
  const tick = async (record = true) => {
    const order = runs.map((_, k) => k);
    if (ticks++ % 2) order.reverse();
    const ms: number[] = [];
    for (const k of order) ms[k] = await block(runs[k], sizes[k]);
    if (record) ms.forEach((m, k) => calls[k].push(m));
  };
  return { tick, calls, dispose: () => inputs.forEach((x) => x.dispose()) };
}

/**
 * Median ms of one predict call of each model, timed side by side: each round times a block of every model in turn,
 * so a slow spell of the machine falls on all of them alike. Returns every block's mean call too, for the noise.
 */
export async function timeModels(models: tf.LayersModel[], batch: number, rounds = MODEL_REPEATS): Promise<Array<{ medianMs: number; minMs: number; calls: number[] }>> {
  const clock = await modelClock(models, batch);
  try {
    for (let r = 0; r < rounds; r++) await clock.tick();
  } finally {
    clock.dispose();
  }
  return clock.calls.map((c) => ({ medianMs: median(c), minMs: Math.min(...c), calls: c }));
}
