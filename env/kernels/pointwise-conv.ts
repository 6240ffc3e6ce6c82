/**
 * The input gradient of a 1x1 convolution with stride 1 and no padding (MobileNet's pointwise layers) as a matrix
 * product: with dY as [N, cout] (N = images x rows x columns), dX = dY W^T, at XNNPACK's matmul speed; the general
 * composite (env/wasm-kernels.ts) runs it as a convolution. Its filter gradient is patch-gradients.ts's. Sums run in
 * another order than the convolution's: float32 rounding only.
 */
import * as tf from '../../tfjs.js';

type Pair = [number, number];
type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

interface PointwiseAttrs {
  strides: number | Pair;
  pad: PadAttr;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Whether a conv of `inputShape` with a filter of `filterShape` is a plain per-pixel product (1x1, stride 1, no pad). */
function isPointwise(inputShape: number[], filterShape: [number, number, number, number], attrs: PointwiseAttrs): boolean {
  if (filterShape[0] !== 1 || filterShape[1] !== 1 || (attrs.dataFormat ?? 'NHWC') !== 'NHWC') return false;
  const info = tf.backend_util.computeConv2DInfo(inputShape as [number, number, number, number], filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { top, bottom, left, right } = info.padInfo;
  return info.strideHeight === 1 && info.strideWidth === 1 && top + bottom + left + right === 0 && info.outHeight === inputShape[1] && info.outWidth === inputShape[2];
}

/** dX = dY W^T for a pointwise conv, or null for any other conv. */
export function pointwiseInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: PointwiseAttrs & { inputShape: [number, number, number, number] }): tf.Tensor4D | null {
  if (!isPointwise(attrs.inputShape, filter.shape, attrs) || dy.dtype !== 'float32') return null;
  const [, , cin, cout] = filter.shape;
  return tf.tidy(() => {
    const w = tf.transpose(tf.reshape(filter, [cin, cout])); // [cout, cin]
    return tf.reshape(tf.matMul(tf.reshape(dy, [dy.size / cout, cout]), w), attrs.inputShape) as tf.Tensor4D;
  });
}
