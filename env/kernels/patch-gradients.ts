/**
 * The filter gradient of a convolution (Conv2DBackpropFilter) from image patches, for convolutions whose patches are
 * no larger than their output gradient: 1x1 windows (MobileNet's pointwise layers, where the patches are the input
 * itself) and few input channels (a first layer on grey images, 3x3 over 1 channel).
 *
 * The patches are cut by XNNPACK: a depthwise convolution whose filter is one-hot per tap ([kh, kw, c, kh*kw], tap
 * t = i*kw + j picks X[y*s + i, x*s + j]) copies every window of the padded, strided input into the channel axis,
 * exactly (one product by 1, the rest by 0), in one vectorised call:
 *   patches[n, y, x, c*T + t] = X[n, y*s + i, x*s + j, c],  T = kh*kw,
 * and dW = patches^T dY is one matrix product, [c*T, N] x [N, cout] (N = n*h*w), reshaped and transposed to
 * [kh, kw, cin, cout]. The wider of the two operands is transposed, so that the narrower is the product's right
 * operand: XNNPACK packs that operand anew for every new tensor, which costs more than wasm's Transpose of the other
 * (4-12 against 0.6-2.7 ns a value at load 5; pointwise filter gradients 1.9-2.1x faster than transposing the narrower
 * where the widths differ, bench/results/patch-operand.md). That packing, not the Transpose, is most of a first layer's
 * filter gradient (bench/results/transpose.md). The composite (env/wasm-kernels.ts) runs a convolution whose window is
 * the whole output map, which XNNPACK does slowly: 66 against 22 ms for mobilenet-tiny's first conv at batch 64, 25
 * against 7 ms for its last pointwise conv (scratch timings at load 20). For larger patches (LeNet's 5x5 windows: 25 or
 * 150 values a pixel against 6 or 16 output channels) cutting them costs more than the composite, which keeps those.
 * Sums run in another order: float32 rounding only.
 */
import * as tf from '../../tfjs.js';

type Pair = [number, number];
type Filter4 = [number, number, number, number];

export interface FilterGradAttrs {
  strides: number | Pair;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | Pair;
  filterShape: Filter4;
}


/** The one-hot tap filter [kh, kw, c, kh*kw]. */
function tapFilter(kh: number, kw: number, c: number): tf.Tensor4D {
  const taps = kh * kw;
  const values = new Float32Array(kh * kw * c * taps);
  for (let t = 0; t < taps; t++) for (let ci = 0; ci < c; ci++) values[(t * c + ci) * taps + t] = 1;
  return tf.tensor4d(values, [kh, kw, c, taps]);
}

/** The geometry of the forward convolution, or null when ours does not cover it (dilation, NCHW, shapes). */
function geometry(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: FilterGradAttrs): tf.backend_util.Conv2DInfo | null {
  const [dh, dw] = typeof attrs.dilations === 'number' ? [attrs.dilations, attrs.dilations] : attrs.dilations ?? [1, 1];
  if (dh !== 1 || dw !== 1 || (attrs.dataFormat ?? 'NHWC') !== 'NHWC' || x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const want = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.shape.some((d, i) => d !== want[i])) return null;
  // patches no larger than dY: the case where cutting them costs less than the composite's convolution
  return info.inChannels * info.filterHeight * info.filterWidth <= info.outChannels || isPlainPixelwise(info) ? info : null;
}

/** A 1x1 window at stride 1 without padding: each output pixel reads its own input pixel. */
function isPlainPixelwise(info: tf.backend_util.Conv2DInfo): boolean {
  const { top, bottom, left, right } = info.padInfo;
  return info.filterHeight === 1 && info.filterWidth === 1 && info.strideHeight === 1 && info.strideWidth === 1 && top + bottom + left + right === 0;
}

function patches(x: tf.Tensor4D, attrs: FilterGradAttrs): tf.Tensor4D {
  const [kh, kw] = attrs.filterShape;
  return tf.depthwiseConv2d(x, tapFilter(kh, kw, x.shape[3]), attrs.strides, attrs.pad as never, 'NHWC', 1, attrs.dimRoundingMode);
}

/** dW of conv2d(x, W) from patches and one matrix product, or null for a case ours does not cover. */
export function convFilterGradFromPatches(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: FilterGradAttrs): tf.Tensor4D | null {
  const info = geometry(x, dy, attrs);
  if (info === null) return null;
  const [kh, kw, cin, cout] = attrs.filterShape;
  return tf.tidy(() => {
    const rows = info.batchSize * info.outHeight * info.outWidth;
    const k = cin * kh * kw;
    const cols = isPlainPixelwise(info) ? tf.reshape(x, [rows, cin]) : tf.reshape(patches(x, attrs), [rows, k]);
    const dy2 = tf.reshape(dy, [rows, cout]);
    // [k, cout], with the narrower operand on the right: XNNPACK packs a product's right operand anew for every new
    // tensor, 4-12 ns a value, where wasm's Transpose of the other costs 0.6-2.7 (bench/results/transpose.md)
    const g = k <= cout ? tf.transpose(tf.matMul(tf.transpose(dy2), cols)) : tf.matMul(tf.transpose(cols), dy2);
    return tf.transpose(tf.reshape(g, [cin, kh, kw, cout]), [1, 2, 0, 3]) as tf.Tensor4D;
  });
}
