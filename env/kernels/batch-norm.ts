/**
 * Batch norm on wasm: the forward kernel (FusedBatchNorm) and its gradient, both as per-channel affine maps
 * (channel-affine.ts) and leading-axis sums.
 *
 * Forward: `y = x * a + b` with `a = scale / sqrt(variance + eps)` and `b = offset - mean * a`, worked out per
 * channel first. Scoring a mobilenet-tiny spends most of its time here with wasm's own kernel.
 *
 * Gradient (tfjs-core's FusedBatchNorm_grad gives the same values): with r = 1 / sqrt(variance + eps) and g = scale,
 *   dx = dy * g r,  dmean = -g r sum(dy),  dvariance = -g r^3 / 2 sum(dy (x - mean)),
 *   dscale = r sum(dy (x - mean)),  doffset = sum(dy),
 * sums over every axis but the last. tfjs builds these from about a dozen full-size broadcasting products and a Tile;
 * here they are two affine maps, one product and two sums (our leading-axis Sum). The two sums are taken once and shared by
 * the four parameter gradients.
 */
import * as tf from '../../tfjs.js';
import type { GradientMap, WasmHeap } from './registry.js';
import { affineCandidate, channelAffine, isPerChannel } from './channel-affine.js';

interface BatchNormInputs {
  x: tf.TensorInfo;
  mean: tf.TensorInfo;
  variance: tf.TensorInfo;
  offset?: tf.TensorInfo | null;
  scale?: tf.TensorInfo | null;
}

/** Whether ours handles this batch norm: a large float32 x, every statistic and parameter one value per channel. */
function handled(i: BatchNormInputs): boolean {
  return affineCandidate(i.x) && [i.mean, i.variance, i.offset, i.scale].every((t) => isPerChannel(t, i.x) && (t == null || t.dtype === 'float32'));
}

/**
 * FusedBatchNorm as one affine map, or null when `handled` says no (the caller runs wasm's own). The per-channel
 * factors are worked out in JavaScript straight from the heap (c values; five tiny kernel calls cost more than the
 * affine map itself when scoring at batch 32), in float64, then rounded once to float32.
 */
export function batchNormForward(inputs: BatchNormInputs, varianceEpsilon: number, backend: WasmHeap): tf.Tensor | null {
  if (!handled(inputs)) return null;
  const view = (t: tf.TensorInfo | null | undefined) => (t == null ? null : (backend.typedArrayFromHeap(t) as Float32Array));
  const [mean, variance, offset, scale] = [view(inputs.mean)!, view(inputs.variance)!, view(inputs.offset), view(inputs.scale)];
  const c = mean.length;
  const a = new Float32Array(c);
  const b = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    const factor = (scale ? scale[k] : 1) / Math.sqrt(variance[k] + varianceEpsilon);
    a[k] = factor;
    b[k] = (offset ? offset[k] : 0) - mean[k] * factor;
  }
  return tf.tidy(() => channelAffine(inputs.x as tf.Tensor, tf.tensor1d(a), tf.tensor1d(b)));
}

/** The gradient of FusedBatchNorm, or null for a case ours does not handle (tfjs's gradient runs instead). */
export function batchNormGradient(dy: tf.Tensor, saved: tf.Tensor[], varianceEpsilon: number): GradientMap | null {
  const [x, mean, variance, scale] = saved;
  if (!handled({ x, mean, variance, scale }) || dy.dtype !== 'float32') return null;
  const leading = x.shape.slice(0, -1).map((_, i) => i);
  const c = x.shape[x.rank - 1];
  const reshapeTo = (t: tf.Tensor, like: tf.Tensor | undefined) => tf.reshape(t, like?.shape ?? [c]);
  // Taken now, not in the thunks: the engine disposes what a thunk creates except its result, while tensors made here
  // live until the end of the backward pass (tfjs's own gradient computes x - mean and dy * scale eagerly too).
  const [sumDy, sumDyXc] = tf.tidy(() => {
    const centred = channelAffine(x, null, tf.neg(tf.reshape(mean, [c])));
    return [tf.sum(dy, leading), tf.sum(tf.mul(dy, centred), leading)];
  });
  const r = () => tf.rsqrt(tf.add(tf.reshape(variance, [c]), varianceEpsilon));
  const g = () => (scale == null ? tf.scalar(1) : tf.reshape(scale, [c]));
  return {
    x: () => channelAffine(dy, tf.mul(g(), r()), null),
    mean: () => reshapeTo(tf.neg(tf.mul(sumDy, tf.mul(g(), r()))), mean),
    variance: () => reshapeTo(tf.mul(sumDyXc, tf.mul(g(), tf.mul(tf.pow(r(), 3), -0.5))), variance),
    scale: () => reshapeTo(tf.mul(sumDyXc, r()), scale),
    offset: () => reshapeTo(sumDy, mean),
  };
}
