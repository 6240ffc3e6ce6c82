/**
 * Composite conv-gradient kernels for the tfjs wasm backend, and faster replacements of some slow wasm kernels, all
 * registered by `env/backend.ts` when it loads wasm.
 *
 * The wasm backend (4.22) has no kernels for the gradients of convolutions with respect to their filters, nor for the
 * input gradient of a depthwise convolution, so conv training throws on it out of the box. We register three composite
 * kernels for 'wasm', each built from wasm-native ops (Conv2D, DepthwiseConv2dNative, Transpose, PadV2, Slice,
 * Reverse, Sum), computed synchronously inside `tf.tidy` so the only tensor that survives is the kernel's output:
 *
 * - Conv2DBackpropFilter: dW[i,j,ci,co] = sum_{n,y,x} X[n, y*s+i, x*s+j, ci] * dY[n,y,x,co] over the padded input is
 *   itself a convolution: batch <- ci, channels <- n, filter <- dY as [h,w,n,co], dilation <- the forward stride.
 *   The output is cropped to [kh,kw] and transposed back to [kh,kw,cin,cout].
 * - DepthwiseConv2dNativeBackpropFilter: the same identity per channel. Batch and channels are folded into the
 *   channel axis ([1, H, W, n*c]) so one depthwise conv with dY as a [h,w,n*c,m] filter, dilated by the stride, gives
 *   every (image, channel) partial; a sum over the images finishes it.
 * - DepthwiseConv2dNativeBackpropInput: the transposed depthwise conv. dY is dilated by the stride (zeros inserted
 *   with a reshape + pad), padded by (k - 1 - pad) on the leading sides, and correlated with the spatially flipped
 *   filter; with a channel multiplier m > 1 the m partial maps of each input channel are summed.
 * - Conv2DBackpropInput: wasm has its own, but the same transposed conv (filter flipped, channel axes swapped) is
 *   3-5x faster on LeNet-sized layers here, so ours replaces it.
 * - UnsortedSegmentSum, the gradient of Gather (an Embedding layer's): a ScatterNd, which sums duplicate ids.
 *
 * Padding follows `backend_util.computeConv2DInfo` exactly ('same' gives asymmetric pads for even windows and
 * stride 2), so the results match the cpu backend's kernels. Like tfjs-core's own conv gradients, dilations other than
 * 1 are not supported (tfjs-core asserts that before any of these kernels runs).
 *
 * First replacements (bench/results/finetune-profile.md measured them, `setFastWasmKernels(false)` restores wasm's
 * own for comparison): Tile (block copies on the wasm heap), MaxPoolGrad (a first-maximum scan on the heap, as the
 * cpu backend), BatchMatMul with a transposed operand (an explicit Transpose, then XNNPACK's product), Sum and Mean
 * over leading axes (average pooling per image). They are what plain training of our models spends most on in wasm:
 * batch-norm's gradient, every dense gradient, pooling and bias gradients. Copies are exact; sums differ from wasm's
 * own by float32 rounding only (test/env/wasm-fast-kernels.test.ts, test/env/finetune-kernels.test.ts).
 *
 * The layer kernels (batch norm, per-channel products, copies, convolution gradients) live in env/kernels/ and are
 * installed by `setFastWasmKernels` too, as are the fusions (batch norm in training mode as one op,
 * env/kernels/batch-norm-training.ts; folded scoring, env/folded-inference.ts); docs/wasm-kernels.md describes all four
 * layers.
 *
 * A kernelFunc may return a `Tensor` instead of a bare TensorInfo (the engine passes it through; tfjs-node's kernels
 * rely on this), which is what makes composing tf ops here leak-free: intermediates die with the tidy, the returned
 * tensor is tracked exactly once, in the caller's scope.
 */
