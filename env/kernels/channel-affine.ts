/**
 * Per-channel scale and shift, `x * scale[c] + offset[c]` over the last axis, as one depthwise 1x1 convolution with a
 * bias: XNNPACK's vectorised path on wasm. wasm's own FusedBatchNorm and its broadcasting Add, Sub and Multiply
 * compute an index per element instead; the same [64,28,28,16] tensor took 23-30 ms in FusedBatchNorm and 8-14 ms
 * in a broadcast Multiply against 2-4 ms this way (scratch timings at load 40; bench/results/kernels.md has the step
 * and scoring figures). A 1x1 filter multiplies each value once and the bias adds once, so broadcast products and
 * sums are exact; batch norm's folded `scale / sqrt(variance + eps)` and `offset - mean * that` round differently from
 * wasm's `(x - mean) * scale / sqrt(...)` by float32 rounding only.
 */
import * as tf from '../../tfjs.js';

/** Below this many elements wasm's own kernels are as fast; the fixed cost of a convolution call would dominate. */
export const MIN_CHANNEL_AFFINE_SIZE = 4096;

/** Whether `t` holds one value per channel of `x` (shape [c], or [1, ..., 1, c] of at most x's rank). */
export function isPerChannel(t: tf.TensorInfo | null | undefined, x: tf.TensorInfo): boolean {
  if (t == null) return true;
  const c = x.shape[x.shape.length - 1];
  const s = t.shape;
  return s.length >= 1 && s.length <= x.shape.length && s[s.length - 1] === c && s.slice(0, -1).every((d) => d === 1);
}

/** Whether `x` is worth a convolution call: float32, rank 2 to 4, at least MIN_CHANNEL_AFFINE_SIZE values. */
export function affineCandidate(x: tf.TensorInfo): boolean {
  const size = x.shape.reduce((a, b) => a * b, 1);
  return x.dtype === 'float32' && x.shape.length >= 2 && x.shape.length <= 4 && size >= MIN_CHANNEL_AFFINE_SIZE && x.shape[x.shape.length - 1] > 0;
}

/** `x * scale + offset` per channel of the last axis; a null scale is 1, a null offset 0. Shape of x kept. */
export function channelAffine(x: tf.Tensor, scale: tf.Tensor | null, offset: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    const c = x.shape[x.rank - 1];
    const x4 = (x.rank === 4 ? x : tf.reshape(x, [1, x.size / c, 1, c])) as tf.Tensor4D;
    const filter = tf.reshape(scale ?? tf.ones([c]), [1, 1, c, 1]) as tf.Tensor4D;
    const bias = offset === null ? undefined : tf.reshape(offset, [c]);
    const y = tf.fused.depthwiseConv2d({ x: x4, filter, strides: 1, pad: 'valid', bias });
    return x.rank === 4 ? y : tf.reshape(y, x.shape);
  });
}
