/**
 * Which channels of a group to keep, and how to refit the layer that reads them: plain Float32Array/Float64Array math,
 * no tfjs (the env samples the feature maps, this file only sees matrices).
 *
 * Peers: He, Zhang and Sun, "Channel Pruning for Accelerating Very Deep Neural Networks" (ICCV 2017), and PocketFlow's
 * ChannelPrunedLearner, which follows it; L1 filter norms as in Li et al. 2017 ("Pruning Filters for Efficient
 * ConvNets").
 *
 * The consumer of a channel group is a linear map y = x W (a conv seen on im2col patches, or a dense layer) with
 * x of width d and W of shape [d, o]. Every input position i belongs to one channel `channelOf[i]` of the group, or
 * to none (-1: fixed positions, e.g. other groups of a concatenation). With Z_c = X_c W_c, the part of the output
 * carried by channel c, He et al. choose beta minimising
 *     ||Y - sum_c beta_c Z_c||^2 + lambda ||beta||_1
 * and keep the channels with beta_c != 0. Everything the LASSO needs is the Gram form G = Z^T Z (c x c), b = Z^T Y,
 * so the solver is small whatever the number of samples.
 *
 * Deliberate differences from He et al. / PocketFlow:
 * - They alternate LASSO and least squares a few times with ||W_c|| normalised; we solve the LASSO once (ISTA, warm
 *   started along a binary search on lambda, on a log scale) and refit once. When the search cannot land on exactly
 *   c' non-zeros (ties, dead channels), the c' largest |beta| at the tightest lambda with more non-zeros are kept;
 *   the result says whether the count was hit exactly.
 * - The fixed positions' contribution is subtracted from Y before the LASSO, so channels outside the group never
 *   compete for beta.
 * - The refit is ridge regression with a tiny ridge relative to the mean diagonal (default 1e-6), solved by Cholesky in
 *   float64, so a rank-deficient sample (dead ReLU channels, few images) still gives an answer.
 */
import { ConfigError } from '../errors.js';

/** Sum of |w| per index of `axis` of a row-major tensor (the L1 norm of each output filter when axis is the last). */
export function channelL1Norms(weights: Float32Array, shape: number[], axis: number): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== weights.length) throw new ConfigError(`shape [${shape}] holds ${n} weights but ${weights.length} were given`);
  const ax = axis < 0 ? shape.length + axis : axis;
  if (ax < 0 || ax >= shape.length) throw new ConfigError(`axis ${axis} is outside shape [${shape}]`);
  const size = shape[ax];
  const inner = shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const norms = new Float64Array(size);
  for (let i = 0; i < n; i++) norms[Math.floor(i / inner) % size] += Math.abs(weights[i]);
  return norms;
}

/** The indices of the `k` largest scores, in ascending index order; ties go to the lower index. */
export function topChannels(scores: ArrayLike<number>, k: number): Int32Array {
  if (!(Number.isInteger(k) && k >= 0 && k <= scores.length)) throw new ConfigError(`cannot keep ${k} of ${scores.length} channels`);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  return Int32Array.from(order.slice(0, k)).sort();
}

/** A channel-selection problem in Gram form (see the file head). */
export interface ChannelProblem {
  channels: number;
  /** Z^T Z, channels x channels, row-major. */
  gram: Float64Array;
  /** Z^T Y' where Y' is Y minus the fixed positions' contribution. */
  b: Float64Array;
  /** ||Y'||^2. */
  yy: number;
}

/**
 * Build the problem from sampled consumer inputs `x` [n, d], the consumer's weights `w` [d, o] and the target
 * outputs `y` [n, o] (all row-major). `channelOf[i]` is the group channel of input position i, or -1.
 */
