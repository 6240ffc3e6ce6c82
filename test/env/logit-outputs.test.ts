/**
 * A model whose output layer is linear (logits, trained with from_logits / softmaxCrossEntropy) is scored and
 * fine-tuned through the softmax of its outputs: its loss is the loss of the same model with a softmax on top, and a
 * fine-tune learns (the clipped log of a logit has no gradient outside [1e-7, 1)).
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import type { Dataset } from '../../env/data/dataset.js';
import { evaluateModel, outputsProbabilities } from '../../env/evaluate.js';
import { finetune } from '../../env/finetune.js';

/** Dense 1 -> 2 with kernel [[0, ln 3]] and no bias: on x = 1 the logits are [0, ln 3], softmax [1/4, 3/4]. */
function classifier(activation: 'linear' | 'softmax'): tf.LayersModel {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 2, activation, kernelInitializer: 'zeros', biasInitializer: 'zeros' })] });
  m.layers[0].setWeights([tf.tensor2d([[0, Math.log(3)]]), tf.zeros([2])]);
  return m;
}

/** `count` examples x = 1, all of class 1. */
function ones(count: number): Dataset {
  const split = { x: new Float32Array(count).fill(1), y: new Int32Array(count).fill(1), count };
  return { id: 'ones', name: 'ones', inputShape: [1], numClasses: 2, train: split, validation: split, test: split };
}

test('a linear output layer (or an Add) is taken as logits, a softmax or sigmoid one (or a Softmax layer) as probabilities', (t) => {
  const linear = classifier('linear');
  const soft = classifier('softmax');
  const layer = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 2 }), tf.layers.softmax()] });
  const sigmoid = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 2, activation: 'sigmoid' })] });
  const input = tf.input({ shape: [2] });
  const add = tf.model({ inputs: input, outputs: tf.layers.add().apply([input, tf.layers.dense({ units: 2 }).apply(input) as tf.SymbolicTensor]) as tf.SymbolicTensor });
  t.teardown(() => [linear, soft, layer, sigmoid, add].forEach((m) => m.dispose()));
  t.false(outputsProbabilities(linear));
  t.false(outputsProbabilities(add));
  t.true(outputsProbabilities(soft));
  t.true(outputsProbabilities(layer));
  t.true(outputsProbabilities(sigmoid));
});

test('logits [0, ln 3] for class 1 score the loss of probabilities [1/4, 3/4]: -ln(3/4) = 0.2877', async (t) => {
  const linear = classifier('linear');
  const soft = classifier('softmax');
  t.teardown(() => [linear, soft].forEach((m) => m.dispose()));
  const data = ones(4);
  const a = await evaluateModel(linear, data.validation, data.inputShape);
  const b = await evaluateModel(soft, data.validation, data.inputShape);
  t.is(a.accuracy, 1);
  t.true(Math.abs(a.loss - -Math.log(3 / 4)) < 1e-5, `${a.loss}`);
  t.true(Math.abs(a.loss - b.loss) < 1e-5);
});

test('fine-tuning a logits model from zero weights on class-1 examples raises the class-1 bias above the class-0 one', async (t) => {
  const m = classifier('linear');
  t.teardown(() => m.dispose());
  m.layers[0].setWeights([tf.zeros([1, 2]), tf.zeros([2])]);
  const data = ones(8);
  // no compressed kernel: the fine-tune trains the other weights (kernel and bias) alone
  await finetune(m, [], data, { steps: 10, batchSize: 4, learningRate: 0.1, seed: 1 }, []);
  const bias = m.layers[0].getWeights()[1].dataSync();
  t.true(bias[1] > bias[0] + 0.5, `bias ${[...bias]}`);
  t.true((await evaluateModel(m, data.validation, data.inputShape)).loss < Math.log(2));
});

test('a binary classifier of one output column: p = sigmoid(ln 3) = 3/4 for class 1 on labels 1, 1, 1, 0 scores accuracy 3/4 and loss (3 x -ln(3/4) - ln(1/4)) / 4 = 0.5623, as a probability or as a logit', async (t) => {
  const one = (activation: 'sigmoid' | 'linear') => {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1, activation })] });
    m.layers[0].setWeights([tf.tensor2d([[Math.log(3)]]), tf.zeros([1])]);
    return m;
  };
  const sigmoid = one('sigmoid');
  const linear = one('linear');
  t.teardown(() => [sigmoid, linear].forEach((m) => m.dispose()));
  const split = { x: new Float32Array(4).fill(1), y: Int32Array.from([1, 1, 1, 0]), count: 4 };
  const expected = (3 * -Math.log(3 / 4) - Math.log(1 / 4)) / 4;
  for (const m of [sigmoid, linear]) {
    const score = await evaluateModel(m, split, [1]);
    t.is(score.accuracy, 0.75);
    t.true(Math.abs(score.loss - expected) < 1e-5, `${score.loss} vs ${expected}`);
  }
});
