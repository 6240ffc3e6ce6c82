/**
 * Uniform (affine) and non-uniform quantization of weights.
 *
 * Peer: PocketFlow's UniformQuantLearner and NonUniformQuantLearner (REFERENCE.md 3). Uniform, per bucket:
 * `alpha = max - min`, `beta = min`, `q = round((w - beta) / alpha * (2^b - 1))`, `w_hat = q / (2^b - 1) * alpha + beta`;
 * alpha and beta are stored as float32, and both quantizing and dequantizing use the stored float32 values, so a
 * packed file decodes to exactly the weights computed here. Non-uniform: 2^b points per bucket, from a linear spacing
 * or from k-means (this file reuses `clustering.ts`); the points are stored in float32.
 *
 * Choices and deliberate differences:
 * - Rounding is half to even (`roundHalfEven`, as `tf.round` and tfmot), not JavaScript's half up. Arithmetic is in
 *   float64 on the float32 inputs, the result rounded once to float32; PocketFlow computes in float32.
 * - 1..8 bits are affine; 16 bits means fp16 storage (values rounded to the nearest fp16, codes are the fp16 bit
 *   patterns); 32 bits means float32, unchanged. PocketFlow only knows the affine case.
 * - A constant bucket (alpha = 0) has every code 0 and decodes to beta exactly (PocketFlow divides by zero).
 * - Codes are clamped to [0, 2^b - 1]: alpha rounded to float32 can fall a hair below max - min.
 * - With a `mask` only the kept weights are quantized and set the ranges; pruned weights stay exactly 0 with code 0
 *   (tfmot PCQAT keeps the pruning mask through quantization). A bucket with no kept weight stores alpha = beta = 0.
 * - 'split' buckets are not padded (see buckets.ts).
 */
import { ConfigError } from '../errors.js';
import type { Bucket } from './types.js';
import { float16BitsToFloat32, float32ToFloat16Bits, roundHalfEven } from './rounding.js';
import { bucketMembers, bucketsOf } from './buckets.js';
import { clusterWeights } from './clustering.js';

const f = Math.fround;

/** Bit widths a layer may use: affine 1..8, fp16, fp32. */
export function checkBits(bits: number): void {
  if (!((Number.isInteger(bits) && bits >= 1 && bits <= 8) || bits === 16 || bits === 32)) {
    throw new ConfigError(`bits must be 1..8 (affine), 16 (fp16) or 32 (fp32), got ${bits}`);
  }
}

/** The largest affine code at `bits`: 2^b - 1. */
export function uniformLevels(bits: number): number {
  return 2 ** bits - 1;
}

/** The affine code of `w` in a bucket with float32 `alpha`, `beta`. */
export function uniformCode(w: number, alpha: number, beta: number, bits: number): number {
  if (alpha === 0) return 0;
  const levels = uniformLevels(bits);
  return Math.min(levels, Math.max(0, roundHalfEven(((w - beta) / alpha) * levels)));
}

/** The float32 value of an affine code: `q / (2^b - 1) * alpha + beta`. The one decoder, for compress and unpack. */
export function dequantizeUniform(code: number, alpha: number, beta: number, bits: number): number {
  return f((code / uniformLevels(bits)) * alpha + beta);
}

/** float32 alpha = max - min and beta = min over `values[members]` (0, 0 when empty). */
export function uniformRange(values: ArrayLike<number>, members: ArrayLike<number> | null): { alpha: number; beta: number } {
  const count = members ? members.length : values.length;
  if (count === 0) return { alpha: 0, beta: 0 };
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < count; j++) {
    const v = values[members ? members[j] : j];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { alpha: f(max - min), beta: f(min) };
}

export interface QuantizeOptions {
  /** Default 'none'. */
  bucket?: Bucket;
  /** Bucket size for 'split'. */
  bucketSize?: number;
  /** The tensor's shape, needed for 'channel' (one bucket per last-axis entry). */
  shape?: number[];
  /** 1 = kept, 0 = pruned: pruned weights are left out of the ranges and come out exactly 0. */
  mask?: Uint8Array | null;
}

export interface UniformQuantResult {
  /** Dequantized weights. */
  values: Float32Array;
  /** Per weight: the affine code (Uint8Array, bits <= 8), the fp16 bit pattern (Uint16Array, bits = 16), or null (32). */
  codes: Uint8Array | Uint16Array | null;
  /** [alpha, beta] per bucket, float32 (empty for 16 and 32 bits). */
  scales: Float32Array;
  bits: number;
  buckets: number;
}

