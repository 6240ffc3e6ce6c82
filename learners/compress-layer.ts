/**
 * The combined pipeline for one kernel: prune, then cluster keeping the zeros, then quantize.
 *
 * Peer: tfmot's collaborative optimization (PCQAT: pruning-preserving, clustering-preserving quantization-aware
 * training) and Deep Compression's prune -> share -> (code) order. Promise kept (tfmot's PCQAT): the result keeps
 * the pruning mask (pruned weights exactly 0) and at most `clusters` unique values per codebook.
 *
 * Steps:
 * 1. Prune with the spec's rule (magnitude, block or 2:4) into a mask; pruned weights become exactly 0. The pipeline
 *    keeps exactly the rule's count (ties at the threshold to the lower index) so the size follows from the spec.
 * 2. Cluster (clusters = k > 0) with tfmot's sparsity-preserving split when `preserveSparsity`: pruned weights, and
 *    any exact zero, map to the reserved zero centroid. Without `preserveSparsity` the zeros are clustered like any
 *    weight, as in tfmot, and the sparsity is not kept (the result has no mask).
 * 3. Quantize: a clustered layer quantizes its codebook (affine per codebook over the non-zero centroids, the zero
 *    centroid kept exact; fp16 or fp32 for 16/32 bits) and keeps its assignments; an unclustered layer quantizes its
 *    kept weights, uniform per bucket or non-uniform (2^bits k-means points per bucket).
 *
 * Deliberate differences: assignments are not recomputed after the codebook is quantized (PCQAT keeps the cluster
 * structure); for clustered layers `bucket` does not apply, the codebook is the bucket. For non-uniform quantization
 * `clusterInit: 'linear'` selects PocketFlow's linear init, anything else its k-means init.
 *
 * For fine-tuning (env/finetune.ts): `mask`, `indices` (into the flat `centroids`, codebook offset included, so
 * `values = gather(centroids, indices)`) and `zeroIndices` are the structure to keep fixed; `finalizeLayer` turns
 * trained weights or centroids back into an exact compressed layer.
 */
import { ConfigError } from '../errors.js';
import type { LayerSpec, QuantRange } from './types.js';
import { checkLayerSpec } from './spec-check.js';
import { type Buckets, bucketMembers, bucketsOf } from './buckets.js';
import { clusterWeights } from './clustering.js';
import { DEFAULT_BLOCK_SHAPE, blockMask, magnitudeMask, mByNMask } from './magnitude-pruning.js';
import { quantizeBucket, quantizeNonUniform, quantizeUniform } from './quantization.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from './rounding.js';
import { storageLayout } from './size.js';
import { storedPositions } from './stored-positions.js';

/** A compressed kernel: the weights to compute with and the structure they are stored (and fine-tuned) as. */
export interface CompressedLayer {
  shape: number[];
  spec: LayerSpec;
  /** The compressed weights, dequantized: exactly what unpacking the stored layer gives. */
  values: Float32Array;
  /** 1 = kept, 0 = pruned (exactly 0 in `values`); null when nothing is pruned or sparsity is not preserved. */
  mask: Uint8Array | null;
  /** Codebooks, flat (`codebooks` x `codebookSize`), dequantized: cluster centroids or non-uniform points. */
  centroids: Float32Array | null;
  codebooks: number;
  codebookSize: number;
  /** Per weight, the index of its centroid in `centroids`; a pruned weight points at its zero centroid (clusters) or
   * at the first point of its codebook (non-uniform). */
  indices: Int32Array | null;
  /** Per codebook, the index in `centroids` of the reserved zero centroid (preserveSparsity); null otherwise. */
  zeroIndices: Int32Array | null;
  /** Quantization codes: of the centroids (clustered, 1..8 bits: affine codes; 16: fp16 patterns) or of each weight
   * (unclustered: affine codes, or fp16 patterns for 16 bits); null for fp32. Pruned or zero entries have code 0. */
  codes: Uint8Array | Uint16Array | null;
  /** [alpha, beta] in fp32 per codebook (clustered) or per bucket (uniform), for 1..8 bits; null otherwise. */
  scales: Float32Array | null;
}

export interface CompressOptions {
  /** Seed for random and k-means++ choices. Default 0. */
  seed?: number | string;
  /** Use this mask instead of pruning (fine-tuning keeps its mask fixed); it must keep the spec's count. */
  mask?: Uint8Array | null;
  /** Lloyd iterations for clustering and non-uniform k-means. */
  iterations?: number;
}

/** The grouping of weights into codebooks (clusters: per tensor or channel; non-uniform: buckets). */
export function codebookBuckets(shape: number[], spec: LayerSpec): Buckets {
  const n = shape.reduce((a, b) => a * b, 1);
  if (spec.clusters > 0) return bucketsOf(n, shape, spec.clusterPerChannel ? 'channel' : 'none');
  return bucketsOf(n, shape, spec.bucket, spec.bucketSize);
}

