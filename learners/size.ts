/**
 * Exact storage of a compressed kernel, in bits, from its shape and spec alone, so the agent can cost a setting
 * before compressing. `layer-codec.ts` writes exactly this layout, field by field; tests hold the two equal.
 *
 * A kernel of N weights stores, in this order:
 * 1. Kept positions, when its sparsity is stored (pruneRatio > 0, and not destroyed by clustering without
 *    preserveSparsity) and fewer than all are kept: min(U, EF(U, K)) bits (sparse-positions.ts), with
 *    - magnitude: U = N, K = max(roundHalfEven(N (1 - s)), 1) (tfmot's count; the pipeline breaks ties so exactly
 *      K are kept);
 *    - 2:4: U = N, K = per line of input channels 2 per full group of 4 plus min(r, 2) of a last group of r;
 *    - block: U = number of blocks, K = the same rule on blocks; whole blocks are stored, padding included.
 * 2. Codebooks:
 *    - clustered (clusters = k > 0; one codebook, or one per output channel with clusterPerChannel): per codebook the
 *      index of the reserved zero centroid (ceil(log2 k) bits, with preserveSparsity; the zero itself is not stored,
 *      it is exact), then for bits <= 8 its (alpha, beta) in fp32 (64 bits), then its k (or k - 1) entries at `bits`
 *      each (affine codes for 1..8, fp16 for 16, fp32 for 32);
 *    - non-uniform (1..8 bits, no clusters): per bucket 2^bits points in fp32;
 *    - uniform 1..8 bits: per bucket (alpha, beta) in fp32 (64 bits).
 * 3. One entry per stored weight: the cluster index (ceil(log2 k) bits; 0 bits when k = 1), the non-uniform index or
 *    affine code (`bits`), or the value itself in fp16 (16) or fp32 (32).
 *
 * Only kernels are counted here. Biases and every other tensor are stored uncompressed in fp32 (32 bits each) by the
 * model packer; the file adds a header (model-pack.ts) and rounds each tensor up to whole bytes.
 */
import type { LayerSpec } from './types.js';
import { checkLayerSpec, checkShape } from './spec-check.js';
import { bucketCount, outputChannels } from './buckets.js';
import { type BlockLayout, DEFAULT_BLOCK_SHAPE, blockLayout, magnitudeKeepCount, mByNKeepCount } from './magnitude-pruning.js';
import { type PositionEncoding, positionEncoding } from './sparse-positions.js';

/** What one stored entry is. */
export type EntryKind = 'cluster-index' | 'nonuniform-index' | 'affine-code' | 'fp16' | 'fp32';

export interface StorageLayout {
  /** Weights in the kernel. */
  weights: number;
  /** How kept positions are stored; null when every position is stored. */
  positions: PositionEncoding | null;
  /** The block grid when positions count blocks (block pruning), else null. */
  blocks: BlockLayout | null;
  /** Entries in the value stream: kept weights, or every weight of the kept blocks (padding included). */
  entries: number;
  entry: EntryKind;
  entryBits: number;
  /** Codebooks (clusters: 1 or output channels; non-uniform: buckets); 0 when there are none. */
  codebooks: number;
  /** Entries per codebook: k, or 2^bits for non-uniform; 0 when none. */
  codebookSize: number;
  /** Bits of the stored index of each codebook's reserved zero centroid; 0 when there is none. */
  zeroIndexBits: number;
  /** Entries stored per codebook (codebookSize, less the reserved zero) and the bits of each. */
  storedCodebookEntries: number;
  codebookEntryBits: number;
  /** (alpha, beta) fp32 pairs: per codebook (clustered, bits <= 8) or per bucket (uniform, bits <= 8). */
  scalePairs: number;
  bits: { positions: number; codebooks: number; scales: number; entries: number; total: number };
}

/** Bits of an index into k entries: ceil(log2 k), 0 for k <= 1. */
export function indexBits(k: number): number {
  return k <= 1 ? 0 : 32 - Math.clz32(k - 1);
}

/** Uncompressed fp32 storage of a tensor: 32 N bits. */
export function fullPrecisionBits(shape: number[]): number {
  return 32 * checkShape(shape);
}