export function channelProblem(
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  dims: { n: number; d: number; o: number },
  channelOf: Int32Array,
  channels: number,
): ChannelProblem {
  const { n, d, o } = dims;
  if (x.length !== n * d || w.length !== d * o || y.length !== n * o || channelOf.length !== d) {
    throw new ConfigError(`channel problem shapes disagree: x ${x.length} (n*d = ${n * d}), w ${w.length} (d*o = ${d * o}), y ${y.length} (n*o = ${n * o}), channelOf ${channelOf.length}`);
  }
  // z[c][r*o + j]: channel c's share of output j for sample r; target = y minus the fixed positions' share
  const z = Array.from({ length: channels }, () => new Float64Array(n * o));
  const target = Float64Array.from(y);
  for (let r = 0; r < n; r++) {
    const row = r * o;
    for (let i = 0; i < d; i++) {
      const xv = x[r * d + i];
      if (xv === 0) continue;
      const c = channelOf[i];
      const wi = i * o;
      if (c >= 0) {
        const zc = z[c];
        for (let j = 0; j < o; j++) zc[row + j] += xv * w[wi + j];
      } else {
        for (let j = 0; j < o; j++) target[row + j] -= xv * w[wi + j];
      }
    }
  }
  const gram = new Float64Array(channels * channels);
  const b = new Float64Array(channels);
  for (let a = 0; a < channels; a++) {
    b[a] = dot(z[a], target);
    for (let c = a; c < channels; c++) gram[a * channels + c] = gram[c * channels + a] = dot(z[a], z[c]);
  }
  return { channels, gram, b, yy: dot(target, target) };
}

/** Sum of problems over the same channels, each scaled by 1 / ||Y'||^2 so several consumers weigh the same. */
export function combineProblems(problems: ChannelProblem[]): ChannelProblem {
  if (problems.length === 0) throw new ConfigError('no channel problem to combine');
  const channels = problems[0].channels;
  const gram = new Float64Array(channels * channels);
  const b = new Float64Array(channels);
  let yy = 0;
  for (const p of problems) {
    if (p.channels !== channels) throw new ConfigError(`cannot combine problems over ${channels} and ${p.channels} channels`);
    const s = p.yy > 0 ? 1 / p.yy : 1;
    for (let i = 0; i < gram.length; i++) gram[i] += s * p.gram[i];
    for (let i = 0; i < channels; i++) b[i] += s * p.b[i];
    yy += s * p.yy;
  }
  return { channels, gram, b, yy };
}

export interface IstaOptions {
  /** Warm start (copied, not modified). */
  beta0?: Float64Array;
  maxIterations?: number;
  /** Stop when no beta moves by more than tolerance x max |beta|. */
  tolerance?: number;
}

/** The LASSO objective ||Y' - Z beta||^2 + lambda ||beta||_1 in Gram form. */
export function lassoObjective(p: ChannelProblem, beta: Float64Array, lambda: number): number {
  const c = p.channels;
  let quad = 0;
  let lin = 0;
  let l1 = 0;
  for (let i = 0; i < c; i++) {
    let gi = 0;
    for (let j = 0; j < c; j++) gi += p.gram[i * c + j] * beta[j];
    quad += beta[i] * gi;
    lin += beta[i] * p.b[i];
    l1 += Math.abs(beta[i]);
  }
  return p.yy - 2 * lin + quad + lambda * l1;
}

/** Largest eigenvalue of the (symmetric, PSD) Gram matrix by power iteration. */
function largestEigenvalue(gram: Float64Array, c: number): number {
  let v = new Float64Array(c).fill(1 / Math.sqrt(c));
  let lambda = 0;
  for (let it = 0; it < 200; it++) {
    const next = new Float64Array(c);
    for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) next[i] += gram[i * c + j] * v[j];
    const norm = Math.sqrt(dot(next, next));
    if (norm === 0) return 0;
    for (let i = 0; i < c; i++) next[i] /= norm;
    const converged = Math.abs(norm - lambda) <= 1e-10 * norm;
    lambda = norm;
    v = next;
    if (converged) break;
  }
  return lambda;
}

/**
 * ISTA (proximal gradient) for the LASSO in Gram form: beta <- soft(beta - grad / L, lambda / L) with
 * grad = 2 (G beta - b) and L = 2 lambda_max(G). Soft thresholding gives exact zeros, which is what selection counts.
 */