/** The pipeline's pruning mask for `spec` (exactly the rule's count kept), or null when nothing is pruned. */
export function pruneMask(weights: Float32Array, shape: number[], spec: LayerSpec): Uint8Array | null {
  checkLayerSpec(shape, spec);
  checkLength(weights, shape);
  if (spec.pruneRatio === 0) return null;
  let mask: Uint8Array;
  if (spec.pruneKind === '2:4') mask = mByNMask(weights, shape, 2, 4);
  else if (spec.pruneKind === 'block') {
    mask = blockMask(weights, shape, spec.pruneRatio, spec.blockShape ?? DEFAULT_BLOCK_SHAPE, spec.blockPooling ?? 'avg', { exactCount: true });
  } else mask = magnitudeMask(weights, spec.pruneRatio, { exactCount: true });
  return mask.every((m) => m === 1) ? null : mask;
}

function checkLength(weights: Float32Array, shape: number[]): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (weights.length !== n) throw new ConfigError(`kernel shape [${shape}] holds ${n} weights but ${weights.length} were given`);
}

/** A caller's mask, checked against what the spec stores; all-ones becomes null. */
function checkedMask(mask: Uint8Array | null, shape: number[], spec: LayerSpec): Uint8Array | null {
  const n = shape.reduce((a, b) => a * b, 1);
  if (mask === null) return null;
  if (mask.length !== n) throw new ConfigError(`mask has ${mask.length} entries for a kernel of ${n} weights`);
  if (mask.every((m) => m === 1)) return null;
  if (spec.pruneRatio === 0) throw new ConfigError('a pruning mask was given for a spec with pruneRatio 0');
  // throws if the mask does not keep what the spec stores
  storedPositions(storageLayout(shape, spec), mask);
  return mask;
}

/**
 * Quantize codebooks: affine per codebook over its non-zero entries (1..8 bits; the range rule `rule` of
 * quantization.ts, the same bucket quantizer as unclustered weights), fp16 (16) or fp32 (32). The zero centroid of
 * each codebook stays exactly 0 with code 0. The entries are scored unweighted (not by cluster population).
 */
export function quantizeCodebook(
  centroids: Float32Array,
  codebooks: number,
  k: number,
  zeroIndices: Int32Array | null,
  bits: number,
  rule: QuantRange = 'mse',
): { centroids: Float32Array; codes: Uint8Array | Uint16Array | null; scales: Float32Array | null } {
  const out = Float32Array.from(centroids);
  const isZero = (j: number) => zeroIndices !== null && zeroIndices[Math.floor(j / k)] === j;
  if (bits === 32) {
    for (let j = 0; j < out.length; j++) if (isZero(j)) out[j] = 0;
    return { centroids: out, codes: null, scales: null };
  }
  if (bits === 16) {
    const codes = new Uint16Array(out.length);
    for (let j = 0; j < out.length; j++) {
      codes[j] = isZero(j) ? 0 : float32ToFloat16Bits(centroids[j]);
      out[j] = float16BitsToFloat32(codes[j]);
    }
    return { centroids: out, codes, scales: null };
  }
  const codes = new Uint8Array(out.length);
  const scales = new Float32Array(2 * codebooks);
  for (let g = 0; g < codebooks; g++) {
    const members: number[] = [];
    for (let j = g * k; j < (g + 1) * k; j++) {
      if (isZero(j)) out[j] = 0;
      else members.push(j);
    }
    const { alpha, beta } = quantizeBucket(centroids, members, bits, rule, codes, out);
    scales[2 * g] = alpha;
    scales[2 * g + 1] = beta;
  }
  return { centroids: out, codes, scales };
}

/** A clustered layer from its codebook and assignments: quantize the codebook, gather the values. */
function clusteredLayer(
  shape: number[],
  spec: LayerSpec,
  rawCentroids: Float32Array,
  codebooks: number,
  indices: Int32Array,
  zeroIndices: Int32Array | null,
  mask: Uint8Array | null,
): CompressedLayer {
  const k = spec.clusters;
  if (mask && zeroIndices) {
    const groups = codebookBuckets(shape, spec);
    for (let i = 0; i < mask.length; i++) if (!mask[i]) indices[i] = zeroIndices[groups.ids ? groups.ids[i] : 0];
  }
  const q = quantizeCodebook(rawCentroids, codebooks, k, zeroIndices, spec.bits, spec.quantRange);
  const values = new Float32Array(indices.length);
  for (let i = 0; i < values.length; i++) values[i] = q.centroids[indices[i]];
  return {
    shape,
    spec,
    values,
    mask: zeroIndices ? mask : null,
    centroids: q.centroids,
    codebooks,
    codebookSize: k,
    indices,
    zeroIndices,
    codes: q.codes,
    scales: q.scales,
  };
}