/** PocketFlow's uniform quantization, per bucket. */
export function quantizeUniform(weights: Float32Array, bits: number, opts: QuantizeOptions = {}): UniformQuantResult {
  checkBits(bits);
  const n = weights.length;
  const mask = opts.mask ?? null;
  if (mask && mask.length !== n) throw new ConfigError(`mask has ${mask.length} entries for ${n} weights`);
  const buckets = bucketsOf(n, opts.shape, opts.bucket ?? 'none', opts.bucketSize);
  const values = new Float32Array(n);
  if (bits === 32) {
    for (let i = 0; i < n; i++) values[i] = !mask || mask[i] ? weights[i] : 0;
    return { values, codes: null, scales: new Float32Array(0), bits, buckets: buckets.count };
  }
  if (bits === 16) {
    const codes = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      if (mask && !mask[i]) continue;
      codes[i] = float32ToFloat16Bits(weights[i]);
      values[i] = float16BitsToFloat32(codes[i]);
    }
    return { values, codes, scales: new Float32Array(0), bits, buckets: buckets.count };
  }
  const codes = new Uint8Array(n);
  const scales = new Float32Array(2 * buckets.count);
  const members = bucketMembers(n, buckets, mask);
  for (let b = 0; b < buckets.count; b++) {
    const { alpha, beta } = uniformRange(weights, members[b]);
    scales[2 * b] = alpha;
    scales[2 * b + 1] = beta;
    for (const i of members[b]) {
      codes[i] = uniformCode(weights[i], alpha, beta, bits);
      values[i] = dequantizeUniform(codes[i], alpha, beta, bits);
    }
  }
  return { values, codes, scales, bits, buckets: buckets.count };
}

export interface NonUniformOptions extends QuantizeOptions {
  /** 'linear': evenly spaced from min to max; 'kmeans': k-means++ then Lloyd (PocketFlow's two inits). Default 'kmeans'. */
  init?: 'linear' | 'kmeans';
  /** Seed for k-means++. Default 0. */
  seed?: number | string;
  /** Lloyd iterations for 'kmeans'. */
  iterations?: number;
}

export interface NonUniformQuantResult {
  /** 2^b points per bucket, flat, each bucket ascending. */
  points: Float32Array;
  /** Per weight, its point's index in `points` (bucket offset included); the bucket's first point where pruned. */
  indices: Int32Array;
  /** `points[indices[i]]`, or 0 where pruned. */
  values: Float32Array;
  bits: number;
  buckets: number;
}

/** PocketFlow's non-uniform quantization: 2^b float32 points per bucket, each weight mapped to its nearest point. */
export function quantizeNonUniform(weights: Float32Array, bits: number, opts: NonUniformOptions = {}): NonUniformQuantResult {
  checkBits(bits);
  if (bits > 8) throw new ConfigError(`non-uniform quantization takes 1..8 bits (2^b points), got ${bits}`);
  const init = opts.init ?? 'kmeans';
  if (init !== 'linear' && init !== 'kmeans') throw new ConfigError(`non-uniform init must be 'linear' or 'kmeans', got '${init as string}'`);
  const n = weights.length;
  const mask = opts.mask ?? null;
  if (mask && mask.length !== n) throw new ConfigError(`mask has ${mask.length} entries for ${n} weights`);
  const buckets = bucketsOf(n, opts.shape, opts.bucket ?? 'none', opts.bucketSize);
  const size = 2 ** bits;
  const points = new Float32Array(buckets.count * size);
  const indices = new Int32Array(n);
  const values = new Float32Array(n);
  const members = bucketMembers(n, buckets, mask);
  if (mask) for (let i = 0; i < n; i++) if (!mask[i]) indices[i] = (buckets.ids ? buckets.ids[i] : 0) * size;
  for (let b = 0; b < buckets.count; b++) {
    const group = Float32Array.from(members[b], (i) => weights[i]);
    if (group.length === 0) continue; // an all-pruned bucket: points 0, nothing refers to them
    const c = clusterWeights(group, size, {
      init: init === 'linear' ? 'linear' : 'kmeans++',
      iterations: init === 'linear' ? 0 : opts.iterations,
      seed: `${opts.seed ?? 0}:${b}`,
    });
    points.set(c.centroids, b * size);
    members[b].forEach((i, j) => {
      indices[i] = b * size + c.indices[j];
      values[i] = c.values[j];
    });
  }
  return { points, indices, values, bits, buckets: buckets.count };
}