export function ista(p: ChannelProblem, lambda: number, opts: IstaOptions = {}): { beta: Float64Array; iterations: number } {
  const c = p.channels;
  const maxIterations = opts.maxIterations ?? 3000;
  const tolerance = opts.tolerance ?? 1e-6;
  let beta = opts.beta0 ? Float64Array.from(opts.beta0) : new Float64Array(c);
  // power iteration approaches lambda_max from below: 5% headroom, and a step that raises the objective doubles L
  let step = 2 * largestEigenvalue(p.gram, c) * 1.05;
  if (step === 0) return { beta: new Float64Array(c), iterations: 0 };
  // one G x beta per iteration serves both the objective check and the next gradient
  const objective = (b: Float64Array, gb: Float64Array) => {
    let s = p.yy;
    for (let i = 0; i < c; i++) s += b[i] * (gb[i] - 2 * p.b[i]) + lambda * Math.abs(b[i]);
    return s;
  };
  let g = matVec(p.gram, beta, c);
  let value = objective(beta, g);
  let it = 0;
  while (it < maxIterations) {
    it++;
    const next = new Float64Array(c);
    const t = lambda / step;
    let moved = 0;
    let largest = 0;
    for (let i = 0; i < c; i++) {
      const z = beta[i] - (2 * (g[i] - p.b[i])) / step;
      next[i] = z > t ? z - t : z < -t ? z + t : 0;
      moved = Math.max(moved, Math.abs(next[i] - beta[i]));
      largest = Math.max(largest, Math.abs(next[i]));
    }
    const gNext = matVec(p.gram, next, c);
    const nextValue = objective(next, gNext);
    if (nextValue > value + 1e-12 * Math.abs(value)) {
      step *= 2;
      continue;
    }
    beta = next;
    g = gNext;
    value = nextValue;
    if (moved <= tolerance * Math.max(largest, 1e-300)) break;
  }
  return { beta, iterations: it };
}

function matVec(m: Float64Array, v: Float64Array, c: number): Float64Array {
  const out = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    let s = 0;
    const row = i * c;
    for (let j = 0; j < c; j++) s += m[row + j] * v[j];
    out[i] = s;
  }
  return out;
}

export interface LassoSelection {
  /** Kept channels, ascending. */
  kept: Int32Array;
  /** The beta the choice was read from. */
  beta: Float64Array;
  lambda: number;
  /** Whether the lambda search hit exactly `keep` non-zero betas (else the largest |beta| were taken). */
  exact: boolean;
  /** Non-zero betas at `lambda`. */
  nonZero: number;
  /** Lambda values tried. */
  searchSteps: number;
}

export interface LassoOptions extends IstaOptions {
  /** Most lambda values tried by the binary search. */
  maxSearchSteps?: number;
}

/**
 * He et al.'s channel selection: binary search on lambda (geometric, between lambda_max * 1e-9 and
 * lambda_max = 2 max |b|, where beta = 0 is optimal) until exactly `keep` betas are non-zero.
 */
export function lassoSelect(p: ChannelProblem, keep: number, opts: LassoOptions = {}): LassoSelection {
  const c = p.channels;
  if (!(Number.isInteger(keep) && keep >= 1 && keep <= c)) throw new ConfigError(`cannot keep ${keep} of ${c} channels (need 1..${c})`);
  const countNonZero = (beta: Float64Array) => beta.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
  const all = Int32Array.from({ length: c }, (_, i) => i);
  const lambdaMax = 2 * p.b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  if (keep === c || lambdaMax === 0) {
    const { beta } = ista(p, 0, opts);
    const choice = keep === c ? all : topChannels(beta.map(Math.abs), keep);
    return { kept: choice, beta, lambda: 0, exact: keep === c, nonZero: countNonZero(beta), searchSteps: 0 };
  }
  let lo = lambdaMax * 1e-9;
  let hi = lambdaMax;
  // the tightest lambda seen with more than `keep` non-zeros: the fallback when no lambda gives exactly `keep`
  let loSolution: { beta: Float64Array; lambda: number; nonZero: number } | null = null;
  let warm: Float64Array | undefined;
  const maxSteps = opts.maxSearchSteps ?? 60;
  let steps = 0;
  while (steps < maxSteps && hi / lo > 1 + 1e-9) {
    const lambda = Math.sqrt(lo * hi);
    const { beta } = ista(p, lambda, { ...opts, beta0: warm });
    steps++;
    const nonZero = countNonZero(beta);
    if (nonZero === keep) return { kept: all.filter((i) => beta[i] !== 0), beta, lambda, exact: true, nonZero, searchSteps: steps };
    if (nonZero > keep) {
      lo = lambda;
      loSolution = { beta, lambda, nonZero };
      warm = beta;
    } else {
      hi = lambda;
    }
  }
  // no lambda gives exactly `keep`: take the largest |beta| where more survive (or, if none ever did, at the bottom)
  let fallback = loSolution;
  if (fallback === null) {
    const { beta } = ista(p, lo, opts);
    fallback = { beta, lambda: lo, nonZero: countNonZero(beta) };
  }
  return {
    kept: topChannels(fallback.beta.map(Math.abs), keep),
    beta: fallback.beta,
    lambda: fallback.lambda,
    exact: false,
    nonZero: fallback.nonZero,
    searchSteps: steps,
  };
}

