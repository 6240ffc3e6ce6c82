/**
 * Weight clustering (weight sharing): k centroids per tensor or per output channel, each weight replaced by its
 * nearest centroid.
 *
 * Peers: tfmot `clustering_centroids.py` (linear, random, density-based and k-means++ inits; sparsity-preserving split,
 * the "Anti Zero-Drift" PR) and Deep Compression (Han et al. 2016) for k-means weight sharing. Matched exactly:
 * the four inits, with TensorFlow's float32 `linspace` reproduced op by op for density and linear;
 * `kNeg = roundHalfEven((k - 1) * #neg / (#neg + #pos))`, `kPos = k - 1 - kNeg`, centroids
 * `[init(negatives, kNeg), 0, init(positives, kPos)]`, all-zero weights give `[0]`; the density grid gap
 * `min(0.01, min(|min|, |max|) / 2)` per side when preserving sparsity; nearest-centroid assignment, ties to the lower
 * index; k-means++ with `2 + floor(ln k)` candidates per centre, the best kept (tfmot's greedy variant).
 *
 * Deliberate differences:
 * - `clusterWeights` refines the init with Lloyd iterations (tfmot leaves centroids at their init and trains them
 *   during fine-tuning; our reward comes after a short fine-tune, so centroids should start good). In 1-D this is
 *   cheap: the weights are sorted once, a cluster is a contiguous run, its mean comes from prefix sums, so one
 *   iteration costs O(k log N). Sorted centroids stay sorted; the zero centroid never moves.
 * - k-means++ samples and scores candidates on the sorted weights, touching only the weights between the candidate's
 *   neighbouring centres, with block sums for sampling: O(N log k) per candidate round trip instead of O(N k).
 * - `clusterWeights` always returns exactly k centroids per codebook, so the storage of a clustered layer depends on
 *   its spec alone: with no more distinct values than k (a side's share), the codebook is those values, exact, padded
 *   by repeating the last one; `initCentroids('kmeans++')` refuses k above the number of distinct values, as tfmot.
 * - Distances for assignment are exact (float64 on float32 inputs); tfmot takes the argmin of float32 distances.
 * - Random choices come from seedrandom with an explicit seed (default 0): same arguments, same centroids.
 */
import seedrandom from 'seedrandom';
import { ConfigError } from '../errors.js';
import type { ClusterInit } from './types.js';
import { roundHalfEven } from './rounding.js';
import { bucketMembers, bucketsOf } from './buckets.js';

const f = Math.fround;

/** Lloyd iterations `clusterWeights` runs at most (it stops earlier when no centroid moves). */
export const DEFAULT_LLOYD_ITERATIONS = 50;

const INITS: readonly ClusterInit[] = ['linear', 'random', 'density', 'kmeans++'];

type Rng = () => number;

/** First index in [lo, hi) with xs[i] > v. */
function upperBound(xs: ArrayLike<number>, v: number, lo = 0, hi = xs.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] > v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** First index in [lo, hi) with xs[i] >= v. */
function lowerBound(xs: ArrayLike<number>, v: number, lo = 0, hi = xs.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] >= v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function sortedCopy(values: Float32Array | Float64Array): Float64Array {
  return new Float64Array(values).sort();
}

function distinctCount(xs: Float64Array): number {
  let d = xs.length > 0 ? 1 : 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] !== xs[i - 1]) d++;
  return d;
}

/** TensorFlow's float32 `linspace`: `step = (stop - start) / (num - 1)`, `start + step * i`, the last exactly `stop`. */
function tfLinspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = f(start);
    return out;
  }
  const step = f(f(stop - start) / (num - 1));
  for (let i = 0; i < num - 1; i++) out[i] = f(start + f(step * i));
  out[num - 1] = f(stop);
  return out;
}

function linearInit(xs: Float64Array, k: number): Float64Array {
  return tfLinspace(xs[0], xs[xs.length - 1], k);
}

function randomInit(xs: Float64Array, k: number, rng: Rng): Float64Array {
  const min = xs[0];
  const span = xs[xs.length - 1] - min;
  return Float64Array.from({ length: k }, () => f(min + rng() * span));
}

/** tfmot's density-based init on a 30-point CDF grid (`clustering_centroids.py`). */
function densityInit(xs: Float64Array, k: number, gap: number): Float64Array {
  const n = xs.length;
  const grid = tfLinspace(f(xs[0] - f(gap)), f(xs[n - 1] + f(gap)), 30);
  const cdf = grid.map((g) => f(upperBound(xs, g) / n));
  const targets = tfLinspace(f(0.01), 1, k);
  return targets.map((t) => grid[Math.min(upperBound(cdf, t), 29)]);
}

