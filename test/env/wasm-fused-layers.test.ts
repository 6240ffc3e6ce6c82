/**
 * The layer fusions of our wasm kernels (env/wasm-kernels.ts `setFastWasmKernels`, `fusions`) give tfjs's values:
 * batch norm in training mode as one op with its closed-form gradient (env/kernels/batch-norm-training.ts) against
 * tfjs-layers' own on the cpu backend (output, the gradients of input, gamma and beta, the moving statistics), and
 * scoring with batch norm folded into the convolution before it (env/folded-inference.ts) against `model.predict` on
 * the cpu backend. Odd sizes, strides 1 and 2, 'same' and 'valid', batch 1. Serial: the tests switch the backend and
 * the process-wide kernel registrations.
 */
import test, { type ExecutionContext } from 'ava';
import * as tf from '../../tfjs.js';
import { selectBackend } from '../../env/backend.js';
import { recalibrateBatchNorm } from '../../env/batch-norm.js';
import type { Dataset } from '../../env/data/dataset.js';
import { evaluateModel } from '../../env/evaluate.js';
import { foldedForward, layerChain } from '../../env/folded-inference.js';
import { setFastWasmKernels } from '../../env/wasm-kernels.js';

test.after.always(async () => {
  await selectBackend('wasm');
  setFastWasmKernels(true);
});

const rand = (shape: number[], seed: number, lo = -1, hi = 1) => tf.randomUniform(shape, lo, hi, 'float32', seed);

/** Every array of `ours` within `relTol` of the largest value of the same array of `ref`. */
function close(t: ExecutionContext, ref: Float32Array[], ours: Float32Array[], relTol: number, what: string): void {
  t.is(ours.length, ref.length, `${what}: outputs`);
  ref.forEach((r, k) => {
    t.is(ours[k].length, r.length, `${what}[${k}]: size`);
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < r.length; i++) {
      scale = Math.max(scale, Math.abs(r[i]));
      worst = Math.max(worst, Math.abs(ours[k][i] - r[i]));
    }
    t.true(worst <= relTol * scale, `${what}[${k}]: max |ours - cpu| = ${worst} for values up to ${scale}`);
  });
}

/** A batch-norm layer's training-mode output, the gradients of input, gamma and beta, and the moving statistics. */
function trainingPass(shape: number[]): Float32Array[] {
  return tf.tidy(() => {
    const layer = tf.layers.batchNormalization({ momentum: 0.9 });
    const x = tf.add(tf.mul(rand(shape, 1), 3), 0.7); // a mean and spread far from 0 and 1
    layer.build(x.shape);
    layer.setWeights([rand([shape.at(-1)!], 2, 0.5, 1.5), rand([shape.at(-1)!], 3), rand([shape.at(-1)!], 4), rand([shape.at(-1)!], 5, 0.5, 2)]);
    const r = rand(shape, 6);
    const loss = (v: tf.Tensor) => tf.sum(tf.mul(layer.apply(v, { training: true }) as tf.Tensor, r)) as tf.Scalar;
    const y = layer.apply(x, { training: true }) as tf.Tensor; // moves the moving statistics once
    const { grads } = tf.variableGrads(() => loss(x), layer.trainableWeights.map((w) => w.read() as tf.Variable));
    const dx = tf.grad(loss)(x);
    const out = [y, dx, ...Object.values(grads), ...layer.nonTrainableWeights.map((w) => w.read())].map((t) => t.dataSync() as Float32Array);
    layer.weights.forEach((w) => w.dispose());
    return out;
  });
}

for (const shape of [[5, 7, 9, 13], [1, 6, 5, 3], [301, 17], [3, 11, 4]]) {
  test.serial(`batch norm in training mode equals tfjs-layers' on cpu: [${shape}] (output, dx, dgamma, dbeta, moving mean and variance)`, async (t) => {
    await selectBackend('cpu');
    const ref = trainingPass(shape);
    await selectBackend('wasm');
    setFastWasmKernels(true);
    close(t, ref, trainingPass(shape), 2e-5, `[${shape}]`);
  });
}

test.serial('batch norm in training mode by hand: [1, 3] in one channel, gamma 2, beta 0.5, eps 0 -> mean 2, variance 1, y = [-1.5, 2.5]', async (t) => {
  await selectBackend('wasm');
  setFastWasmKernels(true);
  const layer = tf.layers.batchNormalization({ epsilon: 0, momentum: 0.5, gammaInitializer: tf.initializers.constant({ value: 2 }), betaInitializer: tf.initializers.constant({ value: 0.5 }) });
  const y = layer.apply(tf.tensor2d([[1], [3]]), { training: true }) as tf.Tensor;
  t.deepEqual(Array.from(y.dataSync()), [-1.5, 2.5]);
  // moving statistics from 0 and 1, half way to the batch's: 0.5 * 0 + 0.5 * 2 = 1, 0.5 * 1 + 0.5 * 1 = 1
  t.deepEqual(layer.nonTrainableWeights.map((w) => w.read().dataSync()[0]), [1, 1]);
  y.dispose();
  layer.weights.forEach((w) => w.dispose());
});