import * as tf from '../tfjs.js';
import { setBatchNormTraining } from './kernels/batch-norm-training.js';
import { setPlainConvTraining } from './kernels/conv-training.js';
import { installLayerKernels } from './kernels/index.js';
import { replaceKernel, restoreAll, type WasmHeap } from './kernels/registry.js';

type Pair = [number, number];
type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface Conv2DBackpropFilterAttrs {
  strides: number | Pair;
  pad: PadAttr;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: Rounding;
  filterShape: [number, number, number, number];
}

interface DepthwiseBackpropAttrs {
  strides: number | Pair;
  pad: PadAttr;
  dilations?: number | Pair;
  dimRoundingMode?: Rounding;
}

/** The engine hands kernels the op's Tensors; a bare TensorInfo would only come from another kernel calling ours. */
function asTensor4D(t: tf.TensorInfo | undefined, what: string): tf.Tensor4D {
  if (!(t instanceof tf.Tensor) || t.rank !== 4) {
    throw new Error(`autoshrink wasm conv-gradient kernel: expected ${what} as a rank-4 Tensor`);
  }
  return t as tf.Tensor4D;
}

function assertNoDilation(kernel: string, dilations: number | Pair | undefined): void {
  const [dh, dw] = typeof dilations === 'number' ? [dilations, dilations] : dilations ?? [1, 1];
  if (dh !== 1 || dw !== 1) {
    throw new Error(`${kernel} on wasm (autoshrink composite kernel): dilations other than 1 are not supported`);
  }
}

/** Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const pos = (v: number) => Math.max(v, 0);
  const neg = (v: number) => Math.max(-v, 0);
  let y = x;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    y = tf.pad(y, [[0, 0], [pos(top), pos(bottom)], [pos(left), pos(right)], [0, 0]]);
  }
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = y.shape;
    y = tf.slice(y, [0, neg(top), neg(left), 0], [n, h - neg(top) - neg(bottom), w - neg(left) - neg(right), c]);
  }
  return y;
}

/**
 * Pads X so that a 'valid' window of the forward geometry covers it exactly as the forward conv did: the pads of
 * computeConv2DInfo, plus any rows a rounding mode of 'ceil' reads past the end.
 */
function padForward(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  return padOrCrop(x, ...forwardPads(info));
}

type Pads = [top: number, bottom: number, left: number, right: number];

function forwardPads(info: tf.backend_util.Conv2DInfo): Pads {
  const { top, bottom, left, right } = info.padInfo;
  const needH = (info.outHeight - 1) * info.strideHeight + info.filterHeight;
  const needW = (info.outWidth - 1) * info.strideWidth + info.filterWidth;
  const extraH = Math.max(needH - (info.inHeight + top + bottom), 0);
  const extraW = Math.max(needW - (info.inWidth + left + right), 0);
  return [top, bottom + extraH, left, right + extraW];
}

/**
 * A stride-1 'valid' correlation of x, padded (or cropped, negative amounts) by `pads`, with `filter`. Without crops
 * the pads go to the convolution itself (explicit padding): one full pass over x less than a PadV2 first.
 */
function correlate(x: tf.Tensor4D, filter: tf.Tensor4D, pads: Pads, depthwise: boolean, dilation: number | Pair = 1): tf.Tensor4D {
  const [top, bottom, left, right] = pads;
  const explicit = pads.every((p) => p >= 0);
  const input = explicit ? x : padOrCrop(x, top, bottom, left, right);
  const pad: tf.backend_util.ExplicitPadding | 'valid' = explicit ? [[0, 0], [top, bottom], [left, right], [0, 0]] : 'valid';
  return depthwise ? tf.depthwiseConv2d(input, filter, 1, pad, 'NHWC', dilation) : tf.conv2d(input, filter, 1, pad, 'NHWC', dilation);
}

