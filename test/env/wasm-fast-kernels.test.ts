/**
 * Our replacements of slow wasm kernels (env/wasm-kernels.ts `setFastWasmKernels`: Tile, MaxPoolGrad, transposed
 * BatchMatMul, Sum and Mean over leading axes) give what wasm's own kernels give (MaxPoolGrad: what the cpu backend
 * gives): exactly for the copies (Tile, non-overlapping MaxPoolGrad), within float32 rounding of a different summation
 * order for the rest. Serial: the tests
 * swap process-wide kernel registrations.
 */
import test, { type ExecutionContext } from 'ava';
import * as tf from '../../tfjs.js';
import { selectBackend } from '../../env/backend.js';
import { setFastWasmKernels } from '../../env/wasm-kernels.js';

test.before(async () => {
  await selectBackend('wasm');
});
test.after.always(() => setFastWasmKernels(true));

/** The values `f` computes with wasm's own kernels and with ours. */
function both(f: () => tf.Tensor): { stock: Float32Array; ours: Float32Array; shapes: [number[], number[]] } {
  setFastWasmKernels(false);
  const a = tf.tidy(f);
  setFastWasmKernels(true);
  const b = tf.tidy(f);
  const out = { stock: a.dataSync() as Float32Array, ours: b.dataSync() as Float32Array, shapes: [a.shape, b.shape] as [number[], number[]] };
  tf.dispose([a, b]);
  return out;
}

function close(t: ExecutionContext, r: ReturnType<typeof both>, relTol: number, what: string): void {
  t.deepEqual(r.shapes[1], r.shapes[0], `${what}: shape`);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < r.stock.length; i++) {
    scale = Math.max(scale, Math.abs(r.stock[i]));
    worst = Math.max(worst, Math.abs(r.ours[i] - r.stock[i]));
  }
  t.true(worst <= relTol * scale, `${what}: max |ours - wasm| = ${worst} for values up to ${scale}`);
}

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

test.serial('Tile copies exactly: batch-norm broadcast [1,1,1,5] x [3,4,2,1], a mixed [2,3,1,4] x [3,1,5,2], int32', (t) => {
  for (const [what, f] of [
    ['bn', () => tf.tile(rand([1, 1, 1, 5], 1), [3, 4, 2, 1])],
    ['mixed', () => tf.tile(rand([2, 3, 1, 4], 2), [3, 1, 5, 2])],
    ['int32', () => tf.tile(tf.tensor1d([1, 2, 3], 'int32'), [4])],
  ] as const) {
    const r = both(f);
    t.deepEqual(r.shapes[1], r.shapes[0], what);
    t.deepEqual(Array.from(r.ours), Array.from(r.stock), what);
  }
  // 2x3 tiled twice along rows: rows 1 2 3 / 4 5 6 / 1 2 3 / 4 5 6
  t.deepEqual(Array.from(tf.tile(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), [2, 1]).dataSync()), [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
});

test.serial('MaxPoolGrad sends each gradient to the first maximum of its window, as the cpu backend does', async (t) => {
  const grad = (size: number, pad: 'valid' | 'same', out: number) =>
    tf.tidy(() => {
      const dy = rand([2, out, out, 3], 5);
      const x = tf.relu(rand([2, 7, 7, 3], 4)).add(rand([2, 7, 7, 3], 6).mul(0.01));
      return tf.grad((v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, size, 2, pad).mul(dy).sum())(x).dataSync() as Float32Array;
    });
  await selectBackend('cpu');
  const want = [grad(2, 'valid', 3), grad(3, 'same', 4)];
  await selectBackend('wasm');
  const got = [grad(2, 'valid', 3), grad(3, 'same', 4)];
  // non-overlapping windows: a copy, exact; overlapping ones add up in another order
  t.deepEqual(Array.from(got[0]), Array.from(want[0]));
  t.true(got[1].every((v, i) => Math.abs(v - want[1][i]) <= 1e-6), 'overlapping windows');
  // (wasm's own kernel differs from cpu here: it drops the gradient of a window whose values are all negative)
  // one 2x2 window [1 3; 2 0] with gradient 5: all of it to the 3
  const dx = tf.grad((x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid').mul(5).sum())(tf.tensor4d([1, 3, 2, 0], [1, 2, 2, 1]));
  t.deepEqual(Array.from(dx.dataSync()), [0, 5, 0, 0]);
  dx.dispose();
});

test.serial('transposed BatchMatMul equals wasm own product: every transpose pair, rank 2 and batched rank 3', (t) => {
  for (const [ta, tb] of [[true, false], [false, true], [true, true]] as const) {
    const a = (shape: number[]) => rand(ta ? [...shape.slice(0, -2), shape.at(-1)!, shape.at(-2)!] : shape, 7);
    const b = (shape: number[]) => rand(tb ? [...shape.slice(0, -2), shape.at(-1)!, shape.at(-2)!] : shape, 8);
    close(t, both(() => tf.matMul(a([64, 40]), b([40, 12]), ta, tb)), 1e-5, `rank 2 ${ta} ${tb}`);
    close(t, both(() => tf.matMul(a([3, 5, 7]), b([3, 7, 4]), ta, tb)), 1e-5, `rank 3 ${ta} ${tb}`);
  }
});

test.serial('Sum and Mean over leading axes equal wasm own reductions; other axes are left to wasm', (t) => {
  const x = () => rand([16, 6, 5, 3], 9);
  close(t, both(() => tf.sum(x(), [0, 1, 2])), 1e-5, 'sum [0,1,2]');
  close(t, both(() => tf.mean(x(), [0, 1, 2], true)), 1e-5, 'mean [0,1,2] keepDims');
  close(t, both(() => tf.sum(x(), [0, 1], true)), 1e-5, 'sum [0,1] keepDims');
  close(t, both(() => tf.mean(x().reshape([480, 3]), 0)), 1e-5, 'mean of rows');
  const inner = both(() => tf.sum(x(), [1, 2]));
  t.deepEqual(Array.from(inner.ours), Array.from(inner.stock), 'inner axes: wasm own kernel');
  // 300 ones over the leading axis sum to 300, their mean is 1
  t.deepEqual(Array.from(tf.sum(tf.ones([300, 2]), 0).dataSync()), [300, 300]);
  t.deepEqual(Array.from(tf.mean(tf.ones([300, 2]), 0).dataSync()), [1, 1]);
});

test.serial('the fast kernels leave no tensor and no backend buffer behind', (t) => {
  const run = () =>
    tf.tidy(() => {
      const x = rand([8, 6, 6, 4], 3);
      tf.tile(rand([1, 1, 1, 4], 1), [8, 6, 6, 1]);
      tf.grad((v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid').sum())(x);
      tf.matMul(rand([8, 5], 1), rand([8, 3], 2), true, false);
      tf.moments(x, [0, 1, 2]);
    });
  run();
  const tensors = tf.memory().numTensors;
  const dataIds = tf.backend().numDataIds();
  for (let i = 0; i < 3; i++) run();
  t.is(tf.memory().numTensors, tensors);
  t.is(tf.backend().numDataIds(), dataIds);
});