/** Compress one kernel (flat, row-major `weights` of `shape`) with `spec`. Pure and deterministic for a seed. */
export function compressLayer(weights: Float32Array, shape: number[], spec: LayerSpec, opts: CompressOptions = {}): CompressedLayer {
  checkLayerSpec(shape, spec);
  checkLength(weights, shape);
  const mask = opts.mask !== undefined ? checkedMask(opts.mask, shape, spec) : pruneMask(weights, shape, spec);
  const pruned = Float32Array.from(weights);
  if (mask) for (let i = 0; i < pruned.length; i++) if (!mask[i]) pruned[i] = 0;

  if (spec.clusters > 0) {
    const c = clusterWeights(pruned, spec.clusters, {
      init: spec.clusterInit,
      preserveSparsity: spec.preserveSparsity,
      seed: opts.seed,
      iterations: opts.iterations,
      perChannel: spec.clusterPerChannel ?? false,
      shape,
    });
    return clusteredLayer(shape, spec, c.centroids, c.codebooks, c.indices, c.zeroIndices, mask);
  }
  if (spec.quantKind === 'nonuniform' && spec.bits <= 8) {
    const r = quantizeNonUniform(pruned, spec.bits, {
      init: spec.clusterInit === 'linear' ? 'linear' : 'kmeans',
      bucket: spec.bucket,
      bucketSize: spec.bucketSize,
      shape,
      mask,
      seed: opts.seed,
      iterations: opts.iterations,
    });
    return {
      shape,
      spec,
      values: r.values,
      mask,
      centroids: r.points,
      codebooks: r.buckets,
      codebookSize: 2 ** spec.bits,
      indices: r.indices,
      zeroIndices: null,
      codes: null,
      scales: null,
    };
  }
  const r = quantizeUniform(pruned, spec.bits, { bucket: spec.bucket, bucketSize: spec.bucketSize, shape, mask, quantRange: spec.quantRange });
  return {
    shape,
    spec,
    values: r.values,
    mask,
    centroids: null,
    codebooks: 0,
    codebookSize: 0,
    indices: null,
    zeroIndices: null,
    codes: r.codes,
    scales: spec.bits <= 8 ? r.scales : null,
  };
}

/** What fine-tuning trained: full-precision weights (unclustered layers) or centroids with fixed assignments. */
export interface TrainedLayer {
  weights?: Float32Array | null;
  centroids?: Float32Array | null;
  indices?: Int32Array | null;
  mask?: Uint8Array | null;
  /** The reserved zero centroids; found as the entry exactly 0 of each codebook when absent. */
  zeroIndices?: Int32Array | null;
}

/**
 * Turn fine-tuned parameters back into an exact compressed layer, keeping the structure fixed: trained centroids are
 * re-quantized (zero centroid exact, assignments unchanged); trained weights are re-quantized under the given mask.
 */
export function finalizeLayer(shape: number[], spec: LayerSpec, trained: TrainedLayer, opts: CompressOptions = {}): CompressedLayer {
  checkLayerSpec(shape, spec);
  const n = shape.reduce((a, b) => a * b, 1);
  const hasCodebook = spec.clusters > 0 || (spec.quantKind === 'nonuniform' && spec.bits <= 8);
  if (!hasCodebook) {
    if (!trained.weights) throw new ConfigError('finalizeLayer needs the trained weights of an unclustered layer');
    return compressLayer(trained.weights, shape, spec, { ...opts, mask: trained.mask ?? null });
  }
  const { centroids, indices } = trained;
  if (!centroids || !indices) throw new ConfigError('finalizeLayer needs the trained centroids and the fixed indices of a clustered layer');
  const groups = codebookBuckets(shape, spec);
  const k = spec.clusters > 0 ? spec.clusters : 2 ** spec.bits;
  if (centroids.length !== groups.count * k) {
    throw new ConfigError(`expected ${groups.count} codebooks of ${k} centroids, got ${centroids.length} values`);
  }
  if (indices.length !== n) throw new ConfigError(`indices has ${indices.length} entries for a kernel of ${n} weights`);
  // clustering without preserveSparsity does not keep the sparsity: no mask to hold
  const mask = spec.clusters > 0 && !spec.preserveSparsity ? null : checkedMask(trained.mask ?? null, shape, spec);
  const idx = Int32Array.from(indices);
  for (let i = 0; i < n; i++) {
    const g = groups.ids ? groups.ids[i] : 0;
    if (mask && !mask[i]) idx[i] = spec.clusters > 0 ? idx[i] : g * k; // clusters: set to the zero centroid below
    else if (!(idx[i] >= g * k && idx[i] < (g + 1) * k)) throw new ConfigError(`index ${idx[i]} of weight ${i} is outside its codebook ${g}`);
  }
  if (spec.clusters > 0) {
    let zeroIndices: Int32Array | null = null;
    if (spec.preserveSparsity) {
      zeroIndices = trained.zeroIndices ? Int32Array.from(trained.zeroIndices) : new Int32Array(groups.count);
      if (!trained.zeroIndices) {
        for (let g = 0; g < groups.count; g++) {
          const j = centroids.subarray(g * k, (g + 1) * k).indexOf(0);
          if (j < 0) throw new ConfigError(`codebook ${g} has no zero centroid: pass zeroIndices`);
          zeroIndices[g] = g * k + j;
        }
      }
    }
    return clusteredLayer(shape, spec, Float32Array.from(centroids), groups.count, idx, zeroIndices, mask);
  }
  const points = Float32Array.from(centroids);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) if (!mask || mask[i]) values[i] = points[idx[i]];
  return {
    shape,
    spec,
    values,
    mask,
    centroids: points,
    codebooks: groups.count,
    codebookSize: k,
    indices: idx,
    zeroIndices: null,
    codes: null,
    scales: null,
  };
}

