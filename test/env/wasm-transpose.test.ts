/**
 * Transpose on wasm with our kernel (env/kernels/transpose.ts: the input's buffer where only axes of size 1 move,
 * wasm's own kernel otherwise) gives tfjs's own Transpose (`setFastWasmKernels(false)`) word for word: it is a copy.
 * Serial: the tests swap process-wide kernel registrations.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { selectBackend } from '../../env/backend.js';
import { collapsePermutation } from '../../env/kernels/transpose.js';
import { setFastWasmKernels } from '../../env/wasm-kernels.js';

test.before(async () => {
  await selectBackend('wasm');
});
test.after.always(() => {
  setFastWasmKernels(true);
});

/** The output's bytes as 32-bit words (float32 and int32) or bytes (bool), with its shape and dtype. */
function bits(y: tf.Tensor): { shape: number[]; dtype: string; words: number[] } {
  const d = y.dataSync() as Float32Array | Int32Array | Uint8Array;
  const words = d instanceof Float32Array ? new Int32Array(d.buffer, d.byteOffset, d.length) : d;
  return { shape: y.shape, dtype: y.dtype, words: Array.from(words) };
}

/** tf.transpose(x(), perm) with tfjs's kernels and with ours, as bits. */
function both(x: () => tf.Tensor, perm: number[]) {
  const run = () => tf.tidy(() => bits(tf.transpose(x(), perm)));
  setFastWasmKernels(false);
  const stock = run();
  setFastWasmKernels(true);
  return { stock, ours: run() };
}

const floats = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** Every permutation of [0, ..., n-1]. */
function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

test('collapsing a permutation: [64,28,28,1] by [3,1,2,0] is [64,784] by [1,0]; [2,3,4,5] by [0,2,3,1] is [2,3,20] by [0,2,1]', (t) => {
  t.deepEqual(collapsePermutation([64, 28, 28, 1], [3, 1, 2, 0]), { shape: [64, 784], perm: [1, 0] });
  t.deepEqual(collapsePermutation([2, 3, 4, 5], [0, 2, 3, 1]), { shape: [2, 3, 20], perm: [0, 2, 1] });
  t.deepEqual(collapsePermutation([2, 3, 4], [0, 1, 2]), { shape: [24], perm: [0] });
  t.deepEqual(collapsePermutation([3, 1, 1, 7], [1, 0, 2, 3]), { shape: [21], perm: [0] }, 'only axes of size 1 move');
  t.deepEqual(collapsePermutation([1, 1], [1, 0]), { shape: [], perm: [] });
});

test.serial('every permutation of rank 3, [3,5,7] and [3,1,7]: the same words as tfjs', (t) => {
  for (const shape of [[3, 5, 7], [3, 1, 7]]) {
    for (const perm of permutations(3)) {
      const { stock, ours } = both(() => floats(shape, 1), perm);
      t.deepEqual(ours, stock, `[${shape}] by [${perm}]`);
    }
  }
});

test.serial('ranks 2 to 5 with odd sizes and axes of size 1: the same words as tfjs', (t) => {
  const cases: Array<[number[], number[]]> = [
    [[9, 13], [1, 0]],
    [[1, 13], [1, 0]],
    [[5, 7, 3, 11], [3, 1, 2, 0]],
    [[5, 7, 3, 11], [0, 2, 3, 1]],
    [[5, 1, 3, 1], [3, 2, 1, 0]],
    [[3, 1, 1, 7], [1, 0, 2, 3]],
    [[3, 5, 2, 7, 3], [4, 2, 0, 3, 1]],
    [[3, 5, 1, 7, 3], [0, 1, 3, 2, 4]],
  ];
  for (const [shape, perm] of cases) {
    const { stock, ours } = both(() => floats(shape, 2), perm);
    t.deepEqual(ours, stock, `[${shape}] by [${perm}]`);
  }
});

test.serial('int32 and bool keep their dtype and values; a zero-size axis gives an empty tensor of the permuted shape', (t) => {
  // [[0 1 2] [3 4 5]] transposed: 0 3 / 1 4 / 2 5
  const ints = both(() => tf.tensor2d([0, 1, 2, 3, 4, 5], [2, 3], 'int32'), [1, 0]);
  t.deepEqual(ints.ours, { shape: [3, 2], dtype: 'int32', words: [0, 3, 1, 4, 2, 5] });
  t.deepEqual(ints.ours, ints.stock);
  const bools = both(() => tf.greater(floats([4, 3, 5], 3), 0), [2, 0, 1]);
  t.is(bools.ours.dtype, 'bool');
  t.deepEqual(bools.ours, bools.stock);
  const empty = both(() => tf.zeros([0, 3, 5]), [2, 0, 1]);
  t.deepEqual(empty.ours, { shape: [5, 0, 3], dtype: 'float32', words: [] });
  t.deepEqual(empty.ours, empty.stock);
});

test.serial('moving only axes of size 1 shares the buffer, which outlives the input; tfjs copies when off', (t) => {
  const x = tf.tensor2d([1, 2, 3], [3, 1]);
  const before = tf.backend().numDataIds();
  const y = tf.transpose(x, [1, 0]);
  t.is(tf.backend().numDataIds(), before, 'ours shares');
  x.dispose();
  t.deepEqual([y.shape, Array.from(y.dataSync())], [[1, 3], [1, 2, 3]]);
  y.dispose();
  setFastWasmKernels(false);
  const a = tf.tensor2d([1, 2, 3], [3, 1]);
  const atA = tf.backend().numDataIds();
  const b = tf.transpose(a, [1, 0]);
  t.is(tf.backend().numDataIds(), atA + 1, "wasm's own copies");
  tf.dispose([a, b]);
  setFastWasmKernels(true);
});

test.serial("setFastWasmKernels(false) puts back wasm's Transpose; true installs ours", (t) => {
  setFastWasmKernels(false);
  const stock = tf.getKernel(tf.Transpose, 'wasm')!.kernelFunc;
  setFastWasmKernels(true);
  t.not(tf.getKernel(tf.Transpose, 'wasm')!.kernelFunc, stock);
  setFastWasmKernels(true, { layerKernels: false });
  t.is(tf.getKernel(tf.Transpose, 'wasm')!.kernelFunc, stock, 'the first replacements alone keep wasm own');
  setFastWasmKernels(false);
  t.is(tf.getKernel(tf.Transpose, 'wasm')!.kernelFunc, stock);
  setFastWasmKernels(true);
});
