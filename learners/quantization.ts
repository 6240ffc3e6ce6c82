/**
 * Uniform (affine) and non-uniform quantization of weights.
 *
 * Peer: PocketFlow's UniformQuantLearner and NonUniformQuantLearner. Uniform, per bucket:
 * `q = round((w - beta) / alpha * (2^b - 1))`, `w_hat = q / (2^b - 1) * alpha + beta`; alpha and beta are stored as
 * float32, and both quantizing and dequantizing use the stored float32 values, so a packed file decodes to exactly the
 * weights computed here. Non-uniform: 2^b points per bucket, from a linear spacing or from k-means (this file reuses
 * `clustering.ts`); the points are stored in float32.
 *
 * How a bucket's range (alpha, beta) is chosen, `QuantRange` (types.ts):
 * - 'minmax': PocketFlow's `alpha = max - min`, `beta = min`. Every level is spent inside the data's extremes, so one
 *   far weight stretches the grid for all the others, and at 1 bit every weight jumps to the min or the max.
 * - 'mse' (the default): the range with the least squared error over the bucket's kept weights.
 *   - 1 bit is a sign binarizer with one scale per bucket (BinaryConnect, Courbariaux et al. 2015; XNOR-Net, Rastegari
 *     et al. 2016): `w_hat = sign(w) * s`, `s = mean |w|`, which is the least-squares scale for sign codes (XNOR-Net
 *     eq. 2). Stored as the affine pair `beta = -s`, `alpha = 2s`: code 0 decodes to -s, code 1 to +s, so the format,
 *     the decoder and the size accounting are those of any 1-bit bucket. An unpruned exact zero (+0 or -0) gets code
 *     1, +s: BinaryConnect's `+1 if w >= 0` (a 1-bit grid has no zero; pruned weights are masked and stay exactly 0).
 *     It is not the unconstrained two-level optimum (2-means, whose levels may share a sign): the sign is kept.
 *   - 2..8 bits clip: the grid's ends move inside [min, max] when that lowers the squared error, as MSE-optimal
 *     clipping does (ACIQ, Banner et al. 2019, solves it analytically for an assumed Gaussian or Laplace; PyTorch's
 *     HistogramObserver and TensorRT's MSE calibrator search it on a histogram). We search, assuming no distribution:
 *     1. one pass builds a histogram of the bucket (count, sum and sum of squares per bin, prefix-summed), which prices
 *        a candidate range in O(2^b): a bin goes to the level nearest its centre (a bucket with no more weights than
 *        levels is priced on its weights instead);
 *     2. a coarse grid of (lo, hi), lo in [min, mean] and hi in [mean, max], then a finer grid within one coarse step
 *        of the best, picks a range; the grid shrinks for small buckets and many levels so that pricing costs about 8
 *        cells a weight (at least 1024 a bucket);
 *     3. one Lloyd-style step (codes fixed, alpha and beta refitted by least squares; Lloyd 1982 on a uniform grid)
 *        refines it on the exact weights; of the min-max, the picked and the refitted range, the one with the least
 *        exact squared error (the very codes and float32 decode used below) wins, ties to min-max.
 *     So at 2..8 bits 'mse' is never worse than 'minmax' on a bucket. Cost: 7 passes over the bucket (gather,
 *     min/max, histogram, 3 exact scores, the codes) plus the capped grid: O(n) for any bucketing, deterministic.
 *   Deliberate differences: ACIQ's clip is symmetric and from a fitted prior, ours is asymmetric and from the data;
 *   the histogram only ranks candidates, the final choice is scored exactly. The 1-bit binarizer is not always below
 *   min-max (an all-positive bucket [1, 2] is exact under min-max, 0.5 off binarized): it keeps every weight's sign.
 *
 * Choices and deliberate differences:
 * - Rounding is half to even (`roundHalfEven`, as `tf.round` and tfmot), not JavaScript's half up. Arithmetic is in
 *   float64 on the float32 inputs, the result rounded once to float32; PocketFlow computes in float32.
 * - 1..8 bits are affine; 16 bits means fp16 storage (values rounded to the nearest fp16, codes are the fp16 bit
 *   patterns); 32 bits means float32, unchanged. PocketFlow only knows the affine case.
 * - A constant bucket (alpha = 0) has every code 0 and decodes to beta exactly (PocketFlow divides by zero).
 * - Codes are clamped to [0, 2^b - 1]: alpha rounded to float32 can fall a hair below max - min, and a clipped range
 *   leaves weights outside it.
 * - With a `mask` only the kept weights are quantized and set the ranges; pruned weights stay exactly 0 with code 0
 *   (tfmot PCQAT keeps the pruning mask through quantization). A bucket with no kept weight stores alpha = beta = 0.
 * - 'split' buckets are not padded (see buckets.ts).
 */