test.serial('the fused batch norm runs only with fusions on: tfjs-layers ends in FusedBatchNorm with them off', async (t) => {
  await selectBackend('wasm');
  const layer = tf.layers.batchNormalization();
  const x = rand([4, 5, 5, 3], 1);
  layer.apply(x, { training: true });
  const kernels = async () => (await tf.profile(() => tf.dispose(layer.apply(x, { training: true }) as tf.Tensor))).kernelNames;
  setFastWasmKernels(true, { fusions: false });
  t.true((await kernels()).includes('FusedBatchNorm'));
  setFastWasmKernels(true);
  t.false((await kernels()).includes('FusedBatchNorm'));
  x.dispose();
  layer.weights.forEach((w) => w.dispose());
});

/** A MobileNet-like chain: conv (no bias) + BN + ReLU, depthwise stride 2 + BN + ReLU, conv with bias + BN, pool, dense. */
function chainModel(seed: number, lastScale = false): tf.LayersModel {
  let n = 0;
  const init = () => tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed * 100 + n++ });
  const input = tf.input({ shape: [11, 9, 1] });
  let h = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init() }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
  h = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, useBias: false, depthwiseInitializer: init() }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.activation({ activation: 'relu' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 7, kernelSize: 2, padding: 'valid', kernelInitializer: init(), biasInitializer: init() }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ scale: lastScale }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: init() }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: h });
  // batch-norm statistics and parameters away from 0 and 1, so that a wrong fold shows
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    layer.setWeights(layer.weights.map((w, i) => (w.name.includes('variance') ? rand(w.shape as number[], seed + i, 0.2, 3) : rand(w.shape as number[], seed + i, -1.5, 1.5))));
  }
  return model;
}

test.serial('folded scoring equals model.predict on cpu: conv + BN + ReLU, depthwise x2 stride 2 + BN + relu, conv with bias + BN; batch 1 and 37', async (t) => {
  const run = () =>
    tf.tidy(() => {
      const model = chainModel(3);
      const out = [1, 37].map((b) => {
        const x = rand([b, 11, 9, 1], 9 + b);
        const before = tf.memory().numTensors;
        const forward = foldedForward(model)!;
        const y = forward.apply(x).dataSync() as Float32Array;
        forward.dispose();
        t.is(tf.memory().numTensors, before + 1, 'only the output of apply is left (the tidy frees it)');
        return y;
      });
      model.dispose();
      return out;
    });
  await selectBackend('cpu');
  t.not(foldedForward(chainModel(3)), null, 'the chain folds');
  const ref = (() => {
    const model = chainModel(3);
    const out = [1, 37].map((b) => (model.predict(rand([b, 11, 9, 1], 9 + b)) as tf.Tensor).dataSync() as Float32Array);
    model.dispose();
    return out;
  })();
  await selectBackend('wasm');
  setFastWasmKernels(true);
  close(t, ref, run(), 1e-5, 'folded');
});

test.serial('a Sequential conv + batch norm folds too, and equals its predict', async (t) => {
  await selectBackend('wasm');
  setFastWasmKernels(true);
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [7, 5, 2], filters: 3, kernelSize: 3, strides: 2, padding: 'valid', kernelInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 1 }) }),
      tf.layers.batchNormalization({ movingMeanInitializer: tf.initializers.constant({ value: 0.3 }), movingVarianceInitializer: tf.initializers.constant({ value: 2 }) }),
      tf.layers.flatten(),
    ],
  });
  const x = rand([4, 7, 5, 2], 3);
  const forward = foldedForward(model);
  t.not(forward, null);
  close(t, [(model.predict(x) as tf.Tensor).dataSync() as Float32Array], [forward!.apply(x).dataSync() as Float32Array], 1e-5, 'sequential');
  x.dispose();
  model.dispose();
});