/** Greedy k-means++ on sorted 1-D data (needs at least k distinct values). */
function kmeansPlusPlus(xs: Float64Array, k: number, rng: Rng): Float64Array {
  const n = xs.length;
  const BLOCK = 1024;
  const out = new Float64Array(k);
  const d2 = new Float64Array(n);
  const blockSum = new Float64Array(Math.ceil(n / BLOCK));
  const centres: number[] = []; // chosen so far, ascending

  const resum = (from: number, to: number) => {
    for (let b = Math.floor(from / BLOCK); b <= Math.floor((to - 1) / BLOCK); b++) {
      let s = 0;
      for (let i = b * BLOCK; i < Math.min(n, (b + 1) * BLOCK); i++) s += d2[i];
      blockSum[b] = s;
    }
  };
  // the weights a new centre c can take over lie between the midpoints to its neighbouring centres
  const reach = (c: number): [number, number] => {
    const p = lowerBound(centres, c);
    const lo = p > 0 ? centres[p - 1] : -Infinity;
    const hi = p < centres.length ? centres[p] : Infinity;
    return [lowerBound(xs, (lo + c) / 2), upperBound(xs, (c + hi) / 2)];
  };
  const gain = (c: number): number => {
    const [s, e] = reach(c);
    let g = 0;
    for (let i = s; i < e; i++) {
      const d = xs[i] - c;
      if (d * d < d2[i]) g += d2[i] - d * d;
    }
    return g;
  };
  const sample = (r: number): number => {
    let acc = 0;
    for (let b = 0; b < blockSum.length; b++) {
      if (acc + blockSum[b] <= r) {
        acc += blockSum[b];
        continue;
      }
      for (let i = b * BLOCK; i < Math.min(n, (b + 1) * BLOCK); i++) {
        acc += d2[i];
        if (acc > r && d2[i] > 0) return i;
      }
    }
    // r at the very top of the range after rounding: the last weight that can still be drawn
    for (let i = n - 1; i >= 0; i--) if (d2[i] > 0) return i;
    return -1;
  };

  const first = xs[Math.min(n - 1, Math.floor(rng() * n))];
  out[0] = first;
  centres.push(first);
  for (let i = 0; i < n; i++) d2[i] = (xs[i] - first) ** 2;
  resum(0, n);
  const trials = 2 + Math.floor(Math.log(k));
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let b = 0; b < blockSum.length; b++) total += blockSum[b];
    let best = NaN;
    let bestGain = -1;
    for (let t = 0; t < trials; t++) {
      const idx = sample(rng() * total);
      if (idx < 0) break;
      const g = gain(xs[idx]);
      if (g > bestGain) {
        bestGain = g;
        best = xs[idx];
      }
    }
    if (Number.isNaN(best)) best = out[c - 1]; // fewer distinct values than k: callers rule this out
    out[c] = best;
    const [s, e] = reach(best);
    for (let i = s; i < e; i++) d2[i] = Math.min(d2[i], (xs[i] - best) ** 2);
    if (e > s) resum(s, e);
    centres.splice(lowerBound(centres, best), 0, best);
  }
  return out;
}

/** The init of one side (or of all weights) on sorted data. `strict`: kmeans++ refuses k > distinct values. */
function initSide(xs: Float64Array, k: number, init: ClusterInit, rng: Rng, gap: number, strict: boolean): Float64Array {
  if (k === 0) return new Float64Array(0);
  if (xs.length === 0) return new Float64Array(k);
  switch (init) {
    case 'linear':
      return linearInit(xs, k);
    case 'random':
      return randomInit(xs, k, rng);
    case 'density':
      return densityInit(xs, k, gap);
    case 'kmeans++': {
      const distinct = distinctCount(xs);
      if (strict && k > distinct) {
        throw new ConfigError(`kmeans++ needs k <= the number of distinct weights: k = ${k}, distinct = ${distinct}`);
      }
      return kmeansPlusPlus(xs, Math.min(k, distinct), rng).map(f);
    }
  }
}

function checkK(k: number, init: ClusterInit, preserveSparsity: boolean): void {
  if (!(Number.isInteger(k) && k >= 1)) throw new ConfigError(`number of clusters must be an integer >= 1, got ${k}`);
  if (!INITS.includes(init)) throw new ConfigError(`unknown cluster init '${init}': use ${INITS.join(', ')}`);
  if (preserveSparsity && k < 2) {
    throw new ConfigError(`sparsity-preserving clustering needs k >= 2 (one centroid is reserved for zero), got ${k}`);
  }
}

/** tfmot's split of k - 1 non-zero centroids between negative and positive weights (zeros count on neither side). */
export function signSplit(k: number, negatives: number, positives: number): { kNeg: number; kPos: number } {
  const kNeg = negatives + positives === 0 ? 0 : roundHalfEven(((k - 1) * negatives) / (negatives + positives));
  return { kNeg, kPos: k - 1 - kNeg };
}

