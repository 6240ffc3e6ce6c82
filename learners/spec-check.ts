/**
 * One check of a layer's compression setting against its kernel shape, shared by compression and size accounting,
 * so that a spec either compresses, packs and is costed the same way everywhere, or fails up front with a ConfigError
 * that names the field.
 */
import { ConfigError } from '../errors.js';
import type { LayerSpec } from './types.js';
import { checkBits, checkQuantRange } from './quantization.js';
import { bucketCount } from './buckets.js';
import { blockLayout } from './magnitude-pruning.js';

const PRUNE_KINDS = ['magnitude', 'block', '2:4'];
const INITS = ['linear', 'random', 'density', 'kmeans++'];

export function checkShape(shape: number[]): number {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ConfigError(`kernel shape [${shape}] must be a non-empty list of positive integers`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

/** Throws a ConfigError for the first field of `spec` that cannot apply to a kernel of `shape`. */
export function checkLayerSpec(shape: number[], spec: LayerSpec): void {
  const n = checkShape(shape);
  if (!(Number.isFinite(spec.pruneRatio) && spec.pruneRatio >= 0 && spec.pruneRatio < 1)) {
    throw new ConfigError(`pruneRatio must be in [0, 1), got ${spec.pruneRatio}`);
  }
  if (!PRUNE_KINDS.includes(spec.pruneKind)) throw new ConfigError(`pruneKind must be one of ${PRUNE_KINDS.join(', ')}, got '${spec.pruneKind}'`);
  if (spec.pruneKind === 'block') {
    blockLayout(shape, spec.blockShape);
    if (spec.blockPooling !== undefined && spec.blockPooling !== 'avg' && spec.blockPooling !== 'max') {
      throw new ConfigError(`blockPooling must be 'avg' or 'max', got '${spec.blockPooling as string}'`);
    }
  }
  if (!(Number.isInteger(spec.clusters) && spec.clusters >= 0)) throw new ConfigError(`clusters must be an integer >= 0, got ${spec.clusters}`);
  if (spec.clusters > 0 && !INITS.includes(spec.clusterInit)) {
    throw new ConfigError(`clusterInit must be one of ${INITS.join(', ')}, got '${spec.clusterInit}'`);
  }
  if (spec.clusters === 1 && spec.preserveSparsity) {
    throw new ConfigError('clusters = 1 with preserveSparsity: one centroid is reserved for zero, so use clusters >= 2');
  }
  checkBits(spec.bits);
  checkQuantRange(spec.quantRange);
  if (spec.quantKind !== 'uniform' && spec.quantKind !== 'nonuniform') {
    throw new ConfigError(`quantKind must be 'uniform' or 'nonuniform', got '${spec.quantKind as string}'`);
  }
  if (spec.quantKind === 'nonuniform' && spec.clusters > 0) {
    throw new ConfigError('nonuniform quantization is itself a codebook of 2^bits points: set clusters to 0, or use uniform quantization of the cluster codebook');
  }
  bucketCount(n, shape, spec.bucket, spec.bucketSize);
}
