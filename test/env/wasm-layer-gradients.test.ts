/**
 * Fine-tuning needs the gradient of every compressed kernel on the default backend (wasm). For each layer type the
 * search compresses (SeparableConv2D, Conv1D, Conv2DTranspose, Embedding, SimpleRNN, GRU, LSTM, Bidirectional,
 * TimeDistributed; through time for the recurrent ones), the gradients of every weight on wasm match the cpu backend's on the same weights and inputs. The
 * Embedding's needs our UnsortedSegmentSum kernel (env/wasm-kernels.ts), checked by hand first. Serial: the tests
 * switch the process-wide backend.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { selectBackend } from '../../env/backend.js';

interface LayerCase {
  name: string;
  inputShape: number[];
  /** Integer inputs in [0, vocabulary) instead of normal noise. */
  vocabulary?: number;
  layer: () => tf.layers.Layer;
}

const CASES: LayerCase[] = [
  { name: 'SeparableConv2D', inputShape: [6, 6, 3], layer: () => tf.layers.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }) },
  { name: 'Conv1D', inputShape: [10, 3], layer: () => tf.layers.conv1d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }) },
  { name: 'Conv2DTranspose', inputShape: [4, 4, 3], layer: () => tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }) },
  { name: 'Embedding', inputShape: [5], vocabulary: 12, layer: () => tf.layers.embedding({ inputDim: 12, outputDim: 4 }) },
  { name: 'SimpleRNN', inputShape: [6, 3], layer: () => tf.layers.simpleRNN({ units: 4, returnSequences: true }) },
  { name: 'GRU', inputShape: [6, 3], layer: () => tf.layers.gru({ units: 4 }) },
  { name: 'LSTM', inputShape: [6, 3], layer: () => tf.layers.lstm({ units: 4 }) },
  { name: 'Bidirectional(GRU)', inputShape: [6, 3], layer: () => tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true }) as tf.RNN }) },
  { name: 'TimeDistributed(Dense)', inputShape: [6, 3], layer: () => tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }) },
];

/** The layer, flattened if it outputs more than a vector, then a dense head; every weight seeded the same on both backends. */
function build(c: LayerCase, weights: Float32Array[] | null): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: c.inputShape }), c.layer()] });
  if (model.outputs[0].rank > 2) model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  const values = model.weights.map((w, i) => (weights ? tf.tensor(weights[i], w.shape as number[]) : tf.randomUniform(w.shape as number[], -0.5, 0.5, 'float32', 10 + i)));
  model.setWeights(values);
  tf.dispose(values);
  return model;
}

/** d(loss)/d(weight) for every weight, in `model.weights` order. */
function gradients(model: tf.LayersModel, c: LayerCase): Float32Array[] {
  return tf.tidy(() => {
    const shape = [4, ...c.inputShape];
    const x = c.vocabulary ? tf.floor(tf.randomUniform(shape, 0, c.vocabulary, 'float32', 3)) : tf.randomNormal(shape, 0, 1, 'float32', 3);
    const vars = model.weights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, tf.range(0, 12).reshape([4, 3]))) as tf.Scalar, vars);
    return vars.map((v) => grads[v.name].dataSync() as Float32Array);
  });
}

const reference = new Map<string, { weights: Float32Array[]; grads: Float32Array[] }>();

test.before(async () => {
  await selectBackend('cpu');
  for (const c of CASES) {
    const model = build(c, null);
    reference.set(c.name, { weights: model.getWeights().map((w) => w.dataSync().slice() as Float32Array), grads: gradients(model, c) });
    model.dispose();
  }
  await selectBackend('wasm');
});

test.serial('UnsortedSegmentSum on wasm sums rows by id and drops ids out of range: [1,2]+[5,6] -> segment 2, [3,4] -> 0', (t) => {
  const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
  const ids = tf.tensor1d([2, 0, 2, -1], 'int32');
  t.teardown(() => tf.dispose([x, ids]));
  const run = () => tf.unsortedSegmentSum(x, ids, 3);
  const first = run();
  t.deepEqual(first.arraySync(), [[3, 4], [0, 0], [6, 8]]);
  first.dispose();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) run().dispose();
  t.is(tf.memory().numTensors, before, 'no tensor left behind');
});

for (const c of CASES) {
  test.serial(`${c.name}: every weight's gradient on wasm matches cpu`, (t) => {
    t.is(tf.getBackend(), 'wasm');
    const ref = reference.get(c.name)!;
    const model = build(c, ref.weights);
    t.teardown(() => model.dispose());
    const got = gradients(model, c);
    t.is(got.length, ref.grads.length);
    got.forEach((g, i) => {
      const want = ref.grads[i];
      let scale = 0;
      let worst = 0;
      for (let j = 0; j < want.length; j++) {
        scale = Math.max(scale, Math.abs(want[j]));
        worst = Math.max(worst, Math.abs(g[j] - want[j]));
      }
      t.true(scale > 0, `${model.weights[i].originalName}: a gradient reaches it`);
      t.true(worst <= 1e-4 * scale + 1e-6, `${model.weights[i].originalName}: max |wasm - cpu| = ${worst} for values up to ${scale}`);
    });
  });
}
