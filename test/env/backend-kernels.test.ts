/**
 * The wasm backend's composite conv-gradient kernels (env/wasm-kernels.ts) against the cpu backend's own kernels, plus
 * backend selection. Every test is serial: they switch the process-wide tfjs backend.
 */
import test, { type ExecutionContext } from 'ava';
import * as tf from '../../tfjs.js';
import { createRequire } from 'node:module';
import { BACKENDS, describeBackend, selectBackend } from '../../env/backend.js';
import { ConfigError } from '../../errors.js';

type Pad = 'same' | 'valid' | number;
interface GradCase {
  title: string;
  op: 'conv2d' | 'depthwise';
  x: [number, number, number, number];
  /** conv2d: [kh, kw, cin, cout]; depthwise: [kh, kw, c, multiplier]. */
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

const cases: GradCase[] = [
  { title: 'conv2d stride 1 same, odd 7x7, batch 2, 3->4 channels', op: 'conv2d', x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { title: 'conv2d stride 1 valid, even 8x6, 5x5 window, 1->2 channels', op: 'conv2d', x: [1, 8, 6, 1], filter: [5, 5, 1, 2], strides: 1, pad: 'valid' },
  { title: 'conv2d stride 2 same, even 8x8 (pad 0 top, 1 bottom)', op: 'conv2d', x: [2, 8, 8, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { title: 'conv2d stride 2 same, odd 7x9, even 2x4 window', op: 'conv2d', x: [2, 7, 9, 3], filter: [2, 4, 3, 4], strides: 2, pad: 'same' },
  { title: 'conv2d stride 2 valid, odd 9x7, rows left over', op: 'conv2d', x: [3, 9, 7, 2], filter: [3, 2, 2, 5], strides: 2, pad: 'valid' },
  { title: 'conv2d strides [2,1] same', op: 'conv2d', x: [2, 6, 5, 2], filter: [3, 3, 2, 3], strides: [2, 1], pad: 'same' },
  // A numeric pad only with equal strides: tfjs 4.22 sizes the output with the row stride for both axes.
  { title: 'conv2d stride 2, numeric pad 1, odd 7x6', op: 'conv2d', x: [2, 7, 6, 2], filter: [3, 3, 2, 3], strides: 2, pad: 1 },
  { title: 'conv2d 1x1 window stride 2 same', op: 'conv2d', x: [2, 6, 6, 3], filter: [1, 1, 3, 5], strides: 2, pad: 'same' },
  { title: 'depthwise stride 1 same, 6x6, batch 3, 2 channels', op: 'depthwise', x: [3, 6, 6, 2], filter: [3, 3, 2, 1], strides: 1, pad: 'same' },
  { title: 'depthwise stride 2 same, odd 7x8, 4x3 window', op: 'depthwise', x: [3, 7, 8, 2], filter: [4, 3, 2, 1], strides: 2, pad: 'same' },
  { title: 'depthwise stride 2 valid, 9x8, 4 channels, multiplier 3', op: 'depthwise', x: [2, 9, 8, 4], filter: [3, 3, 4, 3], strides: 2, pad: 'valid' },
  { title: 'depthwise stride 2 same, even 8x8, 2x2 window, multiplier 2', op: 'depthwise', x: [2, 8, 8, 2], filter: [2, 2, 2, 2], strides: 2, pad: 'same' },
  { title: 'depthwise stride 1 valid, window as large as the input', op: 'depthwise', x: [2, 5, 5, 3], filter: [5, 5, 3, 1], strides: 1, pad: 'valid' },
];

/** dL/dx and dL/dfilter of L = sum(conv(x, filter) * r), with seeded inputs (generated in JS, same on every backend). */
function gradients(c: GradCase): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal(c.filter, 0, 1, 'float32', 2) as tf.Tensor4D;
    const loss = (a: tf.Tensor, w: tf.Tensor): tf.Scalar => {
      const y =
        c.op === 'conv2d'
          ? tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad)
          : tf.depthwiseConv2d(a as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad);
      return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', 3)));
    };
    const [dx, dw] = tf.grads(loss)([x, filter]);
    return [dx.dataSync() as Float32Array, dw.dataSync() as Float32Array];
  });
}

/** Conv2DBackpropFilter called directly with dataFormat NCHW (the forward conv on wasm is NHWC-only). */
function nchwFilterGradient(): Float32Array {
  return tf.tidy(() => {
    const x = tf.randomNormal([2, 3, 7, 6], 0, 1, 'float32', 4);
    const dy = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 5);
    const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] };
    return (tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as {}) as tf.Tensor).dataSync() as Float32Array;
  });
}

