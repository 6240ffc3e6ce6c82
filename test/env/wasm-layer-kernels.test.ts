/**
 * Our layer kernels for wasm (env/kernels/: batch norm and its gradient, per-channel Add/Sub/Multiply, Identity, Cast,
 * Slice, spatial Mean, the gradients of Mean and Relu, conv filter gradients from patches, pointwise and one-channel
 * input gradients, depthwise filter gradients by taps) give what tfjs's own give: wasm's kernels and tfjs-core's
 * gradients (`setFastWasmKernels(false)`), or the cpu backend's kernels where wasm has none of its own (conv filter
 * gradients). Exactly where ours only copy or apply each factor once; within float32 rounding of another summation
 * order elsewhere. Shapes are odd on purpose. Serial: the tests swap process-wide kernel registrations and the backend.
 */
import test, { type ExecutionContext } from 'ava';
import * as tf from '../../tfjs.js';
import { selectBackend } from '../../env/backend.js';
import { setFastWasmKernels } from '../../env/wasm-kernels.js';

test.before(async () => {
  await selectBackend('wasm');
});
test.after.always(async () => {
  await selectBackend('wasm');
  setFastWasmKernels(true);
});

interface Both {
  stock: Float32Array[];
  ours: Float32Array[];
}

/** The values `f` computes with tfjs's own kernels and gradients and with ours (every output of `f`). */
function both(f: () => tf.Tensor | tf.Tensor[]): Both {
  const run = () => {
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    const values = list.map((t) => t.dataSync() as Float32Array);
    tf.dispose(list);
    return values;
  };
  setFastWasmKernels(false);
  const stock = run();
  setFastWasmKernels(true);
  return { stock, ours: run() };
}

/** Every output of `r` within `relTol` of the largest value of the same output (float32 rounding). */
function close(t: ExecutionContext, r: Both, relTol: number, what: string): void {
  t.is(r.ours.length, r.stock.length, `${what}: outputs`);
  r.stock.forEach((stock, k) => {
    const ours = r.ours[k];
    t.is(ours.length, stock.length, `${what}[${k}]: size`);
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < stock.length; i++) {
      scale = Math.max(scale, Math.abs(stock[i]));
      worst = Math.max(worst, Math.abs(ours[i] - stock[i]));
    }
    t.true(worst <= relTol * scale, `${what}[${k}]: max |ours - tfjs| = ${worst} for values up to ${scale}`);
  });
}

function exact(t: ExecutionContext, r: Both, what: string): void {
  r.stock.forEach((stock, k) => t.deepEqual(Array.from(r.ours[k]), Array.from(stock), `${what}[${k}]`));
}

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
const positive = (shape: number[], seed: number) => tf.add(tf.abs(rand(shape, seed)), 0.5);

test.serial('batch norm forward: [3,9,11,17] with per-channel statistics, rank 2 without scale or offset', (t) => {
  close(t, both(() => tf.batchNorm(rand([3, 9, 11, 17], 1), rand([17], 2), positive([17], 3), rand([17], 4), rand([17], 5), 1e-3)), 1e-5, 'rank 4');
  close(t, both(() => tf.batchNorm(rand([301, 17], 1), rand([17], 2), positive([17], 3), undefined, undefined, 1e-3)), 1e-5, 'rank 2');
  close(t, both(() => tf.batchNorm(rand([2, 45, 47, 5], 1), rand([1, 1, 1, 5], 2), positive([1, 1, 1, 5], 3), rand([1, 1, 1, 5], 4), rand([1, 1, 1, 5], 5), 0.1)), 1e-5, '[1,1,1,c] statistics');
  // one channel: (4 - 1) / sqrt(8 + 1) * 2 + 0.5 = 2.5, repeated over 4096 values
  const y = tf.batchNorm(tf.fill([4096, 1], 4), tf.tensor1d([1]), tf.tensor1d([8]), tf.tensor1d([0.5]), tf.tensor1d([2]), 1);
  t.deepEqual([...new Set(y.dataSync())], [2.5]);
  y.dispose();
});

