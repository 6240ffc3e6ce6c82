/**
 * The filter gradient of a depthwise convolution (multiplier 1) tap by tap:
 *   dW[i, j, c] = sum over n, y, x of X[n, y*s + i, x*s + j, c] * dY[n, y, x, c]   (X padded as the forward pass did).
 * For a stride s > 1 the padded input is first split into its phases (rows a, a + s, ...; columns b, b + s, ...),
 * each cut exactly by a depthwise convolution with a one-hot s x s filter at stride s (XNNPACK; a strided slice or a
 * transpose is far slower on wasm). Then for each of the kh*kw taps: one slice of a phase (rows contiguous once width
 * and channels are merged, read from the heap by our Slice), one same-shape product and one leading-axis sum (our
 * Sum). The composite (env/wasm-kernels.ts) runs one depthwise convolution whose filter is dY itself, a window as
 * large as the output map, which XNNPACK runs slowly: for mobilenet-tiny at batch 64, 44 against 17 ms (dw3,
 * [64,7,7,64], stride 1) and 46 against 29 ms (dw1, [64,28,28,16], stride 2) at load 23. Small convolutions stay with
 * the composite: there 3 x kh*kw calls cost more than one convolution. Sums run in another order: float32 rounding.
 */
import * as tf from '../../tfjs.js';

type Pair = [number, number];

export interface DepthwiseFilterGradAttrs {
  strides: number | Pair;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** A [sh, sw, c, 1] filter that picks row a, column b of each sh x sw window. */
function oneHot(sh: number, sw: number, a: number, b: number, c: number): tf.Tensor4D {
  const values = new Float32Array(sh * sw * c);
  values.fill(1, (a * sw + b) * c, (a * sw + b + 1) * c);
  return tf.tensor4d(values, [sh, sw, c, 1]);
}

/** Below this many output values per tap the composite's single convolution is faster. */
export const MIN_TAP_VALUES = 65536;

/** dW of depthwiseConv2d(x, W) with multiplier 1, or null for other cases (the caller's kernel runs instead). */
export function depthwiseFilterGradByTaps(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: DepthwiseFilterGradAttrs): tf.Tensor4D | null {
  const [kh, kw, c, m] = attrs.filterShape;
  if (m !== 1 || x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, true);
  const { batchSize: n, outHeight: h, outWidth: w, strideHeight: sh, strideWidth: sw } = info;
  if (dy.shape[0] !== n || dy.shape[1] !== h || dy.shape[2] !== w || dy.shape[3] !== c) return null;
  if (n * h * w * c < MIN_TAP_VALUES) return null;
  return tf.tidy(() => {
    // the padded input split into its sh*sw phases (rows a, a + sh, ...; columns b, b + sw, ...), each cut by a
    // one-hot depthwise convolution at the forward stride (exact), so that every tap reads contiguous rows of one phase
    const hq = h + Math.ceil(kh / sh) - 1;
    const wq = w + Math.ceil(kw / sw) - 1;
    const { top, left } = info.padInfo;
    const hp = hq * sh;
    const wp = wq * sw;
    const cropped = tf.slice(x, [0, 0, 0, 0], [n, Math.min(x.shape[1], hp - top), Math.min(x.shape[2], wp - left), c]);
    const xp = tf.pad(cropped, [[0, 0], [top, hp - top - cropped.shape[1]], [left, wp - left - cropped.shape[2]], [0, 0]]) as tf.Tensor4D;
    const phases: tf.Tensor[] = [];
    for (let a = 0; a < sh; a++) {
      for (let b = 0; b < sw; b++) {
        const phase = sh === 1 && sw === 1 ? xp : tf.depthwiseConv2d(xp, oneHot(sh, sw, a, b, c), [sh, sw], 'valid');
        phases.push(tf.reshape(phase, [n, hq, wq * c]));
      }
    }
    const dy3 = tf.reshape(dy, [n, h, w * c]);
    const taps: tf.Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const view = tf.slice(phases[(i % sh) * sw + (j % sw)], [0, Math.floor(i / sh), Math.floor(j / sw) * c], [n, h, w * c]);
        taps.push(tf.sum(tf.reshape(tf.mul(view, dy3), [n * h * w, c]), 0));
      }
    }
    return tf.reshape(tf.stack(taps), [kh, kw, c, 1]) as tf.Tensor4D;
  });
}