/** Sorted data cut into negatives, zeros and positives (views, no copies). */
function signs(xs: Float64Array): { neg: Float64Array; pos: Float64Array } {
  return { neg: xs.subarray(0, lowerBound(xs, 0)), pos: xs.subarray(upperBound(xs, 0)) };
}

/** The density grid gap on one side when preserving sparsity: small enough never to reach zero. */
function sideGap(side: Float64Array): number {
  return side.length === 0 ? 0.01 : Math.min(0.01, Math.min(Math.abs(side[0]), Math.abs(side[side.length - 1])) / 2);
}

export interface InitOptions {
  /** Reserve a zero centroid and split the others by sign (tfmot preserve_sparsity). Default false. */
  preserveSparsity?: boolean;
  /** Seed for 'random' and 'kmeans++'. Default 0. */
  seed?: number | string;
}

/**
 * The initial centroids of tfmot's four inits, in tfmot's order (linear and density ascending; random and kmeans++ in
 * the order drawn). With `preserveSparsity`: `[init(negatives, kNeg), 0, init(positives, kPos)]`, or `[0]` for all
 * zero weights.
 */
export function initCentroids(weights: Float32Array, k: number, init: ClusterInit, opts: InitOptions = {}): Float32Array {
  const preserveSparsity = opts.preserveSparsity ?? false;
  checkK(k, init, preserveSparsity);
  if (weights.length === 0) throw new ConfigError('cannot initialise centroids of an empty tensor');
  const rng = seedrandom(String(opts.seed ?? 0));
  const xs = sortedCopy(weights);
  if (!preserveSparsity) return Float32Array.from(initSide(xs, k, init, rng, 0.01, true));
  const { neg, pos } = signs(xs);
  if (neg.length + pos.length === 0) return Float32Array.of(0);
  const { kNeg, kPos } = signSplit(k, neg.length, pos.length);
  const negC = initSide(neg, kNeg, init, rng, sideGap(neg), true);
  const posC = initSide(pos, kPos, init, rng, sideGap(pos), true);
  return Float32Array.from([...negC, 0, ...posC]);
}

/**
 * Lloyd's k-means on sorted 1-D data, in place on sorted centroids `c`. Cluster j is the run of weights in
 * (m_{j-1}, m_j] with m_j the midpoint of c_j and c_{j+1} (ties to the lower index); centroid `fixed` never moves.
 */
function lloyd(xs: Float64Array, c: Float64Array, fixed: number, iterations: number): void {
  const n = xs.length;
  const k = c.length;
  if (n === 0 || k === 0) return;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + xs[i];
  const next = new Float64Array(k);
  for (let it = 0; it < iterations; it++) {
    let start = 0;
    for (let j = 0; j < k; j++) {
      const end = j === k - 1 ? n : upperBound(xs, (c[j] + c[j + 1]) / 2, start);
      next[j] = j !== fixed && end > start ? f((prefix[end] - prefix[start]) / (end - start)) : c[j];
      start = end;
    }
    let moved = false;
    for (let j = 0; j < k; j++) {
      if (next[j] !== c[j]) moved = true;
      c[j] = next[j];
    }
    if (!moved) return;
  }
}

/**
 * One side's k centroids, ascending, refined. With no more distinct values than k the centroids are those values
 * (exact), padded by repeating the last; otherwise the init followed by Lloyd (with `anchor`, the fixed zero
 * centroid, placed at the side's inner end).
 */
function codebookSide(
  xs: Float64Array,
  k: number,
  init: ClusterInit,
  rng: Rng,
  gap: number,
  iterations: number,
  anchor: 'none' | 'after' | 'before',
): Float64Array {
  if (k === 0) return new Float64Array(0);
  if (xs.length === 0) return new Float64Array(k);
  if (distinctCount(xs) <= k) {
    const out = new Float64Array(k);
    let d = 0;
    for (let i = 0; i < xs.length; i++) if (i === 0 || xs[i] !== xs[i - 1]) out[d++] = f(xs[i]);
    out.fill(out[d - 1], d);
    return out;
  }
  const start = initSide(xs, k, init, rng, gap, false).sort();
  if (anchor === 'none') {
    lloyd(xs, start, -1, iterations);
    return start;
  }
  const withZero = anchor === 'after' ? Float64Array.from([...start, 0]) : Float64Array.from([0, ...start]);
  lloyd(xs, withZero, anchor === 'after' ? k : 0, iterations);
  return anchor === 'after' ? withZero.subarray(0, k) : withZero.subarray(1);
}