import { ConfigError } from '../errors.js';
import type { Bucket, QuantRange } from './types.js';
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

/** The largest affine code at `bits` (1..8): 2^b - 1. A shift, because `2 ** bits` here was the quantizer's hot spot. */
export function uniformLevels(bits: number): number {
  return (1 << bits) - 1;
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

/** A bucket's float32 affine range: levels `beta + q / (2^b - 1) * alpha`, q = 0 .. 2^b - 1. */
export interface AffineRange {
  alpha: number;
  beta: number;
}

const QUANT_RANGES: readonly QuantRange[] = ['mse', 'minmax'];

/** A range rule (LayerSpec.quantRange, QuantizeOptions.quantRange) is 'mse', 'minmax' or absent (= 'mse'). */
export function checkQuantRange(rule: unknown): asserts rule is QuantRange | undefined {
  if (rule !== undefined && !QUANT_RANGES.includes(rule as QuantRange)) {
    throw new ConfigError(`quantRange must be 'mse' or 'minmax', got '${String(rule)}'`);
  }
}

/**
 * The float32 range of one bucket, `values` (its kept weights, contiguous), at `bits` (1..8) under `rule`; alpha =
 * beta = 0 when empty. 'minmax': PocketFlow's max - min and min. 'mse': at 1 bit the binarizer's `alpha = 2s`,
 * `beta = -s` with s = mean |w|; at 2..8 bits the clipped range of least squared error (see the file head).
 */
export function uniformRange(values: ArrayLike<number>, bits: number, rule: QuantRange = 'mse'): AffineRange {
  const m = values.length;
  if (m === 0) return { alpha: 0, beta: 0 };
  if (rule === 'mse' && bits === 1) return binaryRange(values);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let j = 0; j < m; j++) {
    const v = values[j];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const minmax = { alpha: f(max - min), beta: f(min) };
  if (rule === 'minmax' || minmax.alpha === 0) return minmax;
  return mseRange(values, bits, min, max, sum / m, minmax);
}

/** XNOR-Net's scale: the least-squares s for sign codes is mean |w|; stored as beta = -s, alpha = 2s. */
function binaryRange(values: ArrayLike<number>): AffineRange {
  let sum = 0;
  for (let j = 0; j < values.length; j++) sum += Math.abs(values[j]);
  const s = f(sum / values.length);
  return s === 0 ? { alpha: 0, beta: 0 } : { alpha: f(2 * s), beta: -s };
}

/** The binarizer's code: 1 (+s) for w >= 0, +0 and -0 included (BinaryConnect), else 0 (-s); 0 in an all-zero bucket. */
function binaryCode(w: number, alpha: number): number {
  return alpha !== 0 && w >= 0 ? 1 : 0;
}

// Histogram of the bucket being searched: prefix sums of count, sum and sum of squares over bins. Reused between
// calls (the search is synchronous and these never escape it) so per-channel buckets do not allocate each time.
const MIN_BINS = 16;
const MAX_BINS = 2048;
const histCount = new Float64Array(MAX_BINS + 1);
const histSum = new Float64Array(MAX_BINS + 1);
const histSquares = new Float64Array(MAX_BINS + 1);

/** Coarse grid: COARSE x COARSE (lo, hi) pairs; fine grid: (2 FINE + 1)^2 around the best, within one coarse step. */
const COARSE = 12;
const FINE = 4;

function mseRange(values: ArrayLike<number>, bits: number, min: number, max: number, mean: number, minmax: AffineRange): AffineRange {
  const m = values.length;
  const levels = uniformLevels(bits);
  // 1. a price for any candidate lo..hi: on the weights themselves when the bucket has no more weights than the grid
  // has levels, else on a histogram of B bins over [min, max] whose prefix sums make a level's share O(1)
  const estimate =
    m <= levels + 1 ? (lo: number, hi: number) => gridError(values, lo, hi, levels) : histogramPricer(values, min, max, levels);
  // 2. grid search, its size capped so that pricing costs about 8 weights' or cells' worth a weight (at least 1024 in
  // all, so that a small bucket or codebook is still searched)
  const affordable = Math.max(1024, 8 * m) / Math.min(m, levels + 1);
  const coarse = Math.max(2, Math.min(COARSE, Math.floor(Math.sqrt(affordable / 2))));
  const fine = Math.max(1, Math.min(FINE, Math.floor(coarse / 3)));
  const loStep = (mean - min) / coarse;
  const hiStep = (max - mean) / coarse;
  let bestLo = min;
  let bestHi = max;
  let best = estimate(min, max);
  const consider = (lo: number, hi: number) => {
    if (!(lo >= min && hi <= max && lo < hi)) return;
    const e = estimate(lo, hi);
    if (e < best) {
      best = e;
      bestLo = lo;
      bestHi = hi;
    }
  };
  for (let i = 0; i < coarse; i++) for (let j = i === 0 ? 1 : 0; j < coarse; j++) consider(min + i * loStep, max - j * hiStep);
  const lo0 = bestLo;
  const hi0 = bestHi;
  for (let i = -fine; i <= fine; i++) {
    for (let j = -fine; j <= fine; j++) if (i !== 0 || j !== 0) consider(lo0 + (i * loStep) / fine, hi0 + (j * hiStep) / fine);
  }
  // 3. exact scores: min-max, the picked range, and one least-squares refit of it; ties go to min-max
  let chosen = minmax;
  let chosenError = affineError(values, minmax, bits).error;
  const picked = { alpha: f(bestHi - bestLo), beta: f(bestLo) };
  if (picked.alpha !== minmax.alpha || picked.beta !== minmax.beta) {
    const p = affineError(values, picked, bits);
    if (p.error < chosenError) {
      chosen = picked;
      chosenError = p.error;
    }
    if (p.refit && p.refit.alpha > 0) {
      const r = affineError(values, p.refit, bits);
      if (r.error < chosenError) chosen = p.refit;
    }
  }
  return chosen;
}

/** Squared error of `values` on the grid of `levels` + 1 levels from lo to hi (float64, nearest level). */
function gridError(values: ArrayLike<number>, lo: number, hi: number, levels: number): number {
  const step = (hi - lo) / levels;
  let error = 0;
  for (let j = 0; j < values.length; j++) {
    const q = Math.min(levels, Math.max(0, Math.round((values[j] - lo) / step)));
    const d = values[j] - (lo + q * step);
    error += d * d;
  }
  return error;
}

/**
 * A histogram of `values` (B bins over [min, max]: prefix sums of count, sum and sum of squares) and its price of a
 * grid lo..hi: each bin goes to the level nearest its centre, so a level's bins are one run and cost
 * sum(w^2) - 2 v sum(w) + v^2 count, O(2^b) a candidate. Exact for bins inside one level's cell.
 */
function histogramPricer(values: ArrayLike<number>, min: number, max: number, levels: number): (lo: number, hi: number) => number {
  const m = values.length;
  const B = Math.min(MAX_BINS, Math.max(MIN_BINS, m));
  const C = histCount.fill(0, 0, B + 1);
  const S = histSum.fill(0, 0, B + 1);
  const Q = histSquares.fill(0, 0, B + 1);
  const width = (max - min) / B;
  const perBin = B / (max - min);
  for (let j = 0; j < m; j++) {
    const v = values[j];
    const k = Math.min(B - 1, Math.floor((v - min) * perBin)) + 1;
    C[k]++;
    S[k] += v;
    Q[k] += v * v;
  }
  for (let k = 1; k <= B; k++) {
    C[k] += C[k - 1];
    S[k] += S[k - 1];
    Q[k] += Q[k - 1];
  }
  return (lo, hi) => {
    const step = (hi - lo) / levels;
    let error = 0;
    let from = 0;
    for (let q = 0; q <= levels; q++) {
      let to = B;
      if (q < levels) {
        // the first bin whose centre min + (k + 0.5) width lies above the cell's upper edge lo + (q + 0.5) step
        to = Math.floor((lo + (q + 0.5) * step - min) / width - 0.5) + 1;
        to = to < from ? from : to > B ? B : to;
      }
      if (to > from) {
        const v = lo + q * step;
        error += Q[to] - Q[from] - 2 * v * (S[to] - S[from]) + v * v * (C[to] - C[from]);
      }
      from = to;
    }
    return error;
  };
}

/**
 * The exact squared error of quantizing `values` to `range` (the codes and float32 decode of `quantizeUniform`), and
 * the range that least squares fits to these codes: w ~ beta + alpha * q / (2^b - 1).
 */
function affineError(values: ArrayLike<number>, range: AffineRange, bits: number): { error: number; refit: AffineRange | null } {
  const { alpha, beta } = range;
  const levels = uniformLevels(bits);
  const m = values.length;
  let error = 0;
  let st = 0;
  let stt = 0;
  let sw = 0;
  let swt = 0;
  for (let j = 0; j < m; j++) {
    const w = values[j];
    const q = uniformCode(w, alpha, beta, bits);
    const d = w - dequantizeUniform(q, alpha, beta, bits);
    error += d * d;
    const t = q / levels;
    st += t;
    stt += t * t;
    sw += w;
    swt += w * t;
  }
  const det = m * stt - st * st;
  if (!(det > 0)) return { error, refit: null };
  const a = (m * swt - st * sw) / det;
  const refit = { alpha: f(a), beta: f((sw - a * st) / m) };
  return { error, refit: Number.isFinite(refit.alpha) && Number.isFinite(refit.beta) ? refit : null };
}

/**
 * Quantize one bucket, `values[members]`, at 1..8 bits under `rule`: each member's code and dequantized value go to
 * its own position in `codes` and `out`; returns the bucket's range. The one affine quantizer: `quantizeUniform` runs
 * it per bucket, `quantizeCodebook` (compress-layer.ts) per codebook. `scratch` (at least members.length long) saves
 * an allocation per bucket.
 */
export function quantizeBucket(
  values: ArrayLike<number>,
  members: ArrayLike<number>,
  bits: number,
  rule: QuantRange,
  codes: Uint8Array,
  out: Float32Array,
  scratch: Float32Array = new Float32Array(members.length),
): AffineRange {
  const m = members.length;
  const x = scratch.subarray(0, m);
  for (let j = 0; j < m; j++) x[j] = values[members[j]];
  const range = uniformRange(x, bits, rule);
  const { alpha, beta } = range;
  const binary = rule === 'mse' && bits === 1;
  for (let j = 0; j < m; j++) {
    const code = binary ? binaryCode(x[j], alpha) : uniformCode(x[j], alpha, beta, bits);
    codes[members[j]] = code;
    out[members[j]] = dequantizeUniform(code, alpha, beta, bits);
  }
  return range;
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
  /** How each bucket's range is chosen at 1..8 bits. Default 'mse'; 'minmax' is PocketFlow's rule. */
  quantRange?: QuantRange;
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

/** Uniform (affine) quantization per bucket: PocketFlow's, with the range rule of `opts.quantRange` (default 'mse'). */
export function quantizeUniform(weights: Float32Array, bits: number, opts: QuantizeOptions = {}): UniformQuantResult {
  checkBits(bits);
  checkQuantRange(opts.quantRange);
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
  const scratch = new Float32Array(members.reduce((a, m) => Math.max(a, m.length), 0));
  for (let b = 0; b < buckets.count; b++) {
    const { alpha, beta } = quantizeBucket(weights, members[b], bits, opts.quantRange ?? 'mse', codes, values, scratch);
    scales[2 * b] = alpha;
    scales[2 * b + 1] = beta;
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
