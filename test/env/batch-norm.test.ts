import test from 'ava';
import * as tf from '../../tfjs.js';
import { selectBackend } from '../../env/backend.js';
import { hasBatchNorm, recalibrateBatchNorm, setRecalibrationShortcuts } from '../../env/batch-norm.js';
import type { Dataset } from '../../env/data/dataset.js';

test.before(async () => {
  await selectBackend('wasm');
});

// four 1x1 "images" of two channels: channel 0 holds 1, 2, 3, 4 and channel 1 holds 10 everywhere
function tinyData(): Dataset {
  const split = { x: Float32Array.from([1, 10, 2, 10, 3, 10, 4, 10]), y: Int32Array.from([0, 1, 0, 1]), count: 4 };
  return { id: 'tiny', name: 'tiny', inputShape: [1, 1, 2], numClasses: 2, train: split, validation: split, test: split };
}

function readStats(layer: tf.layers.Layer): { mean: number[]; variance: number[] } {
  const byName = (suffix: string) => Array.from(layer.weights.find((w) => w.originalName.endsWith(suffix))!.read().dataSync());
  return { mean: byName('moving_mean'), variance: byName('moving_variance') };
}

/** input -> 1x1 conv that doubles each channel -> batch norm: the batch norm's input is 2x the image. */
function convBnModel(): tf.LayersModel {
  const input = tf.input({ shape: [1, 1, 2] });
  const conv = tf.layers.conv2d({ filters: 2, kernelSize: 1, useBias: false, name: 'double' });
  const bn = tf.layers.batchNormalization({ name: 'bn' });
  const model = tf.model({ inputs: input, outputs: bn.apply(conv.apply(input)) as tf.SymbolicTensor });
  conv.setWeights([tf.tensor4d([2, 0, 0, 2], [1, 1, 2, 2])]);
  return model;
}

test.serial('re-estimation sets each channel to the population statistics of its input: doubled 1..4 -> mean 5, variance 30 - 25 = 5; doubled 10s -> mean 20, variance 0', async (t) => {
  const model = convBnModel();
  const bn = model.getLayer('bn');
  t.deepEqual(readStats(bn), { mean: [0, 0], variance: [1, 1] }, 'a fresh batch norm starts at mean 0, variance 1');
  // 2 batches of 2 images read all four once (one epoch of the seeded order)
  await recalibrateBatchNorm(model, tinyData(), { batches: 2, batchSize: 2, seed: 1 });
  const { mean, variance } = readStats(bn);
  t.deepEqual(mean.map((v) => +v.toFixed(4)), [5, 20]);
  // E[x^2] of 2, 4, 6, 8 is (4 + 16 + 36 + 64) / 4 = 30; 30 - 5^2 = 5
  t.deepEqual(variance.map((v) => +v.toFixed(4)), [5, 0]);
  model.dispose();
});

test.serial('re-estimation with 0 batches, or on a model without batch norm, changes nothing', async (t) => {
  const model = convBnModel();
  await recalibrateBatchNorm(model, tinyData(), { batches: 0, batchSize: 2, seed: 1 });
  t.deepEqual(readStats(model.getLayer('bn')), { mean: [0, 0], variance: [1, 1] });
  const plain = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [1, 1, 2] }), tf.layers.dense({ units: 2 })] });
  t.false(hasBatchNorm(plain));
  t.true(hasBatchNorm(model));
  const before = plain.getWeights().map((w) => Array.from(w.dataSync()));
  await recalibrateBatchNorm(plain, tinyData(), { batches: 2, batchSize: 2, seed: 1 });
  t.deepEqual(plain.getWeights().map((w) => Array.from(w.dataSync())), before);
  model.dispose();
  plain.dispose();
});

test.serial('re-estimation works on a Sequential model, leaves the other weights alone and leaks no tensor', async (t) => {
  const model = tf.sequential({ layers: [tf.layers.batchNormalization({ inputShape: [1, 1, 2], name: 'bn' }), tf.layers.flatten(), tf.layers.dense({ units: 2, name: 'head' })] });
  const head = Array.from(model.getLayer('head').getWeights()[0].dataSync());
  await recalibrateBatchNorm(model, tinyData(), { batches: 2, batchSize: 2, seed: 1 }); // warm up the kernels
  const before = tf.memory().numTensors;
  await recalibrateBatchNorm(model, tinyData(), { batches: 4, batchSize: 2, seed: 'x' });
  t.is(tf.memory().numTensors, before);
  // 1, 2, 3, 4 -> mean 2.5, E[x^2] = 7.5, variance 7.5 - 6.25 = 1.25 (two epochs read each image twice)
  const { mean, variance } = readStats(model.getLayer('bn'));
  t.deepEqual(mean.map((v) => +v.toFixed(4)), [2.5, 10]);
  t.deepEqual(variance.map((v) => +v.toFixed(4)), [1.25, 0]);
  t.deepEqual(Array.from(model.getLayer('head').getWeights()[0].dataSync()), head);
  model.dispose();
});

test.serial('re-estimation stops at the last batch norm and skips the momentum update: the same statistics bit for bit as the whole pass, the layer after it never run', async (t) => {
  // input -> 1x1 conv doubling -> bn -> dense head: the head changes no statistic
  const input = tf.input({ shape: [1, 1, 2] });
  const conv = tf.layers.conv2d({ filters: 2, kernelSize: 1, useBias: false, name: 'double' });
  const bn = tf.layers.batchNormalization({ name: 'bn' });
  const head = tf.layers.dense({ units: 2, name: 'head' });
  const model = tf.model({ inputs: input, outputs: head.apply(tf.layers.flatten().apply(bn.apply(conv.apply(input)))) as tf.SymbolicTensor });
  conv.setWeights([tf.tensor4d([2, 0, 0, 2], [1, 1, 2, 2])]);
  const headCall = head.call.bind(head);
  let headCalls = 0;
  head.call = (inputs, kwargs) => {
    headCalls++;
    return headCall(inputs, kwargs);
  };
  const stats: Array<{ mean: number[]; variance: number[] }> = [];
  const calls: number[] = [];
  for (const on of [false, true]) {
    setRecalibrationShortcuts(on);
    headCalls = 0;
    await recalibrateBatchNorm(model, tinyData(), { batches: 2, batchSize: 2, seed: 1 });
    stats.push(readStats(model.getLayer('bn')));
    calls.push(headCalls);
  }
  setRecalibrationShortcuts(true);
  t.deepEqual(stats[1], stats[0]);
  // doubled 1..4 and 10s, as in the first test: mean 5 and 20, variance 5 and 0
  t.deepEqual(stats[1].mean.map((v) => +v.toFixed(4)), [5, 20]);
  t.deepEqual(calls, [2, 0], 'the whole pass runs the head once a batch; the shortcut never');
  model.dispose();
});
