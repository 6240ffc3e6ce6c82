/**
 * The filter gradient of a stride-1 depthwise convolution (multiplier 1) tap by tap:
 *   dW[i, j, c] = sum over n, y, x of X[n, y + i, x + j, c] * dY[n, y, x, c]   (X padded as the forward pass did).
 * For each of the kh*kw taps: one slice of the padded input (rows contiguous once width and channels are merged,
 * read from the heap by our Slice), one same-shape product and one leading-axis sum (our Sum). The composite
 * (env/wasm-kernels.ts) runs one depthwise convolution whose filter is dY itself, a window as large as the output
 * map, which XNNPACK runs slowly: 37 against 16 ms for mobilenet-tiny's dw3 ([64,7,7,64]) at load 23. Strided
 * convolutions stay with the composite (a strided slice or a phase split costs more on wasm than it saves), and so do
 * small ones, where the 3 x kh*kw calls cost more than one convolution. Sums run in another order: float32 rounding.
 */
import * as tf from '@tensorflow/tfjs';

type Pair = [number, number];

export interface DepthwiseFilterGradAttrs {
  strides: number | Pair;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** Below this many output values per tap the composite's single convolution is faster. */
export const MIN_TAP_VALUES = 65536;

/** dW of a stride-1 depthwiseConv2d(x, W) with multiplier 1, or null for other cases (the caller's kernel runs). */
export function depthwiseFilterGradByTaps(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: DepthwiseFilterGradAttrs): tf.Tensor4D | null {
  const [kh, kw, c, m] = attrs.filterShape;
  if (m !== 1 || x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, true);
  const { batchSize: n, outHeight: h, outWidth: w, strideHeight: sh, strideWidth: sw } = info;
  if (dy.shape[0] !== n || dy.shape[1] !== h || dy.shape[2] !== w || dy.shape[3] !== c) return null;
  if (sh !== 1 || sw !== 1 || n * h * w * c < MIN_TAP_VALUES) return null;
  return tf.tidy(() => {
    const hp = h + kh - 1;
    const wp = w + kw - 1;
    const { top, left } = info.padInfo;
    // exactly the rows and columns the windows read: the forward pads, or a crop of what no window reaches
    const cropped = tf.slice(x, [0, 0, 0, 0], [n, Math.min(x.shape[1], hp - top), Math.min(x.shape[2], wp - left), c]);
    const xp = tf.pad(cropped, [[0, 0], [top, hp - top - cropped.shape[1]], [left, wp - left - cropped.shape[2]], [0, 0]]);
    const rows = tf.reshape(xp, [n, hp, wp * c]);
    const dy3 = tf.reshape(dy, [n, h, w * c]);
    const taps: tf.Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const view = tf.slice(rows, [0, i, j * c], [n, h, w * c]);
        taps.push(tf.sum(tf.reshape(tf.mul(view, dy3), [n * h * w, c]), 0));
      }
    }
    return tf.reshape(tf.stack(taps), [kh, kw, c, 1]) as tf.Tensor4D;
  });
}
