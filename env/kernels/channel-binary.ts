/**
 * Add, Sub and Multiply of a large tensor and a per-channel one (bias adds, batch norm's products) as one per-channel
 * affine map (channel-affine.ts); wasm's own broadcasting path computes an index per element. Exact: the 1x1 filter
 * is the per-channel factor, 1 or -1, and the bias the per-channel term, each applied once.
 */
import * as tf from '../../tfjs.js';
import { affineCandidate, channelAffine, isPerChannel } from './channel-affine.js';

export type ChannelOp = 'add' | 'sub' | 'mul';

const size = (t: tf.TensorInfo) => t.shape.reduce((p, d) => p * d, 1);

/** `a op b` when one of them is large and the other per-channel, else null (wasm's own kernel runs). */
export function channelBinary(op: ChannelOp, a: tf.TensorInfo, b: tf.TensorInfo): tf.Tensor | null {
  if (!(a instanceof tf.Tensor) || !(b instanceof tf.Tensor) || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const bigFirst = affineCandidate(a) && size(b) < size(a) && isPerChannel(b, a);
  const bigSecond = !bigFirst && affineCandidate(b) && size(a) < size(b) && isPerChannel(a, b);
  if (!bigFirst && !bigSecond) return null;
  return tf.tidy(() => {
    const [big, small] = bigFirst ? [a, b] : [b, a];
    const c = big.shape[big.rank - 1];
    const perChannel = tf.reshape(small, [c]);
    if (op === 'mul') return channelAffine(big, perChannel, null);
    if (op === 'add') return channelAffine(big, null, perChannel);
    // a - b: a + (-b), or -b + a when b is the large one; negation is exact
    return bigFirst ? channelAffine(big, null, tf.neg(perChannel)) : channelAffine(big, tf.fill([c], -1), perChannel);
  });
}