function assertDyShape(kernel: string, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): void {
  const want = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${kernel}: dy has shape [${dy.shape}] but the forward conv gives [${want}]`);
  }
}

/** dW of conv2d(x, W): conv of x^T [cin,H,W,n] with dy^T [h,w,n,cout] as filter, dilation = stride. */
export function conv2DBackpropFilterComposite(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: Conv2DBackpropFilterAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const nhwc = attrs.dataFormat === 'NCHW';
    const x4 = nhwc ? tf.transpose(x, [0, 2, 3, 1]) : x;
    const dy4 = nhwc ? tf.transpose(dy, [0, 2, 3, 1]) : dy;
    const [kh, kw, cin, cout] = attrs.filterShape;
    const info = tf.backend_util.computeConv2DInfo(
      x4.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast',
    );
    assertDyShape('Conv2DBackpropFilter', dy4, info);
    const xT = tf.transpose(x4, [3, 1, 2, 0]); // [cin, H, W, n]
    const dyT = tf.transpose(dy4, [1, 2, 0, 3]); // [h, w, n, cout]
    const g = correlate(xT, dyT, forwardPads(info), false, [info.strideHeight, info.strideWidth]); // [cin, >=kh, >=kw, cout]
    const cropped = tf.slice(g, [0, 0, 0, 0], [cin, kh, kw, cout]);
    return tf.transpose(cropped, [1, 2, 0, 3]);
  });
}

/** dW of depthwiseConv2d(x, W), W: [kh,kw,c,m]. */
export function depthwiseConv2dBackpropFilterComposite(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: DepthwiseBackpropAttrs & { filterShape: [number, number, number, number] },
): tf.Tensor4D {
  assertNoDilation('DepthwiseConv2dNativeBackpropFilter', attrs.dilations);
  return tf.tidy(() => {
    const [kh, kw, c, m] = attrs.filterShape;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, true,
    );
    assertDyShape('DepthwiseConv2dNativeBackpropFilter', dy, info);
    const n = info.batchSize;
    const xp = padForward(x, info);
    const [, hp, wp] = xp.shape;
    // Fold images into channels: input [1, Hp, Wp, n*c], filter [h, w, n*c, m] (dy's channel axis is c*m + k).
    const xFolded = tf.reshape<tf.Rank.R4>(tf.transpose(xp, [1, 2, 0, 3]), [1, hp, wp, n * c]);
    const dyFolded = tf.reshape<tf.Rank.R4>(tf.transpose(dy, [1, 2, 0, 3]), [info.outHeight, info.outWidth, n * c, m]);
    const g = tf.depthwiseConv2d(xFolded, dyFolded, 1, 'valid', 'NHWC', [info.strideHeight, info.strideWidth]);
    const cropped = tf.slice(g, [0, 0, 0, 0], [1, kh, kw, n * c * m]);
    return tf.sum(tf.reshape(cropped, [kh, kw, n, c, m]), 2) as tf.Tensor4D;
  });
}

/**
 * The input gradient of a conv as a forward correlation: dy with (stride - 1) zeros inserted after every row and
 * column, and the pads after which a 'valid' correlation with the spatially flipped filter gives the input's H x W
 * (dX[p] = sum_i dyDilated[p + top - i] * W[i], top = k - 1 - forward pad).
 */
function dilateAndPad(dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): [tf.Tensor4D, Pads] {
  const { batchSize: n, inHeight: H, inWidth: W, outHeight: h, outWidth: w, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const channels = dy.shape[3];
  let dilated = dy;
  if (sh > 1 || sw > 1) {
    // columns, then rows, each a rank-3 pad: wasm pads rank 6 (one step) about 2x slower
    const cols = tf.pad(tf.reshape(dy, [n * h * w, 1, channels]), [[0, 0], [0, sw - 1], [0, 0]]);
    const rows = tf.pad(tf.reshape(cols, [n * h, 1, w * sw * channels]), [[0, 0], [0, sh - 1], [0, 0]]);
    dilated = tf.reshape<tf.Rank.R4>(rows, [n, h * sh, w * sw, channels]);
  }
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  return [dilated, [top, H + kh - 1 - top - h * sh, left, W + kw - 1 - left - w * sw]];
}

/** dX of depthwiseConv2d(x, W): dy dilated by the stride, padded, correlated with the flipped filter. */
export function depthwiseConv2dBackpropInputComposite(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: DepthwiseBackpropAttrs & { inputShape: [number, number, number, number] },
): tf.Tensor4D {
  assertNoDilation('DepthwiseConv2dNativeBackpropInput', attrs.dilations);
  return tf.tidy(() => {
    const [kh, kw, c, m] = filter.shape;
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, true,
    );
    assertDyShape('DepthwiseConv2dNativeBackpropInput', dy, info);
    const { batchSize: n, inHeight: H, inWidth: W } = info;
    const [dilated, pads] = dilateAndPad(dy, info);
    const flipped = tf.reshape<tf.Rank.R4>(tf.reverse(filter, [0, 1]), [kh, kw, c * m, 1]);
    const dx = correlate(dilated, flipped, pads, true); // [n, H, W, c*m]
    return m === 1 ? dx : (tf.sum(tf.reshape(dx, [n, H, W, c, m]), 4) as tf.Tensor4D);
  });
}

/**
 * dX of conv2d(x, W), W: [kh,kw,cin,cout]: dy dilated by the stride and padded, correlated with the spatially flipped
 * filter with its channel axes swapped ([kh,kw,cout,cin]). Replaces wasm's own Conv2DBackpropInput, which is 3-5x
 * slower on LeNet-sized layers here (measured 16 ms vs 3.4 ms for lenet5's conv2), with identical results.
 */
export function conv2DBackpropInputComposite(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: { inputShape: [number, number, number, number]; strides: number | Pair; pad: PadAttr; dataFormat?: 'NHWC' | 'NCHW'; dimRoundingMode?: Rounding },
): tf.Tensor4D {
  return tf.tidy(() => {
    const nchw = attrs.dataFormat === 'NCHW';
    const inputShape = (nchw ? [attrs.inputShape[0], attrs.inputShape[2], attrs.inputShape[3], attrs.inputShape[1]] : attrs.inputShape) as [number, number, number, number];
    const dy4 = nchw ? tf.transpose(dy, [0, 2, 3, 1]) : dy;
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    assertDyShape('Conv2DBackpropInput', dy4, info);
    const [dilated, pads] = dilateAndPad(dy4, info);
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [kh, kw, cout, cin]
    const dx = correlate(dilated, flipped, pads, false); // [n, H, W, cin]
    return nchw ? (tf.transpose(dx, [0, 3, 1, 2]) as tf.Tensor4D) : dx;
  });
}

/**
 * Tile as block copies on the wasm heap: the input's rows are copied into place, then each axis from the innermost out
 * is repeated by doubling `copyWithin`. wasm's own Tile computes an index per element: 74 ms for batch-norm's
 * [1,1,1,16] -> [64,28,28,16] in its gradient, against well under 1 ms here. Exact (a copy).
 */
export function tileOnHeap(x: tf.TensorInfo, reps: number[], backend: WasmHeap): tf.TensorInfo {
  const shape = x.shape;
  const outShape = shape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  const dst = backend.typedArrayFromHeap(out); // after the allocation: it may grow the heap
  const src = backend.typedArrayFromHeap(x);
  if (dst.length === 0) return out;
  const rank = shape.length;
  if (rank === 0) {
    dst.set(src);
    return out;
  }
  // block[i]: elements of one tiled slab from axis i inward in the output; inner[i]: the same in the input
  const outStride = new Array<number>(rank + 1).fill(1);
  for (let i = rank - 1; i >= 0; i--) outStride[i] = outStride[i + 1] * outShape[i];
  // place each input row (the last axis, tiled) at its output position, then tile outward axis by axis
  const fill = (axis: number, srcAt: number, dstAt: number): void => {
    if (axis === rank - 1) {
      const row = shape[axis];
      dst.set(src.subarray(srcAt, srcAt + row), dstAt);
      repeat(dst, dstAt, row, reps[axis]);
      return;
    }
    const inStride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    for (let j = 0; j < shape[axis]; j++) fill(axis + 1, srcAt + j * inStride, dstAt + j * outStride[axis + 1]);
    repeat(dst, dstAt, shape[axis] * outStride[axis + 1], reps[axis]);
  };
  fill(0, 0, 0);
  return out;
}

/** Repeats `arr[at, at + size)` `times` times in place after itself, doubling the copied run each time. */
function repeat(arr: Float32Array | Int32Array | Uint8Array, at: number, size: number, times: number): void {
  let have = size;
  const want = size * times;
  while (have < want) {
    const n = Math.min(have, want - have);
    arr.copyWithin(at + have, at, at + n);
    have += n;
  }
}

/**
 * MaxPoolGrad on the wasm heap: each output cell's gradient goes to the first maximum of its window (row-major scan,
 * strict >), as the cpu backend's maxPoolPositions. wasm's own kernel took 24 ms for lenet5's first pool at batch 64.
 */
export function maxPoolGradOnHeap(
  dy: tf.TensorInfo,
  input: tf.TensorInfo,
  attrs: { filterSize: number | Pair; strides: number | Pair; pad: PadAttr; dimRoundingMode?: Rounding },
  backend: WasmHeap,
): tf.TensorInfo {
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const out = backend.makeOutput(input.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  dx.fill(0);
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: C, outHeight: h, outWidth: w } = info;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: kh, effectiveFilterWidth: kw } = info;
  const { top, left } = info.padInfo;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < h; oy++) {
      const y0 = oy * sh - top;
      const yFrom = Math.max(0, y0);
      const yTo = Math.min(H, y0 + kh);
      for (let ox = 0; ox < w; ox++) {
        const x0 = ox * sw - left;
        const xFrom = Math.max(0, x0);
        const xTo = Math.min(W, x0 + kw);
        const gAt = ((b * h + oy) * w + ox) * C;
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let yy = yFrom; yy < yTo; yy++) {
            for (let xx = xFrom; xx < xTo; xx++) {
              const i = ((b * H + yy) * W + xx) * C + c;
              if (x[i] > best || at < 0) {
                best = x[i];
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] += g[gAt + c];
        }
      }
    }
  }
  return out;
}

/**
 * A transposed matrix product as an explicit Transpose and wasm's plain product: wasm multiplies transposed operands in
 * a slow loop of its own (8.4 ms for dense 400->120's weight gradient at batch 64, 0.4 ms this way; 5-20x on every
 * dense gradient), while the plain case goes through XNNPACK. The sum's order may differ (float32 rounding only).
 */
function untransposedMatMul(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.Tensor {
  return tf.tidy(() => {
    const flip = (t: tf.TensorInfo) => {
      const perm = t.shape.map((_, i) => i);
      perm.push(...perm.splice(-2).reverse());
      return tf.transpose(t as tf.Tensor, perm);
    };
    return tf.matMul(transposeA ? flip(a) : (a as tf.Tensor), transposeB ? flip(b) : (b as tf.Tensor));
  });
}

/**
 * Sum (and Mean) over leading axes as average pooling: X seen as [n, rows, 1, C] (n the first axis), one window per
 * image over its rows (XNNPACK pools channels-last), then the mean of the n means. wasm reduces only innermost axes,
 * so for batch-norm's per-channel moments and every bias or broadcast gradient it transposes the whole tensor first:
 * 3.7 ms for [64,28,28,16], 0.6 ms this way, and 40x closer to the float64 mean (2e-7 relative against 8e-6). A sum is
 * the mean times the count. Other reductions go to wasm's own kernel.
 */
function leadingAxesReduction(x: tf.TensorInfo, axis: number | number[], keepDims: boolean, mean: boolean): tf.Tensor | null {
  const shape: number[] = x.shape;
  const axes: number[] = tf.util.parseAxisParam(axis, shape).sort((a: number, b: number) => a - b);
  if (x.dtype !== 'float32' || axes.length === 0 || axes.length === shape.length || !(x instanceof tf.Tensor)) return null;
  if (axes.some((a, i) => a !== i)) return null;
  const lead = shape.slice(0, axes.length);
  const kept = shape.slice(axes.length);
  const count = lead.reduce((a, b) => a * b, 1);
  if (count < 256) return null;
  const [n, rows] = lead.length === 1 ? [1, count] : [lead[0], count / lead[0]];
  return tf.tidy(() => {
    const c = kept.reduce((a, b) => a * b, 1);
    const perImage = tf.reshape(tf.avgPool(tf.reshape(x, [n, rows, 1, c]) as tf.Tensor4D, [rows, 1], 1, 'valid'), [n, c]);
    let r = n === 1 ? perImage : tf.mean(tf.transpose(perImage), 1);
    if (!mean) r = tf.mul(r, tf.scalar(count));
    return tf.reshape(r, keepDims ? [...axes.map(() => 1), ...kept] : kept);
  });
}

/**
 * UnsortedSegmentSum (the gradient of Gather, so of every Embedding layer): out[s] = sum of the rows x[i] whose id is
 * s. wasm's ScatterNd sums duplicate indices, which is exactly that; ids outside [0, numSegments) are dropped (as
 * TensorFlow does) by zeroing their rows and pointing them at segment 0.
 */
function unsortedSegmentSumComposite(x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  return tf.tidy(() => {
    const n = segmentIds.size;
    const rest = x.shape.slice(segmentIds.rank);
    const ids = tf.reshape(segmentIds, [n]) as tf.Tensor1D;
    const valid = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, numSegments));
    const width = rest.reduce((a, b) => a * b, 1);
    const rows = tf.reshape(x, [n, width]);
    const kept = tf.mul(rows, tf.reshape(tf.cast(valid, x.dtype), [n, 1]));
    const at = tf.reshape(tf.where(valid, ids, tf.zerosLike(ids)), [n, 1]);
    return tf.reshape(tf.scatterND(at, kept, [numSegments, width]), [numSegments, ...rest]);
  });
}

let kernelsRegistered = false;

/**
 * Registers `composite` as the wasm kernel `kernelName`, reading its two tensor inputs by name. A kernel wasm already
 * has is left alone (a future tfjs-backend-wasm may ship it), unless `replace` says ours is better.
 */
function registerComposite<A>(
  kernelName: string,
  [first, second]: [string, string],
  composite: (a: tf.Tensor4D, b: tf.Tensor4D, attrs: A) => tf.Tensor4D,
  replace = false,
): void {
  if (tf.getKernel(kernelName, 'wasm') !== undefined) {
    if (!replace) return;
    tf.unregisterKernel(kernelName, 'wasm');
  }
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) =>
      composite(asTensor4D(inputs[first], first), asTensor4D(inputs[second], second), attrs as unknown as A),
  });
}

/**
 * Registers the composite kernels for 'wasm', once. Called by selectBackend; exported for tests and for callers that
 * set the backend themselves.
 */
export function registerWasmConvGradKernels(): void {
  if (kernelsRegistered) return;
  kernelsRegistered = true;
  registerComposite(tf.Conv2DBackpropFilter, ['x', 'dy'], conv2DBackpropFilterComposite);
  registerComposite(tf.DepthwiseConv2dNativeBackpropFilter, ['x', 'dy'], depthwiseConv2dBackpropFilterComposite);
  registerComposite(tf.DepthwiseConv2dNativeBackpropInput, ['dy', 'filter'], depthwiseConv2dBackpropInputComposite);
  // wasm has its own Conv2DBackpropInput, but the composite is faster (see conv2DBackpropInputComposite)
  registerComposite(tf.Conv2DBackpropInput, ['dy', 'filter'], conv2DBackpropInputComposite, true);
  if (tf.getKernel(tf.UnsortedSegmentSum, 'wasm') === undefined) {
    tf.registerKernel({
      kernelName: tf.UnsortedSegmentSum,
      backendName: 'wasm',
      kernelFunc: ({ inputs, attrs }) =>
        unsortedSegmentSumComposite(inputs.x as tf.Tensor, inputs.segmentIds as tf.Tensor, (attrs as unknown as { numSegments: number }).numSegments),
    });
  }
  setFastWasmKernels(true);
}

let fusionsOn = false;

/**
 * Whether the layer fusions are on (see `setFastWasmKernels`): env/evaluate.ts then scores through
 * env/folded-inference.ts in whole batches.
 */
export function wasmFusionsOn(): boolean {
  return fusionsOn && tf.getBackend() === 'wasm';
}

/**
 * Our replacements of wasm kernels that exist but are slow on or off; on by default once the wasm backend is loaded.
 * Three sets, each on top of the one before: the first replacements (Tile, MaxPoolGrad, transposed BatchMatMul, Sum
 * and Mean over leading axes, below), the layer kernels (env/kernels/index.ts: batch norm, per-channel products,
 * Identity, spatial Mean, pointwise conv gradients, and the gradients of FusedBatchNorm, Mean and Relu) and the layer
 * fusions (batch norm in training mode as one op with its closed-form gradient, env/kernels/batch-norm-training.ts;
 * scoring with batch norm folded into the convolution before it, in whole batches, env/folded-inference.ts; a Conv2D
 * without bias or activation trained through the plain op, whose input gradient tfjs skips for a network's input,
 * env/kernels/conv-training.ts).
 * `layerKernels: false` keeps only the first, `fusions: false` the first two, to compare them in one process
 * (bench/kernels.ts). Off puts tfjs's own kernels and gradients back (our composite conv gradients stay: wasm has no
 * kernel of its own for most of them).
 */
export function setFastWasmKernels(on: boolean, opts: { layerKernels?: boolean; fusions?: boolean } = {}): void {
  restoreAll();
  const layerKernels = on && (opts.layerKernels ?? true);
  fusionsOn = layerKernels && (opts.fusions ?? true);
  setBatchNormTraining(fusionsOn);
  setPlainConvTraining(fusionsOn);
  if (!on) return;
  replaceKernel(tf.Tile, (wasmTile) => ({ inputs, attrs, backend }) =>
    inputs.x!.dtype === 'string' ? wasmTile({ inputs, attrs, backend }) : tileOnHeap(inputs.x!, (attrs as unknown as { reps: number[] }).reps, backend as unknown as WasmHeap));
  replaceKernel(tf.MaxPoolGrad, (wasmGrad) => ({ inputs, attrs, backend }) =>
    inputs.input!.dtype === 'float32' ? maxPoolGradOnHeap(inputs.dy!, inputs.input!, attrs as never, backend as unknown as WasmHeap) : wasmGrad({ inputs, attrs, backend }));
  replaceKernel(tf.BatchMatMul, (wasmMatMul) => ({ inputs, attrs, backend }) => {
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    return transposeA || transposeB ? untransposedMatMul(inputs.a!, inputs.b!, transposeA, transposeB) : wasmMatMul({ inputs, attrs, backend });
  });
  for (const [name, mean] of [[tf.Sum, false], [tf.Mean, true]] as const) {
    replaceKernel(name, (wasmReduce) => ({ inputs, attrs, backend }) => {
      const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
      return leadingAxesReduction(inputs.x!, axis, keepDims, mean) ?? wasmReduce({ inputs, attrs, backend });
    });
  }
  if (layerKernels) installLayerKernels();
}
