/**
 * Magnitude pruning masks: per weight, per block, and M:N structured.
 *
 * Peer: tfmot `pruning_impl.py` (`_update_mask`, `_maybe_update_block_mask`, M-by-N sparsity). The per-weight rule is
 * tfmot's exactly: `k = max(roundHalfEven(N * (1 - s)), 1)` with the product taken in float32 as
 * tfmot does, threshold = k-th largest |w|, keep `|w| >= threshold` (ties kept).
 *
 * Deliberate differences:
 * - `exactCount: true` keeps exactly k weights (ties at the threshold go to the lower flat index). The compression
 *   pipeline uses it so that the number of stored weights, and so the file size, follows from shape and spec alone.
 *   tfmot keeps every tie, which only matters when weights repeat (e.g. already-zero weights).
 * - Block pruning works on any kernel seen as a matrix [N / outChannels, outChannels] (tfmot falls back to per-weight
 *   pruning for anything not 2-D). Blocks are aligned at the origin and edge blocks are partial; tfmot pools with
 *   'SAME' padding (split before and after) but expands the block mask from the origin, so its edge scores and edge
 *   masks come from different windows. Average pooling counts only real weights, as TensorFlow's avg_pool does.
 * - `mByNMask(w, shape, m, n)` PRUNES m of every n (keeps n - m), as `LayerSpec` says ('2:4' = 2 of 4
 *   pruned); tfmot's `sparsity_m_by_n=(m, n)` names the number KEPT. For 2:4 both read the same.
 */
import { ConfigError } from '../errors.js';
import type { BlockPooling } from './types.js';
import { roundHalfEven } from './rounding.js';

const f = Math.fround;

function checkSparsity(sparsity: number): void {
  if (!(Number.isFinite(sparsity) && sparsity >= 0 && sparsity < 1)) {
    throw new ConfigError(`sparsity must be in [0, 1), got ${sparsity}`);
  }
}

function checkShape(shape: number[], length: number): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 1)) throw new ConfigError(`shape [${shape}] must hold positive integers`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== length) throw new ConfigError(`shape [${shape}] holds ${n} weights but ${length} were given`);
}

/** tfmot's number of weights kept out of `n` at `sparsity`: max(roundHalfEven(n * (1 - s)), 1), in float32. */
export function magnitudeKeepCount(n: number, sparsity: number): number {
  checkSparsity(sparsity);
  if (n === 0) return 0;
  return Math.min(n, Math.max(roundHalfEven(f(f(n) * f(1 - f(sparsity)))), 1));
}

/** The element of rank `target` (0-based, ascending) of `a`, which is reordered. 3-way quickselect: O(n) on average. */
function selectAscending(a: Float32Array, target: number): number {
  let lo = 0;
  let hi = a.length - 1;
  for (;;) {
    if (lo >= hi) return a[lo];
    const x = a[lo];
    const y = a[(lo + hi) >>> 1];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) {
        a[i++] = a[lt];
        a[lt++] = v;
      } else if (v > pivot) {
        a[i] = a[gt];
        a[gt--] = v;
      } else i++;
    }
    if (target < lt) hi = lt - 1;
    else if (target > gt) lo = gt + 1;
    else return pivot;
  }
}

/** Keep the `k` largest `scores` (all ties at the threshold, or exactly k with ties to the lower index). */
function keepLargest(scores: Float32Array, k: number, exactCount: boolean): Uint8Array {
  const n = scores.length;
  const mask = new Uint8Array(n);
  if (k >= n) return mask.fill(1);
  const threshold = selectAscending(Float32Array.from(scores), n - k);
  if (!exactCount) {
    for (let i = 0; i < n; i++) mask[i] = scores[i] >= threshold ? 1 : 0;
    return mask;
  }
  let above = 0;
  for (let i = 0; i < n; i++) {
    if (scores[i] > threshold) {
      mask[i] = 1;
      above++;
    }
  }
  let ties = k - above;
  for (let i = 0; i < n && ties > 0; i++) {
    if (scores[i] === threshold) {
      mask[i] = 1;
      ties--;
    }
  }
  return mask;
}

export interface MaskOptions {
  /** Keep exactly k (ties at the threshold to the lower index) instead of every tie. Default false (tfmot). */
  exactCount?: boolean;
}

/** tfmot's magnitude mask: 1 = kept. */
export function magnitudeMask(weights: Float32Array, sparsity: number, opts: MaskOptions = {}): Uint8Array {
  const k = magnitudeKeepCount(weights.length, sparsity);
  const abs = new Float32Array(weights.length);
  for (let i = 0; i < weights.length; i++) abs[i] = Math.abs(weights[i]);
  return keepLargest(abs, k, opts.exactCount ?? false);
}

/** How block pruning tiles a kernel: the matrix view [rows, cols] and the grid of blocks over it. */
export interface BlockLayout {
  rows: number;
  cols: number;
  blockRows: number;
  blockCols: number;
  /** Blocks down and across; `count = down * across`, numbered row-major. */
  down: number;
  across: number;
  count: number;
}