test.serial('no fold for a model that is not a chain, nor for a layer whose call is wrapped (activation quantization)', async (t) => {
  await selectBackend('wasm');
  const input = tf.input({ shape: [6, 6, 2] });
  const a = tf.layers.conv2d({ filters: 2, kernelSize: 1, useBias: false }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.batchNormalization().apply(a) as tf.SymbolicTensor;
  const branched = tf.model({ inputs: input, outputs: tf.layers.add().apply([b, input]) as tf.SymbolicTensor });
  t.is(layerChain(branched), null);
  t.is(foldedForward(branched), null);
  // a conv whose call adds 1 to its input: the folded pass must run that call, not fold the conv away
  const model = chainModel(4);
  const x = rand([5, 11, 9, 1], 2);
  const conv = model.layers[1];
  const own = conv.call.bind(conv);
  const plusOne = (i: tf.Tensor | tf.Tensor[], k: tf.serialization.ConfigDict) => own(tf.add(Array.isArray(i) ? i[0] : i, 1), k);
  Object.defineProperty(conv, 'call', { value: plusOne, configurable: true });
  const want = (model.predict(x) as tf.Tensor).dataSync();
  const got = foldedForward(model)!.apply(x).dataSync();
  close(t, [want as Float32Array], [got as Float32Array], 1e-5, 'wrapped conv');
  delete (conv as { call?: unknown }).call;
  tf.dispose([x]);
  model.dispose();
  branched.dispose();
});

test.serial('evaluateModel gives the same score with fusions on and off, and leaves no tensor behind', async (t) => {
  await selectBackend('wasm');
  const model = chainModel(5);
  const count = 300;
  const split = { x: rand([count, 11 * 9], 7).dataSync() as Float32Array, y: new Int32Array(count).map((_, i) => i % 4), count };
  const score = () => evaluateModel(model, split, [11, 9, 1], 128);
  setFastWasmKernels(true, { fusions: false });
  const off = await score();
  setFastWasmKernels(true);
  await score();
  const tensors = tf.memory().numTensors;
  const on = await score();
  t.is(tf.memory().numTensors, tensors);
  t.is(on.accuracy, off.accuracy);
  t.true(Math.abs(on.loss - off.loss) <= 1e-5 * off.loss, `${on.loss} vs ${off.loss}`);
  model.dispose();
});

test.serial('batch-norm re-estimation reads the fused op\'s own statistics: the moving statistics of tfjs-layers\' pass, in fewer full-size passes', async (t) => {
  await selectBackend('wasm');
  const count = 96;
  const split = { x: rand([count, 11 * 9], 8, 0, 1).dataSync() as Float32Array, y: new Int32Array(count), count };
  const data: Dataset = { id: 'rand', name: 'rand', inputShape: [11, 9, 1], numClasses: 4, train: split, validation: split, test: split };
  const statistics = async (fusions: boolean) => {
    setFastWasmKernels(true, { fusions });
    const model = chainModel(6);
    const profile = await tf.profile(() => recalibrateBatchNorm(model, data, { batches: 3, batchSize: 32, seed: 1 }));
    const values = model.layers.filter((l) => l.getClassName() === 'BatchNormalization').flatMap((l) => l.nonTrainableWeights.map((w) => w.read().dataSync() as Float32Array));
    model.dispose();
    // passes over activations: kernels reading a rank-4 tensor of a whole batch
    const passes = profile.kernels.filter((k) => k.inputShapes.some((shape) => shape?.length === 4 && shape[0] === 32)).length;
    return { values, passes };
  };
  const off = await statistics(false);
  const on = await statistics(true);
  t.is(on.values.length, 6);
  close(t, off.values, on.values, 1e-5, 're-estimated statistics');
  t.true(on.passes < off.passes, `${on.passes} passes with fusions, ${off.passes} without`);
  setFastWasmKernels(true);
});

test.serial('a first conv without bias or activation: gradients equal the cpu backend\'s, and the images\' gradient is never computed', async (t) => {
  const grads = async () => {
    const model = chainModel(7, true); // tfjs-layers cannot train a batch norm without scale
    const x = rand([5, 11, 9, 1], 4);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = () => tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, tf.range(0, 20).reshape([5, 4]))) as tf.Scalar;
    let values: Float32Array[] = [];
    const profile = await tf.profile(() => {
      const { value, grads: g } = tf.variableGrads(loss, vars);
      values = vars.map((v) => g[v.name].dataSync() as Float32Array);
      tf.dispose([value, ...Object.values(g)]);
    });
    tf.dispose(x);
    model.dispose();
    // the first layer's input gradient: a Conv2DBackpropInput giving the images' shape [5,11,9,1]
    const imageGradients = profile.kernels.filter((k) => k.name === 'Conv2DBackpropInput' && `${k.outputShapes[0]}` === '5,11,9,1').length;
    return { values, imageGradients };
  };
  await selectBackend('cpu');
  const ref = await grads();
  await selectBackend('wasm');
  setFastWasmKernels(true, { fusions: false });
  const off = await grads();
  setFastWasmKernels(true);
  const on = await grads();
  // against the largest gradient of all: the conv bias before a training-mode batch norm has a gradient of 0 in exact
  // arithmetic, so its own float32 noise is all there is to compare
  const largest = Math.max(...ref.values.map((v) => Math.max(...v.map(Math.abs))));
  for (const [what, run] of [['tfjs on wasm', off], ['ours', on]] as const) {
    const worst = Math.max(...run.values.map((v, k) => Math.max(...v.map((x, i) => Math.abs(x - ref.values[k][i])))));
    t.true(worst <= 2e-5 * largest, `${what}: max |wasm - cpu| = ${worst} for gradients up to ${largest}`);
  }
  t.is(off.imageGradients, 1, 'tfjs-layers\' fused op computes it');
  t.is(on.imageGradients, 0);
});