/** What a fine-tune step trains: the full-precision weights (no codebook) or the codebook entries. */
export interface TrainedParams {
  weights?: Float32Array | null;
  centroids?: Float32Array | null;
}

/**
 * The forward pass of the straight-through estimator: the exact values `c`'s structure stores for the trained
 * parameters (the same quantizer `compressLayer` and `finalizeLayer` use: per-bucket or per-codebook ranges over the
 * kept weights only, pruned weights exactly 0, no padding), without re-checking the structure, so it is cheap
 * enough for every training step. `mask` overrides `c.mask` (gradual pruning moves it during the fine-tune).
 * Train what you pack: env/finetune.ts calls this, never a quantizer of its own.
 */
export function projectLayer(c: CompressedLayer, trained: TrainedParams, mask: Uint8Array | null = c.mask): Float32Array {
  const { spec } = c;
  if (c.centroids && c.indices) {
    const raw = trained.centroids;
    if (!raw) throw new ConfigError('projectLayer needs the trained centroids of a layer with a codebook');
    const book = spec.clusters > 0 ? quantizeCodebook(raw, c.codebooks, c.codebookSize, c.zeroIndices, spec.bits, spec.quantRange).centroids : raw;
    const values = new Float32Array(c.indices.length);
    for (let i = 0; i < values.length; i++) values[i] = mask && !mask[i] ? 0 : book[c.indices[i]];
    return values;
  }
  if (!trained.weights) throw new ConfigError('projectLayer needs the trained weights of a layer without a codebook');
  return quantizeUniform(trained.weights, spec.bits, { bucket: spec.bucket, bucketSize: spec.bucketSize, shape: c.shape, mask, quantRange: spec.quantRange }).values;
}

/**
 * `projectLayer` for one structure and mask, with what does not change between fine-tune steps worked out once: the
 * buckets' kept positions and the scratch buffers. Each call returns exactly `projectLayer(c, trained, mask)` (the
 * same `quantizeBucket` per bucket, in the same order, as `quantizeUniform`); layers with a codebook, fp16 and fp32
 * go to `projectLayer` itself. For a new mask (gradual pruning), make a new projector. The fine-tune profile (bench/results/finetune-profile.md) found
 * the per-step bucket bookkeeping a fifth to a third of the projection on mlp and lenet5; the rest is the range search.
 */
export function layerProjector(c: CompressedLayer, mask: Uint8Array | null = c.mask): (trained: TrainedParams) => Float32Array {
  const { spec } = c;
  if ((c.centroids && c.indices) || spec.bits > 8) return (trained) => projectLayer(c, trained, mask);
  const n = c.shape.reduce((a, b) => a * b, 1);
  const members = bucketMembers(n, bucketsOf(n, c.shape, spec.bucket, spec.bucketSize), mask);
  const codes = new Uint8Array(n);
  const scratch = new Float32Array(members.reduce((a, m) => Math.max(a, m.length), 0));
  const rule = spec.quantRange ?? 'mse';
  return (trained) => {
    if (!trained.weights) throw new ConfigError('projectLayer needs the trained weights of a layer without a codebook');
    checkLength(trained.weights, c.shape);
    const values = new Float32Array(n);
    for (const m of members) quantizeBucket(trained.weights, m, spec.bits, rule, codes, values, scratch);
    return values;
  };
}