/** The exact storage layout of a kernel of `shape` compressed with `spec`. Throws ConfigError for a bad spec. */
export function storageLayout(shape: number[], spec: LayerSpec): StorageLayout {
  checkLayerSpec(shape, spec);
  const n = shape.reduce((a, b) => a * b, 1);
  const clustered = spec.clusters > 0;
  let positions: PositionEncoding | null = null;
  let blocks: BlockLayout | null = null;
  let entries = n;
  if (spec.pruneRatio > 0 && (!clustered || spec.preserveSparsity)) {
    if (spec.pruneKind === 'block') {
      const b = blockLayout(shape, spec.blockShape ?? DEFAULT_BLOCK_SHAPE);
      const kept = magnitudeKeepCount(b.count, spec.pruneRatio);
      if (kept < b.count) {
        positions = positionEncoding(b.count, kept);
        blocks = b;
        entries = kept * b.blockRows * b.blockCols;
      }
    } else {
      const kept = spec.pruneKind === '2:4' ? mByNKeepCount(shape, 2, 4) : magnitudeKeepCount(n, spec.pruneRatio);
      if (kept < n) {
        positions = positionEncoding(n, kept);
        entries = kept;
      }
    }
  }
  let entry: EntryKind;
  let entryBits: number;
  let codebooks = 0;
  let codebookSize = 0;
  let zeroIndexBits = 0;
  let storedCodebookEntries = 0;
  let codebookEntryBits = 0;
  let scalePairs = 0;
  if (clustered) {
    entry = 'cluster-index';
    codebookSize = spec.clusters;
    entryBits = indexBits(codebookSize);
    codebooks = spec.clusterPerChannel ? outputChannels(shape) : 1;
    zeroIndexBits = spec.preserveSparsity ? indexBits(codebookSize) : 0;
    storedCodebookEntries = codebookSize - (spec.preserveSparsity ? 1 : 0);
    codebookEntryBits = spec.bits;
    scalePairs = spec.bits <= 8 ? codebooks : 0;
  } else if (spec.bits === 32) {
    entry = 'fp32';
    entryBits = 32;
  } else if (spec.bits === 16) {
    entry = 'fp16';
    entryBits = 16;
  } else if (spec.quantKind === 'nonuniform') {
    entry = 'nonuniform-index';
    entryBits = spec.bits;
    codebooks = bucketCount(n, shape, spec.bucket, spec.bucketSize);
    codebookSize = 2 ** spec.bits;
    storedCodebookEntries = codebookSize;
    codebookEntryBits = 32;
  } else {
    entry = 'affine-code';
    entryBits = spec.bits;
    scalePairs = bucketCount(n, shape, spec.bucket, spec.bucketSize);
  }
  const bits = {
    positions: positions ? positions.bits : 0,
    codebooks: codebooks * (zeroIndexBits + storedCodebookEntries * codebookEntryBits),
    scales: scalePairs * 64,
    entries: entries * entryBits,
    total: 0,
  };
  bits.total = bits.positions + bits.codebooks + bits.scales + bits.entries;
  return {
    weights: n,
    positions,
    blocks,
    entries,
    entry,
    entryBits,
    codebooks,
    codebookSize,
    zeroIndexBits,
    storedCodebookEntries,
    codebookEntryBits,
    scalePairs,
    bits,
  };
}

/** Exact storage in bits of a kernel of `shape` compressed with `spec` (biases not included: they stay fp32). */
export function sizeBits(shape: number[], spec: LayerSpec): number {
  return storageLayout(shape, spec).bits.total;
}

/**
 * Weights a setting leaves non-zero, an upper bound from shape and spec alone: the multiply-accumulates that remain
 * after pruning are `macs * keptWeights / N`. Magnitude pruning keeps its exact count; 2:4 keeps 2 of every 4 input
 * channels whatever `pruneRatio` says (all of a depthwise kernel, whose input axis has one channel); block pruning
 * keeps whole blocks (edge blocks counted full, so an upper bound); clustering that does not preserve sparsity
 * re-fills the pruned zeros with centroids, so it keeps every weight.
 */
export function keptWeights(shape: number[], spec: LayerSpec): number {
  const layout = storageLayout(shape, spec);
  if (!layout.positions) return layout.weights;
  if (layout.blocks) return Math.min(layout.weights, layout.entries);
  return layout.entries;
}