test.serial('batch norm in training mode: gradients of input, gamma and beta as tfjs gives them, odd [5,7,9,13]', (t) => {
  const layer = tf.layers.batchNormalization({ gammaInitializer: 'randomNormal', betaInitializer: 'randomNormal' });
  const x = rand([5, 7, 9, 13], 6);
  const r = rand([5, 7, 9, 13], 7);
  layer.apply(x, { training: true });
  const grads = () => {
    const loss = (v: tf.Tensor) => tf.sum(tf.mul(layer.apply(v, { training: true }) as tf.Tensor, r)) as tf.Scalar;
    const { grads: g } = tf.variableGrads(() => loss(x), layer.trainableWeights.map((w) => w.read() as tf.Variable));
    return [tf.grad(loss)(x), ...Object.values(g)];
  };
  close(t, both(grads), 2e-4, 'training batch norm');
  tf.dispose([x, r]);
  layer.dispose();
});

test.serial('per-channel Add, Sub and Multiply are exact: [4,33,32,7] with [7], [1,1,7] and either order; rank 2', (t) => {
  const big = () => rand([4, 33, 32, 7], 1);
  const c = () => rand([7], 2);
  exact(t, both(() => [tf.add(big(), c()), tf.add(c(), big()), tf.sub(big(), c()), tf.sub(c(), big()), tf.mul(big(), c()), tf.mul(c(), big())]), '[c]');
  exact(t, both(() => [tf.add(big(), tf.reshape(c(), [1, 1, 7])), tf.mul(tf.reshape(c(), [1, 1, 1, 7]), big())]), '[1,1,c]');
  exact(t, both(() => [tf.add(rand([600, 9], 3), rand([9], 4)), tf.sub(rand([600, 9], 3), rand([9], 4))]), 'rank 2');
  // 3 - [1, 2] per channel over 2048 rows: 2 and 1 alternating
  const d = tf.sub(tf.fill([2048, 2], 3), tf.tensor1d([1, 2]));
  t.deepEqual(Array.from(d.dataSync().slice(0, 4)), [2, 1, 2, 1]);
  d.dispose();
});

test.serial('Identity shares the buffer: a clone outlives its source with the same values, and tfjs copies when off', (t) => {
  const a = tf.tensor1d([1, 2, 3]);
  const b = tf.clone(a);
  const shared = tf.backend().numDataIds();
  a.dispose();
  t.deepEqual(Array.from(b.dataSync()), [1, 2, 3]);
  b.dispose();
  setFastWasmKernels(false);
  const c = tf.tensor1d([1, 2, 3]);
  const before = tf.backend().numDataIds();
  const d = tf.clone(c);
  t.is(tf.backend().numDataIds(), before + 1, 'wasm own Identity copies');
  tf.dispose([c, d]);
  setFastWasmKernels(true);
  const e = tf.tensor1d([1, 2, 3]);
  const atE = tf.backend().numDataIds();
  const f = tf.clone(e);
  t.is(tf.backend().numDataIds(), atE, 'ours shares');
  t.true(shared > 0);
  tf.dispose([e, f]);
});

test.serial('Slice copies exactly from the heap: contiguous, rows of rank 2 to 5, int32; a same-type Cast shares', (t) => {
  const x = () => rand([5, 6, 7, 8], 1);
  exact(t, both(() => [tf.slice(x(), [2, 0, 0, 0], [3, 6, 7, 8]), tf.slice(x(), [1, 2, 3, 1], [3, 2, 4, 5]), tf.slice(x(), [0, 5, 6, 7], [5, 1, 1, 1])]), 'rank 4');
  exact(t, both(() => [tf.slice(rand([9, 11], 2), [3, 4], [5, 6]), tf.slice(rand([4, 5, 6], 3), [1, 1, 2], [2, 3, 3])]), 'rank 2 and 3');
  exact(t, both(() => tf.slice(rand([3, 4, 5, 6, 7], 4), [1, 0, 2, 1, 3], [2, 4, 2, 3, 4])), 'rank 5');
  // rows 1..2 of [[0 1 2] [3 4 5] [6 7 8]], columns 1..2: 4 5 / 7 8
  const ints = tf.slice(tf.tensor2d([0, 1, 2, 3, 4, 5, 6, 7, 8], [3, 3], 'int32'), [1, 1], [2, 2]);
  t.deepEqual(Array.from(ints.dataSync()), [4, 5, 7, 8]);
  t.is(ints.dtype, 'int32');
  const before = tf.backend().numDataIds();
  const same = tf.cast(ints, 'int32');
  t.is(tf.backend().numDataIds(), before, 'same-type cast shares the buffer');
  const floats = tf.cast(ints, 'float32');
  t.deepEqual([floats.dtype, ...floats.dataSync()], ['float32', 4, 5, 7, 8]);
  tf.dispose([ints, same, floats]);
});

