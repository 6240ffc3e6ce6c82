/**
 * Copies that need not be: Identity and a same-type Cast share the input's buffer (tensors are immutable; the cpu
 * backend does the same), and Slice reads the wasm heap in place. tfjs clones every tensor it saves for the backward
 * pass through Identity and takes each such clone's gradient through Cast, so on wasm every saved activation was
 * copied twice per training step. wasm's Slice first copies the whole input out of the heap (`readSync`), then copies
 * the slice: `model.predict` slices its input into batches of 32 that way, copying all 500 images 16 times.
 */
import * as tf from '../../tfjs.js';
import type { WasmHeap } from './registry.js';

/** The input itself, one more reference to its buffer; null for strings (wasm's own kernel). */
export function shareBuffer(x: tf.TensorInfo, backend: WasmHeap): tf.TensorInfo | null {
  if (x.dtype === 'string') return null;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Slice of a numeric tensor, row by row (the innermost axis) straight from the heap; one block when the slice is
 * contiguous. Null for strings.
 */
export function sliceOnHeap(x: tf.TensorInfo, begin: number | number[], size: number | number[], backend: WasmHeap): tf.TensorInfo | null {
  if (x.dtype === 'string') return null;
  const [start, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  const out = backend.makeOutput(extent, x.dtype);
  const dst = backend.typedArrayFromHeap(out); // after the allocation: it may grow the heap
  const src = backend.typedArrayFromHeap(x);
  if (dst.length === 0) return out;
  const strides = tf.util.computeStrides(x.shape);
  const offset = start.reduce((o, b, i) => o + b * (i < strides.length ? strides[i] : 1), 0);
  if (tf.slice_util.isSliceContinous(x.shape, start, extent)) {
    dst.set(src.subarray(offset, offset + dst.length));
    return out;
  }
  const rank = x.shape.length;
  const row = extent[rank - 1];
  const index = new Array<number>(rank - 1).fill(0); // position among the outer axes of the slice
  for (let at = 0; at < dst.length; at += row) {
    let from = offset;
    for (let i = 0; i < rank - 1; i++) from += index[i] * strides[i];
    dst.set(src.subarray(from, from + row), at);
    for (let i = rank - 2; i >= 0; i--) {
      if (++index[i] < extent[i]) break;
      index[i] = 0;
    }
  }
  return out;
}