function assertClose(t: ExecutionContext, got: Float32Array, want: Float32Array, what: string): void {
  t.is(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  t.true(worst <= 1e-4 * scale + 1e-6, `${what}: max |wasm - cpu| = ${worst} for values up to ${scale}`);
}

const reference = new Map<string, Float32Array[]>();

test.before(async () => {
  await selectBackend('cpu');
  for (const c of cases) reference.set(c.title, gradients(c));
  reference.set('nchw', [nchwFilterGradient()]);
  await selectBackend('wasm');
});

for (const c of cases) {
  test.serial(`wasm gradients match cpu: ${c.title}`, (t) => {
    t.is(tf.getBackend(), 'wasm');
    const [dx, dw] = gradients(c);
    const [refDx, refDw] = reference.get(c.title)!;
    assertClose(t, dx, refDx, 'dx');
    assertClose(t, dw, refDw, 'dfilter');
  });
}

test.serial('wasm Conv2DBackpropFilter matches cpu for dataFormat NCHW', (t) => {
  assertClose(t, nchwFilterGradient(), reference.get('nchw')![0], 'dfilter');
});

test.serial('the composite kernels leave no tensor and no backend buffer behind', (t) => {
  const x = tf.randomNormal([2, 6, 6, 3]) as tf.Tensor4D;
  const dy = tf.randomNormal([2, 3, 3, 3]) as tf.Tensor4D;
  const filter = tf.randomNormal([3, 3, 3, 1]) as tf.Tensor4D;
  t.teardown(() => tf.dispose([x, dy, filter]));
  const run = () => {
    const common = { strides: 2, pad: 'same', dilations: 1 };
    const outs = [
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...common, dataFormat: 'NHWC', filterShape: [3, 3, 3, 3] }),
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...common, filterShape: [3, 3, 3, 1] }),
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter }, { ...common, inputShape: x.shape }),
    ] as tf.Tensor[];
    tf.dispose(outs);
  };
  run();
  const tensors = tf.memory().numTensors;
  const dataIds = tf.backend().numDataIds();
  for (let i = 0; i < 3; i++) run();
  t.is(tf.memory().numTensors, tensors);
  t.is(tf.backend().numDataIds(), dataIds);
});

test.serial('training a small conv + depthwise model on wasm leaks no tensors', async (t) => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [10, 10, 2], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  const x = tf.randomNormal([6, 10, 10, 2], 0, 1, 'float32', 7);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3);
  const optimizer = tf.train.adam(0.01);
  t.teardown(() => {
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  });
  const step = () => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor), true)!;
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  };

  const first = step(); // creates the optimizer's slots
  const afterFirst = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 5; i++) last = step();
  t.is(tf.memory().numTensors, afterFirst, 'optimizer.minimize');
  t.true(last < first, `loss went from ${first} to ${last}`);

  model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
  await model.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0 });
  const afterFit = tf.memory().numTensors;
  await model.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0 });
  t.is(tf.memory().numTensors, afterFit, 'model.fit');
});

test.serial('selectBackend is idempotent', async (t) => {
  const a = await selectBackend('wasm');
  const b = await selectBackend('wasm');
  t.deepEqual(a, b);
  t.is(tf.getBackend(), 'wasm');
});

test.serial('an unknown backend name is a ConfigError naming the choices', async (t) => {
  const e = await t.throwsAsync(selectBackend('nonsense'), { instanceOf: ConfigError });
  t.is(e?.message, "unknown backend 'nonsense': choose one of auto, node, wasm, cpu");
});

const tfjsNodeInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

(tfjsNodeInstalled ? test.serial.skip : test.serial)(
  "requesting 'node' without @tensorflow/tfjs-node fails in one line and keeps the current backend",
  async (t) => {
    await selectBackend('wasm');
    const e = await t.throwsAsync(selectBackend('node'), { instanceOf: ConfigError });
    t.is(
      e?.message,
      "backend 'node' is not available: @tensorflow/tfjs-node is not installed (it needs internet at install time); " +
        'use --backend wasm (available here: wasm, cpu)',
    );
    t.is(tf.getBackend(), 'wasm');
  },
);

(tfjsNodeInstalled ? test.serial.skip : test.serial)("'auto' falls back to wasm and says why", async (t) => {
  const choice = await selectBackend('auto');
  t.is(choice.name, 'wasm');
  t.regex(choice.reason, /tfjs-node is not installed.*wasm/);
  t.is(tf.getBackend(), 'wasm');
});

test.serial('every backend has a one-line description', (t) => {
  for (const name of BACKENDS) {
    const line = describeBackend(name);
    t.true(line.startsWith(`${name}: `));
    t.false(line.includes('\n'));
  }
  t.regex(describeBackend('tpu'), /unknown backend/);
});
