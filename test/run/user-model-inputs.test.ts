/**
 * A user's own model takes what its input says, not only images: a vector [d] (Dense), a sequence [steps, features]
 * (Conv1D, LSTM, also with the steps left open), token ids [length] (Embedding), or a flat [d] fed with images. The
 * data the loaders read as images takes that shape when the values are the same in the same order; a model with two
 * outputs, or token ids an Embedding cannot look up, are one-line refusals.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { DataError, ModelError } from '../../errors.js';
import type { Dataset, DataSplit } from '../../env/data/dataset.js';
import { checkFits } from '../../run/setup.js';

/** `count` examples of `shape` (as a loader gives them), value i of the split = i % 10, labels i % classes. */
function dataset(shape: number[], opts: { flat?: boolean; classes?: number; value?: (i: number) => number } = {}): Dataset {
  const classes = opts.classes ?? 2;
  const size = shape.reduce((a, b) => a * b, 1);
  const split = (count: number): DataSplit => ({
    x: Float32Array.from({ length: count * size }, (_, i) => (opts.value ?? ((j) => j % 10))(i)),
    y: Int32Array.from({ length: count }, (_, i) => i % classes),
    count,
  });
  return { id: 'test', name: 'test data', inputShape: shape, numClasses: classes, train: split(6), validation: split(4), test: split(4), ...(opts.flat ? { flat: true } : {}) };
}

function model(inputShape: Array<number | null>, layers: tf.layers.Layer[]): tf.LayersModel {
  const input = tf.input({ shape: inputShape });
  let y = input;
  for (const l of layers) y = l.apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

const head = () => tf.layers.dense({ units: 2, activation: 'softmax' });

test('flat rows of 20 values feed a Dense model whose input is [20], and predict with it', (t) => {
  const m = model([20], [tf.layers.dense({ units: 8 }), head()]);
  t.teardown(() => m.dispose());
  const data = dataset([1, 1, 20], { flat: true });
  checkFits(m, data, 'vector');
  t.deepEqual(data.inputShape, [20]);
  const out = tf.tidy(() => (m.predict(tf.tensor(data.train.x, [6, ...data.inputShape])) as tf.Tensor).shape);
  t.deepEqual(out, [6, 2]);
});

test('[n, 24, 3] sequences (read as [24, 3, 1]) feed a Conv1D input of [24, 3] and an LSTM input of [null, 3]', (t) => {
  const conv = model([24, 3], [tf.layers.conv1d({ filters: 4, kernelSize: 3 }), tf.layers.flatten(), head()]);
  const lstm = model([null, 3], [tf.layers.lstm({ units: 4 }), head()]);
  t.teardown(() => [conv, lstm].forEach((m) => m.dispose()));
  const a = dataset([24, 3, 1]);
  checkFits(conv, a, 'conv1d');
  t.deepEqual(a.inputShape, [24, 3]);
  const b = dataset([24, 3, 1]);
  checkFits(lstm, b, 'lstm');
  t.deepEqual(b.inputShape, [24, 3]);
});

test('12x12x1 images feed a flat [144] input in row order, as a Flatten would; [3, 2] is refused for [2, 3, 1] data', (t) => {
  const flat = model([144], [head()]);
  const swapped = model([3, 2], [tf.layers.flatten(), head()]);
  t.teardown(() => [flat, swapped].forEach((m) => m.dispose()));
  const images = dataset([12, 12, 1]);
  checkFits(flat, images, 'flat');
  t.deepEqual(images.inputShape, [144]);
  // 6 values either way, but which axis is which is in doubt: refused, not silently reshaped
  t.throws(() => checkFits(swapped, dataset([2, 3, 1]), 'swapped'), { instanceOf: ModelError, message: /takes inputs of shape \[3, 2\] but test data has examples of shape \[2, 3, 1\]/ });
});

test('token ids 0..9 feed an Embedding of 10 rows; an id of 10, or ids divided by 255, are one-line DataErrors', (t) => {
  const m = model([5], [tf.layers.embedding({ inputDim: 10, outputDim: 4 }), tf.layers.flatten(), head()]);
  t.teardown(() => m.dispose());
  checkFits(m, dataset([1, 1, 5], { flat: true }), 'text');
  const tooLarge = t.throws(() => checkFits(m, dataset([1, 1, 5], { flat: true, value: (i) => (i === 7 ? 10 : 1) }), 'text'), { instanceOf: DataError });
  t.regex(tooLarge!.message, /feeds its input to Embedding layer .* \(10 rows\), but test data holds 10 in its train examples; token ids must be whole numbers/);
  // uint8 ids 3 read as images are 3 / 255
  t.throws(() => checkFits(m, dataset([1, 1, 5], { flat: true, value: () => 3 / 255 }), 'text'), { instanceOf: DataError, message: /holds 0\.0117\d* in its train examples/ });
  t.false(tooLarge!.message.includes('\n'));
});

test('a model with two outputs is a one-line ModelError', (t) => {
  const input = tf.input({ shape: [20] });
  const h = tf.layers.dense({ units: 4 }).apply(input) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: [head().apply(h) as tf.SymbolicTensor, head().apply(h) as tf.SymbolicTensor] });
  t.teardown(() => m.dispose());
  t.throws(() => checkFits(m, dataset([1, 1, 20], { flat: true }), 'two'), { instanceOf: ModelError, message: 'model two has 1 inputs and 2 outputs; autoshrink compresses classifiers with one input and one output' });
});

test('a binary classifier with one output column fits data of 2 classes, and is refused for 3', (t) => {
  const m = model([20], [tf.layers.dense({ units: 1, activation: 'sigmoid' })]);
  t.teardown(() => m.dispose());
  t.notThrows(() => checkFits(m, dataset([1, 1, 20], { flat: true, classes: 2 }), 'binary'));
  t.throws(() => checkFits(m, dataset([1, 1, 20], { flat: true, classes: 3 }), 'binary'), { instanceOf: ModelError, message: /outputs 1 scores but test data has 3 classes/ });
});
