/**
 * The input gradient of a stride-1 convolution over one input channel (a first layer on grey images) as a depthwise
 * convolution of dY with the flipped filter, one map per output channel, then a sum over those channels. XNNPACK runs
 * the composite's general form (a convolution with one output channel) slowly: 89 against 39 ms for mobilenet-tiny's
 * first layer at batch 64 (load 19). tfjs computes this gradient even for the network's input when the layer has no
 * bias or activation (its fused op's custom gradient takes both at once), so it is paid on every mobilenet-tiny step.
 * Sums run in another order: float32 rounding only.
 */
import * as tf from '../../tfjs.js';

interface InputGradAttrs {
  inputShape: [number, number, number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** dX of conv2d(x, W) for one input channel and stride 1, or null for any other conv. */
export function oneChannelInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: InputGradAttrs): tf.Tensor4D | null {
  const [kh, kw, cin, cout] = filter.shape;
  if (cin !== 1 || (attrs.dataFormat ?? 'NHWC') !== 'NHWC' || dy.dtype !== 'float32') return null;
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || dy.shape[1] !== info.outHeight || dy.shape[2] !== info.outWidth) return null;
  // dX[p] = sum_i dY[p + top - i] W[i]: dY padded by k - 1 - (forward pad) on the leading side
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = info.inHeight + kh - 1 - top - info.outHeight;
  const right = info.inWidth + kw - 1 - left - info.outWidth;
  if (Math.min(top, left, bottom, right) < 0) return null;
  return tf.tidy(() => {
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, cout, 1]) as tf.Tensor4D;
    const maps = tf.depthwiseConv2d(dy, flipped, 1, [[0, 0], [top, bottom], [left, right], [0, 0]]);
    return tf.reshape(tf.sum(maps, 3), attrs.inputShape) as tf.Tensor4D;
  });
}