/**
 * Least-squares refit: W' = argmin ||Y - X[:, cols] W'||^2 + ridge' ||W'||^2 with ridge' = ridge x mean diagonal of
 * X[:, cols]^T X[:, cols]. Returns W' as [cols.length, o], row-major.
 */
export function leastSquares(
  x: Float32Array,
  y: Float32Array,
  dims: { n: number; d: number; o: number },
  cols: Int32Array,
  ridge = 1e-6,
): Float32Array {
  const { n, d, o } = dims;
  if (x.length !== n * d || y.length !== n * o) throw new ConfigError(`least squares shapes disagree: x ${x.length} (n*d = ${n * d}), y ${y.length} (n*o = ${n * o})`);
  const k = cols.length;
  const a = new Float64Array(k * k);
  const rhs = new Float64Array(k * o);
  const xs = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    for (let s = 0; s < k; s++) xs[s] = x[r * d + cols[s]];
    for (let s = 0; s < k; s++) {
      const v = xs[s];
      if (v === 0) continue;
      for (let t = s; t < k; t++) a[s * k + t] += v * xs[t];
      for (let j = 0; j < o; j++) rhs[s * o + j] += v * y[r * o + j];
    }
  }
  let trace = 0;
  for (let s = 0; s < k; s++) {
    for (let t = 0; t < s; t++) a[s * k + t] = a[t * k + s];
    trace += a[s * k + s];
  }
  const shift = trace > 0 ? (ridge * trace) / k : 1;
  for (let s = 0; s < k; s++) a[s * k + s] += shift;
  return Float32Array.from(solveSpd(a, rhs, k, o));
}

/** Solve A X = B for symmetric positive-definite A [k, k] and B [k, m] by Cholesky, in float64. */
export function solveSpd(a: Float64Array, b: Float64Array, k: number, m: number): Float64Array {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * k + j];
      for (let p = 0; p < j; p++) s -= l[i * k + p] * l[j * k + p];
      if (i === j) {
        if (!(s > 0)) throw new ConfigError(`matrix is not positive definite at row ${i}; raise the ridge`);
        l[i * k + i] = Math.sqrt(s);
      } else {
        l[i * k + j] = s / l[j * k + j];
      }
    }
  }
  const x = Float64Array.from(b);
  for (let col = 0; col < m; col++) {
    for (let i = 0; i < k; i++) {
      let s = x[i * m + col];
      for (let p = 0; p < i; p++) s -= l[i * k + p] * x[p * m + col];
      x[i * m + col] = s / l[i * k + i];
    }
    for (let i = k - 1; i >= 0; i--) {
      let s = x[i * m + col];
      for (let p = i + 1; p < k; p++) s -= l[p * k + i] * x[p * m + col];
      x[i * m + col] = s / l[i * k + i];
    }
  }
  return x;
}

/** ||Y - X[:, cols] W||^2 / ||Y||^2 for W [cols.length, o]: the relative output error of a (pruned) consumer. */
export function relativeOutputError(x: Float32Array, y: Float32Array, dims: { n: number; d: number; o: number }, cols: Int32Array, w: Float32Array): number {
  const { n, d, o } = dims;
  let err = 0;
  let norm = 0;
  const out = new Float64Array(o);
  for (let r = 0; r < n; r++) {
    out.fill(0);
    for (let s = 0; s < cols.length; s++) {
      const v = x[r * d + cols[s]];
      if (v === 0) continue;
      for (let j = 0; j < o; j++) out[j] += v * w[s * o + j];
    }
    for (let j = 0; j < o; j++) {
      const t = y[r * o + j];
      err += (t - out[j]) ** 2;
      norm += t * t;
    }
  }
  return norm > 0 ? err / norm : 0;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
