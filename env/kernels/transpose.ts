/**
 * Transpose without a copy where the permutation only moves axes of size 1 ([64,1] to [1,64], [1,28,28,1] by
 * [3,1,2,0]): the same values in the same order, so the output shares the input's buffer (tensors are immutable; as
 * Identity, copies.ts). wasm's own kernel drops such axes too but then copies the whole tensor. Every other
 * permutation goes to wasm's kernel: a copy in JavaScript (cache-blocked tiles for a swap of the last two axes, row
 * copies, an index loop) was 2-3x slower than it at every size measured, from 16 values to 451,584 (the [50176, 9]
 * image patches of a first layer's filter gradient): bench/results/transpose.md.
 */
import * as tf from '../../tfjs.js';
import type { WasmHeap } from './registry.js';

/**
 * The shape and permutation after dropping axes of size 1 and merging runs of input axes that the permutation keeps
 * adjacent and in order: [64,28,28,1] by [3,1,2,0] is [64,784] by [1,0]; a permutation is a copy when this gives
 * [0, 1, ..., k].
 */
export function collapsePermutation(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const kept = shape.map((d, i) => (d === 1 ? -1 : i)).filter((i) => i >= 0);
  const place = new Map(kept.map((axis, r) => [axis, r])); // input axis -> its place among the kept ones
  const groups: number[][] = []; // runs of consecutive kept axes, in output order
  for (const a of perm.filter((p) => shape[p] !== 1).map((p) => place.get(p)!)) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last[last.length - 1] + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const byInput = [...groups].sort((g, h) => g[0] - h[0]);
  return {
    shape: byInput.map((g) => g.reduce((p, a) => p * shape[kept[a]], 1)),
    perm: groups.map((g) => byInput.indexOf(g)),
  };
}

/** x permuted by `perm` as a view of its own buffer, or null when values move (wasm's kernel copies them). */
export function transposeWithoutCopy(x: tf.TensorInfo, perm: number[], backend: WasmHeap): tf.TensorInfo | null {
  if (x.dtype === 'string' || !collapsePermutation(x.shape, perm).perm.every((a, i) => a === i)) return null;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: perm.map((a) => x.shape[a]), dtype: x.dtype };
}