export const DEFAULT_BLOCK_SHAPE: [number, number] = [1, 4];

/** The block grid of a kernel of `shape`: matrix [N / lastDim, lastDim], blocks from the origin, edges partial. */
export function blockLayout(shape: number[], blockShape: [number, number] = DEFAULT_BLOCK_SHAPE): BlockLayout {
  const [blockRows, blockCols] = blockShape;
  if (!(Number.isInteger(blockRows) && blockRows >= 1 && Number.isInteger(blockCols) && blockCols >= 1)) {
    throw new ConfigError(`blockShape [${blockShape}] must be two positive integers`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  const cols = shape.length > 0 ? shape[shape.length - 1] : 1;
  const rows = n / cols;
  const down = Math.ceil(rows / blockRows);
  const across = Math.ceil(cols / blockCols);
  return { rows, cols, blockRows, blockCols, down, across, count: down * across };
}

/** Block magnitude pruning: score each block by the mean (or max) |w|, apply the magnitude rule to the blocks. */
export function blockMask(
  weights: Float32Array,
  shape: number[],
  sparsity: number,
  blockShape: [number, number] = DEFAULT_BLOCK_SHAPE,
  pooling: BlockPooling = 'avg',
  opts: MaskOptions = {},
): Uint8Array {
  checkShape(shape, weights.length);
  if (pooling !== 'avg' && pooling !== 'max') throw new ConfigError(`block pooling must be 'avg' or 'max', got '${pooling}'`);
  const b = blockLayout(shape, blockShape);
  const scores = new Float32Array(b.count);
  for (let br = 0; br < b.down; br++) {
    for (let bc = 0; bc < b.across; bc++) {
      let sum = 0;
      let max = 0;
      let count = 0;
      for (let r = br * b.blockRows; r < Math.min(b.rows, (br + 1) * b.blockRows); r++) {
        for (let c = bc * b.blockCols; c < Math.min(b.cols, (bc + 1) * b.blockCols); c++) {
          const a = Math.abs(weights[r * b.cols + c]);
          sum += a;
          if (a > max) max = a;
          count++;
        }
      }
      scores[br * b.across + bc] = pooling === 'avg' ? f(sum / count) : max;
    }
  }
  const kept = keepLargest(scores, magnitudeKeepCount(b.count, sparsity), opts.exactCount ?? false);
  const mask = new Uint8Array(weights.length);
  for (let r = 0; r < b.rows; r++) {
    const rowBlock = Math.floor(r / b.blockRows) * b.across;
    for (let c = 0; c < b.cols; c++) mask[r * b.cols + c] = kept[rowBlock + Math.floor(c / b.blockCols)];
  }
  return mask;
}

/** How M:N groups run through a kernel: `outer` x `cin` x `inner`, groups of n along the middle (input) axis. */
function inputAxisLayout(shape: number[]): { outer: number; cin: number; inner: number } {
  const n = shape.reduce((a, b) => a * b, 1);
  if (shape.length < 2) return { outer: 1, cin: n, inner: 1 };
  const cin = shape[shape.length - 2];
  const inner = shape[shape.length - 1];
  return { outer: n / (cin * inner), cin, inner };
}

function checkMByN(m: number, n: number): void {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(m) && m >= 0 && m < n)) {
    throw new ConfigError(`M:N sparsity needs integers 0 <= m < n, got m=${m}, n=${n}`);
  }
}

/** Weights an M:N mask keeps: per group n - m, and min(r, n - m) of a last partial group of r. */
export function mByNKeepCount(shape: number[], m: number, n: number): number {
  checkMByN(m, n);
  const { outer, cin, inner } = inputAxisLayout(shape);
  const perLine = Math.floor(cin / n) * (n - m) + Math.min(cin % n, n - m);
  return outer * inner * perLine;
}

/**
 * M:N structured sparsity: in each group of `n` consecutive input-channel weights keep the n - m largest |w|
 * (ties to the lower channel). The input-channel axis is the second-to-last ([kh, kw, cin, cout], [in, out]); a 1-D
 * tensor is one line. A last partial group of r weights is padded with zeros, which are never preferred, so it keeps
 * min(r, n - m) real weights.
 */
export function mByNMask(weights: Float32Array, shape: number[], m: number, n: number): Uint8Array {
  checkShape(shape, weights.length);
  checkMByN(m, n);
  const { outer, cin, inner } = inputAxisLayout(shape);
  const mask = new Uint8Array(weights.length);
  const order: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < inner; c++) {
      for (let g0 = 0; g0 < cin; g0 += n) {
        const size = Math.min(n, cin - g0);
        const keep = Math.min(size, n - m);
        order.length = 0;
        for (let t = 0; t < size; t++) order.push((o * cin + g0 + t) * inner + c);
        // stable sort by |w| descending keeps ties in channel order
        order.sort((a, b) => Math.abs(weights[b]) - Math.abs(weights[a]));
        for (let t = 0; t < keep; t++) mask[order[t]] = 1;
      }
    }
  }
  return mask;
}