test.serial('Mean over the spatial axes (keepDims or not) and the gradients of Mean and Relu', (t) => {
  close(t, both(() => [tf.mean(rand([3, 5, 7, 13], 1), [1, 2]), tf.mean(rand([3, 5, 7, 13], 1), [2, 1], true)]), 1e-5, 'spatial mean');
  exact(t, both(() => tf.mean(rand([3, 5, 7, 13], 1), [1, 3])), 'other axes: wasm own');
  exact(t, both(() => [tf.grad((x) => tf.sum(tf.mul(tf.mean(x, [0, 1, 2]), rand([13], 2))))(rand([3, 5, 7, 13], 1))]), 'mean gradient');
  exact(t, both(() => [tf.grad((x) => tf.sum(tf.mul(tf.mean(x, 1, true), rand([3, 1, 7], 2))))(rand([3, 5, 7], 1))]), 'mean gradient, middle axis');
  exact(t, both(() => [tf.grad((x) => tf.sum(tf.mul(tf.relu(x), rand([3, 5, 7, 13], 2))))(rand([3, 5, 7, 13], 1))]), 'relu gradient');
  // mean of 6 values: each gets 1/6 of the gradient
  const g = tf.grad((x) => tf.mean(x))(tf.zeros([2, 3]));
  t.true(g.dataSync().every((v) => Math.abs(v - 1 / 6) < 1e-7));
  g.dispose();
});

type Filter = [number, number, number, number];
interface ConvCase {
  title: string;
  x: Filter;
  filter: Filter;
  strides: number | [number, number];
  pad: 'same' | 'valid';
}

const convCases: ConvCase[] = [
  { title: '1x1 stride 1 valid, odd 7x5, 13->6 channels', x: [3, 7, 5, 13], filter: [1, 1, 13, 6], strides: 1, pad: 'valid' },
  { title: '1x1 stride 1 same', x: [2, 6, 9, 5], filter: [1, 1, 5, 8], strides: 1, pad: 'same' },
  { title: '1x1 stride 2 same (not pointwise: left to the composite)', x: [2, 7, 7, 3], filter: [1, 1, 3, 4], strides: 2, pad: 'same' },
  { title: '3x3 over 1 channel, same, odd 11x9, 16 out', x: [3, 11, 9, 1], filter: [3, 3, 1, 16], strides: 1, pad: 'same' },
  { title: '4x4 over 1 channel, same (asymmetric pads), odd 9x7, 5 out', x: [2, 9, 7, 1], filter: [4, 4, 1, 5], strides: 1, pad: 'same' },
  { title: '3x3 over 1 channel, stride 2 same, even 8x10, 12 out', x: [2, 8, 10, 1], filter: [3, 3, 1, 12], strides: 2, pad: 'same' },
  { title: '2x3 over 2 channels, strides [2,1] valid, 9 out', x: [2, 9, 7, 2], filter: [2, 3, 2, 9], strides: [2, 1], pad: 'valid' },
  { title: '5x5 over 6 channels (larger patches: the composite)', x: [2, 9, 9, 6], filter: [5, 5, 6, 4], strides: 1, pad: 'valid' },
];

/** dL/dx and dL/dfilter of L = sum(conv2d(x, filter) * r), seeded inputs. */
function convGradients(c: ConvCase): Float32Array[] {
  return tf.tidy(() => {
    const x = rand(c.x, 1);
    const filter = rand(c.filter, 2);
    const loss = (a: tf.Tensor, w: tf.Tensor) => {
      const y = tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad);
      return tf.sum(tf.mul(y, rand(y.shape, 3))) as tf.Scalar;
    };
    return tf.grads(loss)([x, filter]).map((g) => g.dataSync() as Float32Array);
  });
}

