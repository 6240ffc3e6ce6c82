import test from 'ava';
import * as tf from '../../tfjs.js';
import { activationSites, calibrateActivations, EMA_RATE, fakeQuantize, withActivationQuant } from '../../env/activation-quant.js';
import { selectBackend } from '../../env/backend.js';
import type { Dataset } from '../../env/data/dataset.js';

test.before(async () => {
  await selectBackend('wasm');
});

// four 2-feature rows: feature 0 holds 0, 1, 2, 3 and feature 1 holds 3, 2, 1, 0
function tinyData(): Dataset {
  const split = { x: Float32Array.from([0, 3, 1, 2, 2, 1, 3, 0]), y: Int32Array.from([0, 1, 0, 1]), count: 4 };
  return { id: 'tiny', name: 'tiny', inputShape: [1, 1, 2], numClasses: 2, train: split, validation: split, test: split };
}

/** input [1, 1, 2] -> dense 'id' (identity kernel, no bias): its output is its (possibly quantized) input. */
function identityModel(): tf.LayersModel {
  const input = tf.input({ shape: [1, 1, 2] });
  const dense = tf.layers.dense({ units: 2, useBias: false, name: 'id', kernelInitializer: 'identity' });
  return tf.model({ inputs: input, outputs: dense.apply(input) as tf.SymbolicTensor });
}

/** Rows of two features as a batch of 1x1 two-channel images. */
const rows = (r: number[][]) => tf.tensor2d(r).reshape([-1, 1, 1, 2]);
const round = (v: Iterable<number>) => Array.from(v, (x) => +x.toFixed(5));

test('2 bits over [0, 3] is a grid of step 1: 0.4 -> 0, 1.6 -> 2, 2.6 -> 3, and -1 -> 0, 5 -> 3 clipped', (t) => {
  const before = tf.memory().numTensors;
  const y = tf.tidy(() => fakeQuantize(tf.tensor1d([0.4, 1.6, 2.6, -1, 5]), 0, 3, 2));
  t.deepEqual(round(y.dataSync()), [0, 2, 3, 0, 3]);
  y.dispose();
  t.is(tf.memory().numTensors, before);
});

test('the straight-through gradient is 1 inside [0, 3] and 0 outside: x = 0.4, 1.6, 3, -1, 5 -> 1, 1, 1, 0, 0', (t) => {
  const g = tf.tidy(() => tf.grad((x: tf.Tensor) => fakeQuantize(x, 0, 3, 2).sum())(tf.tensor1d([0.4, 1.6, 3, -1, 5])));
  t.deepEqual(round(g.dataSync()), [1, 1, 1, 0, 0]);
  g.dispose();
});

test('3 bits over [-1, 6]: step 1, so -0.6 -> -1 and 4.4 -> 4', (t) => {
  const y = tf.tidy(() => fakeQuantize(tf.tensor1d([-0.6, 4.4]), -1, 6, 3));
  t.deepEqual(round(y.dataSync()), [-1, 4]);
  y.dispose();
});

test.serial('a wrapped layer sees its input quantized; the range starts at the first batch and then moves by EMA_RATE', async (t) => {
  const model = identityModel();
  await withActivationQuant(model, [{ layerName: 'id', bits: 2 }], async (q) => {
    // first training batch: range [0, 3] exactly, step 1
    const out = tf.tidy(() => (model.apply(rows([[0.4, 1.6], [3, 0]]), { training: true }) as tf.Tensor).dataSync());
    t.deepEqual(round(out), [0, 2, 3, 0]);
    t.deepEqual(q!.ranges(), [{ layerName: 'id', bits: 2, min: 0, max: 3 }]);
    // second batch max 6: max moves by 0.01 x (6 - 3) = 0.03; min stays 0 (the range always holds 0)
    tf.tidy(() => {
      model.apply(rows([[6, 1]]), { training: true });
    });
    t.is(+q!.ranges()[0].max.toFixed(6), +(3 + EMA_RATE * 3).toFixed(6));
    q!.freeze();
    // frozen: a batch with max 100 no longer moves the range, and predict() is quantized too (100 clips to 3.03)
    const frozen = tf.tidy(() => (model.predict(rows([[100, 0]])) as tf.Tensor).dataSync());
    t.is(+frozen[0].toFixed(4), +(3 + EMA_RATE * 3).toFixed(4));
    t.is(+q!.ranges()[0].max.toFixed(6), +(3 + EMA_RATE * 3).toFixed(6));
  });
  model.dispose();
});

test.serial('no leak: after the scope the layer has its prototype call back, outputs are fp32 again, and no tensor is left', async (t) => {
  const model = identityModel();
  const layer = model.getLayer('id');
  const protoCall = Object.getPrototypeOf(layer).call;
  const before = tf.memory().numTensors;
  await withActivationQuant(model, [{ layerName: 'id', bits: 2 }], async (q) => {
    t.not(layer.call, protoCall);
    await calibrateActivations(model, q!, tinyData(), { batches: 2, batchSize: 2, seed: 1 });
    tf.tidy(() => {
      model.predict(rows([[0.4, 1.6]]));
    });
  });
  t.is(tf.memory().numTensors, before);
  t.false(Object.prototype.hasOwnProperty.call(layer, 'call'));
  t.is(layer.call, protoCall);
  const out = tf.tidy(() => (model.predict(rows([[0.4, 1.6]])) as tf.Tensor).dataSync());
  t.deepEqual(round(out), [0.4, 1.6]);
  // the scope restores even when its callback throws
  await t.throwsAsync(withActivationQuant(model, [{ layerName: 'id', bits: 2 }], async () => {
    throw new Error('boom');
  }), { message: 'boom' });
  t.false(Object.prototype.hasOwnProperty.call(layer, 'call'));
  model.dispose();
});

test.serial('calibration without a fine-tune reads training batches and freezes: each batch has min 0 or 1 and max 2 or 3, so min 0, max in [2, 3]', async (t) => {
  const model = identityModel();
  await withActivationQuant(model, [{ layerName: 'id', bits: 4 }], async (q) => {
    await calibrateActivations(model, q!, tinyData(), { batches: 2, batchSize: 2, seed: 1 });
    const r = q!.ranges()[0];
    // every batch of two rows holds min 0..1 and max 2..3: the range stays within [0, 3] and holds 0
    t.is(r.min, 0);
    t.true(r.max >= 2 && r.max <= 3, `max ${r.max}`);
    t.true(q!.observed);
  });
  model.dispose();
});

test('a strategy sets one site per layer, at its first unit\'s bits; units without activation bits set none', (t) => {
  t.deepEqual(activationSites([
    { layerName: 'sep', activationBits: 4 },
    { layerName: 'sep', activationBits: 6 },
    { layerName: 'fc', activationBits: undefined },
    { layerName: 'out', activationBits: 8 },
  ]), [{ layerName: 'sep', bits: 4 }, { layerName: 'out', bits: 8 }]);
});
