/**
 * Buckets: which weights share one quantization range or one codebook (PocketFlow UniformQuantLearner's buckets).
 *
 * - `none`: the whole tensor.
 * - `split`: the flat tensor cut into pieces of `bucketSize`. PocketFlow pads the last piece with zeros, which puts 0
 *   into its range; we keep the last piece short instead (nothing padded is stored either way).
 * - `channel`: one per output channel, the last axis: `[kh, kw, cin, cout]` gives cout buckets of kh*kw*cin, a dense
 *   `[m, n]` gives n buckets of m. A depthwise kernel `[kh, kw, cin, mult]` has output channel `c * mult + m`, which is
 *   the last axis of the same memory seen as `[kh, kw, 1, cin * mult]`: pass that shape to bucket it per channel.
 */
import { ConfigError } from '../errors.js';
import type { Bucket } from './types.js';

export interface Buckets {
  count: number;
  /** Bucket of each flat position; null when there is a single bucket. */
  ids: Int32Array | null;
}

/** Number of output channels (the last axis) of a kernel shape. */
export function outputChannels(shape: number[]): number {
  return shape.length > 0 ? shape[shape.length - 1] : 1;
}

/** Number of buckets, without building the per-weight ids. */
export function bucketCount(n: number, shape: number[] | undefined, bucket: Bucket, bucketSize?: number): number {
  switch (bucket) {
    case 'none':
      return 1;
    case 'split':
      if (!(Number.isInteger(bucketSize) && bucketSize! >= 1)) {
        throw new ConfigError(`bucket 'split' needs an integer bucketSize >= 1, got ${bucketSize}`);
      }
      return Math.max(1, Math.ceil(n / bucketSize!));
    case 'channel':
      if (!shape) throw new ConfigError("bucket 'channel' needs the tensor's shape");
      return outputChannels(shape);
    default:
      throw new ConfigError(`unknown bucket '${bucket as string}': use 'none', 'split' or 'channel'`);
  }
}

/** The bucket of every weight of a tensor of `n` weights. */
export function bucketsOf(n: number, shape: number[] | undefined, bucket: Bucket, bucketSize?: number): Buckets {
  const count = bucketCount(n, shape, bucket, bucketSize);
  if (shape && shape.reduce((a, b) => a * b, 1) !== n) {
    throw new ConfigError(`shape [${shape}] holds ${shape.reduce((a, b) => a * b, 1)} weights but ${n} were given`);
  }
  if (count === 1) return { count, ids: null };
  const ids = new Int32Array(n);
  if (bucket === 'split') for (let i = 0; i < n; i++) ids[i] = Math.floor(i / bucketSize!);
  else for (let i = 0; i < n; i++) ids[i] = i % count;
  return { count, ids };
}

/** Flat positions of each bucket, optionally only where `mask` is 1. */
export function bucketMembers(n: number, buckets: Buckets, mask: Uint8Array | null = null): Int32Array[] {
  const sizes = new Int32Array(buckets.count);
  for (let i = 0; i < n; i++) if (!mask || mask[i]) sizes[buckets.ids ? buckets.ids[i] : 0]++;
  const members = Array.from(sizes, (s) => new Int32Array(s));
  const fill = new Int32Array(buckets.count);
  for (let i = 0; i < n; i++) {
    if (mask && !mask[i]) continue;
    const b = buckets.ids ? buckets.ids[i] : 0;
    members[b][fill[b]++] = i;
  }
  return members;
}