for (const c of convCases) {
  test.serial(`conv gradients equal the cpu backend's: ${c.title}`, async (t) => {
    await selectBackend('cpu');
    const stock = convGradients(c);
    await selectBackend('wasm');
    close(t, { stock, ours: convGradients(c) }, 1e-5, c.title);
  });
}

const depthwiseCases: Array<{ title: string; x: Filter; filter: Filter; strides?: [number, number]; pad: 'same' | 'valid' }> = [
  { title: 'stride 2 same, odd 33x31, 32 channels (phases, taps)', x: [8, 33, 31, 32], filter: [3, 3, 32, 1], strides: [2, 2], pad: 'same' },
  { title: 'strides [2,1] valid, 4x3 window, 27x25 (phases, taps)', x: [6, 27, 25, 48], filter: [4, 3, 48, 1], strides: [2, 1], pad: 'valid' },
  { title: 'stride 1 same, odd 15x17, 64 channels (taps)', x: [5, 15, 17, 64], filter: [3, 3, 64, 1], pad: 'same' },
  { title: 'stride 1 valid, 5x3 window, 17x15 (taps)', x: [6, 17, 15, 64], filter: [5, 3, 64, 1], pad: 'valid' },
  { title: 'stride 1 same, small (the composite)', x: [2, 6, 7, 3], filter: [3, 3, 3, 1], pad: 'same' },
];

for (const c of depthwiseCases) {
  test.serial(`depthwise filter gradient equals the cpu backend's: ${c.title}`, async (t) => {
    const grad = () =>
      tf.tidy(() => {
        const x = rand(c.x, 1);
        const loss = (w: tf.Tensor) => {
          const y = tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides ?? 1, c.pad);
          return tf.sum(tf.mul(y, rand(y.shape, 3))) as tf.Scalar;
        };
        return [tf.grad(loss)(rand(c.filter, 2)).dataSync() as Float32Array];
      });
    await selectBackend('cpu');
    const stock = grad();
    await selectBackend('wasm');
    close(t, { stock, ours: grad() }, 1e-5, c.title);
  });
}

test.serial('setFastWasmKernels(false) puts back tfjs own kernels and gradients; true installs ours again', (t) => {
  const kernels = ['Identity', 'Cast', 'Slice', 'FusedBatchNorm', 'Add', 'Sub', 'Multiply', 'Mean', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'];
  const gradients = ['FusedBatchNorm', 'Mean', 'Relu'];
  setFastWasmKernels(false);
  const stockKernels = kernels.map((k) => tf.getKernel(k, 'wasm').kernelFunc);
  const stockGrads = gradients.map((g) => tf.getGradient(g).gradFunc);
  setFastWasmKernels(true);
  kernels.forEach((k, i) => t.not(tf.getKernel(k, 'wasm').kernelFunc, stockKernels[i], `${k} is ours`));
  gradients.forEach((g, i) => t.not(tf.getGradient(g).gradFunc, stockGrads[i], `${g} gradient is ours`));
  setFastWasmKernels(true, { layerKernels: false });
  t.is(tf.getKernel('FusedBatchNorm', 'wasm').kernelFunc, stockKernels[3], 'layerKernels: false keeps tfjs batch norm');
  setFastWasmKernels(false);
  kernels.forEach((k, i) => t.is(tf.getKernel(k, 'wasm').kernelFunc, stockKernels[i], `${k} restored`));
  gradients.forEach((g, i) => t.is(tf.getGradient(g).gradFunc, stockGrads[i], `${g} gradient restored`));
  setFastWasmKernels(true);
});

test.serial('a training step through conv, batch norm, relu and global pooling leaves no tensor or buffer behind', (t) => {
  const input = tf.input({ shape: [9, 9, 1] });
  let h = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
  h = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 16, kernelSize: 1, useBias: false }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: h });
  const optimizer = tf.train.adam(1e-3);
  const x = rand([64, 9, 9, 1], 1);
  const step = () => {
    optimizer.minimize(() => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
  };
  step();
  const tensors = tf.memory().numTensors;
  const buffers = tf.backend().numDataIds();
  for (let i = 0; i < 3; i++) step();
  t.is(tf.memory().numTensors, tensors);
  t.is(tf.backend().numDataIds(), buffers);
  tf.dispose([x]);
  optimizer.dispose();
  model.dispose();
});