/** One codebook of exactly k ascending centroids for sorted data, and the index of its zero centroid (or -1). */
function codebookOf(
  xs: Float64Array,
  k: number,
  init: ClusterInit,
  preserveSparsity: boolean,
  rng: Rng,
  iterations: number,
): { centroids: Float64Array; zeroIndex: number } {
  if (!preserveSparsity) return { centroids: codebookSide(xs, k, init, rng, 0.01, iterations, 'none'), zeroIndex: -1 };
  const { neg, pos } = signs(xs);
  const { kNeg, kPos } = signSplit(k, neg.length, pos.length);
  const centroids = new Float64Array(k);
  centroids.set(codebookSide(neg, kNeg, init, rng, sideGap(neg), iterations, 'after'), 0);
  centroids.set(codebookSide(pos, kPos, init, rng, sideGap(pos), iterations, 'before'), kNeg + 1);
  return { centroids, zeroIndex: kNeg };
}

/** Write into `out[at + i]` the index (offset by `base`) of the centroid nearest to `values[i]`; ties to lower index. */
function assignInto(values: ArrayLike<number>, centroids: ArrayLike<number>, out: Int32Array, base: number, at: Int32Array | null): void {
  const k = centroids.length;
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => centroids[a] - centroids[b] || a - b);
  const sorted = Float64Array.from(order, (i) => centroids[i]);
  // the lowest original index among equal centroid values
  const rep = Int32Array.from(order);
  for (let p = 1; p < k; p++) if (sorted[p] === sorted[p - 1]) rep[p] = rep[p - 1];
  for (let i = 0; i < values.length; i++) {
    const w = values[i];
    const p = lowerBound(sorted, w);
    let best: number;
    if (p === 0) best = rep[0];
    else if (p === k) best = rep[k - 1];
    else {
      const below = w - sorted[p - 1];
      const above = sorted[p] - w;
      best = below < above ? rep[p - 1] : above < below ? rep[p] : Math.min(rep[p - 1], rep[p]);
    }
    out[at ? at[i] : i] = base + best;
  }
}

/** Index of the nearest centroid for each weight (ties to the lower index). Centroids may be in any order. */
export function assignClusters(weights: Float32Array, centroids: Float32Array): Int32Array {
  if (centroids.length === 0) throw new ConfigError('cannot assign weights to an empty set of centroids');
  const out = new Int32Array(weights.length);
  assignInto(weights, centroids, out, 0, null);
  return out;
}

export interface ClusterOptions extends InitOptions {
  /** Where centroids start. Default 'kmeans++'. */
  init?: ClusterInit;
  /** Lloyd iterations after the init (0 = none). Default DEFAULT_LLOYD_ITERATIONS. */
  iterations?: number;
  /** One codebook per output channel (the last axis of `shape`). Default false. */
  perChannel?: boolean;
  /** The tensor's shape; needed with `perChannel`. */
  shape?: number[];
}

export interface ClusterResult {
  /** `codebooks` codebooks of k centroids each, flat, each ascending. */
  centroids: Float32Array;
  /** Per weight, the index of its centroid in `centroids` (codebook offset included). */
  indices: Int32Array;
  /** The clustered weights: `centroids[indices[i]]`. */
  values: Float32Array;
  codebooks: number;
  /** Per codebook, the index in `centroids` of the reserved zero centroid; null without preserveSparsity. */
  zeroIndices: Int32Array | null;
}

/** Cluster a tensor into exactly k centroids per codebook (init, then Lloyd), and assign every weight. */
export function clusterWeights(weights: Float32Array, k: number, opts: ClusterOptions = {}): ClusterResult {
  const init = opts.init ?? 'kmeans++';
  const preserveSparsity = opts.preserveSparsity ?? false;
  const iterations = opts.iterations ?? DEFAULT_LLOYD_ITERATIONS;
  checkK(k, init, preserveSparsity);
  if (!(Number.isInteger(iterations) && iterations >= 0)) throw new ConfigError(`iterations must be an integer >= 0, got ${iterations}`);
  const n = weights.length;
  const buckets = bucketsOf(n, opts.shape, opts.perChannel ? 'channel' : 'none');
  const rng = seedrandom(String(opts.seed ?? 0));
  const centroids = new Float32Array(buckets.count * k);
  const indices = new Int32Array(n);
  const zeroIndices = preserveSparsity ? new Int32Array(buckets.count) : null;
  const members = buckets.ids ? bucketMembers(n, buckets) : null;
  for (let g = 0; g < buckets.count; g++) {
    const group = members ? Float32Array.from(members[g], (i) => weights[i]) : weights;
    const book = codebookOf(sortedCopy(group), k, init, preserveSparsity, rng, iterations);
    centroids.set(book.centroids, g * k);
    if (zeroIndices) zeroIndices[g] = g * k + book.zeroIndex;
    assignInto(group, centroids.subarray(g * k, (g + 1) * k), indices, g * k, members ? members[g] : null);
  }
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = centroids[indices[i]];
  return { centroids, indices, values, codebooks: buckets.count, zeroIndices };
}
