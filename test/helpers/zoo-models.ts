/**
 * A zoo of user-like models built in the tests, each with a small synthetic task it can learn in a few
 * epochs: a functional image model with a residual add, a concatenation, batch-norm, a SeparableConv2D and a
 * Conv2DTranspose; Conv1D on sequences; an Embedding + Dense text classifier; a small GRU; a Bidirectional LSTM text
 * classifier with a TimeDistributed Dense. Every input is stored as
 * the datasets store it ([h, w, c] floats) and reshaped by the model, as a user's exported model with a Reshape would.
 * Initializers and data are seeded, so every run builds the same models and sets.
 */
import * as tf from '../../tfjs.js';
import seedrandom from 'seedrandom';
import type { Dataset, DataSplit } from '../../env/data/dataset.js';

export interface ZooCase {
  name: string;
  build: () => tf.LayersModel;
  data: Dataset;
  /** The layer types the case is there for. */
  covers: string[];
}

const CLASSES = 3;
const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });
const sym = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;

/** `count` examples of `make(class, rng)`, classes in turn. */
function split(count: number, size: number, make: (label: number, rng: () => number) => number[], seed: string): DataSplit {
  const rng = seedrandom(seed);
  const x = new Float32Array(count * size);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = i % CLASSES;
    x.set(make(y[i], rng), i * size);
  }
  return { x, y, count };
}

function dataset(id: string, inputShape: [number, number, number], make: (label: number, rng: () => number) => number[]): Dataset {
  const size = inputShape[0] * inputShape[1] * inputShape[2];
  return {
    id: `zoo:${id}`,
    name: id,
    inputShape,
    numClasses: CLASSES,
    train: split(480, size, make, `${id}:train`),
    validation: split(120, size, make, `${id}:validation`),
    test: split(120, size, make, `${id}:test`),
  };
}

/** 8x8 images: a bright top-left square, bottom-right square, or middle band, on noise. */
const images = dataset('images', [8, 8, 1], (label, rng) =>
  Array.from({ length: 64 }, (_, p) => {
    const [r, c] = [Math.floor(p / 8), p % 8];
    const on = label === 0 ? r < 4 && c < 4 : label === 1 ? r >= 4 && c >= 4 : r === 3 || r === 4;
    return (on ? 0.7 : 0) + 0.3 * rng();
  }),
);

/** `steps` x 3 channels: channel `label` pulses (on two steps of four), the others are noise. */
const pulses = (steps: number) =>
  dataset(`pulses${steps}`, [steps, 3, 1], (label, rng) =>
    Array.from({ length: steps * 3 }, (_, i) => {
      const [t, ch] = [Math.floor(i / 3), i % 3];
      return (ch === label && t % 4 < 2 ? 1 : 0) + 0.6 * (rng() - 0.5);
    }),
  );

/** 12 token ids of a 30-word vocabulary: half drawn from the class's own ten words, half from all thirty. */
const VOCABULARY = 30;
const tokens = dataset('tokens', [12, 1, 1], (label, rng) => Array.from({ length: 12 }, () => (rng() < 0.5 ? label * 10 + Math.floor(rng() * 10) : Math.floor(rng() * VOCABULARY))));

function residual(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 1] });
  const stem = sym(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: glorot(1), name: 'stem' }), input);
  const res = sym(tf.layers.batchNormalization({ name: 'res_bn' }), sym(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: glorot(2), name: 'res_conv' }), stem));
  const added = sym(tf.layers.reLU({ name: 'res_relu' }), sym(tf.layers.add({ name: 'res_add' }), [stem, res]));
  const pooled = sym(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }), added);
  const a = sym(tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu', kernelInitializer: glorot(3), name: 'branch_a' }), pooled);
  const b = sym(tf.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', depthwiseInitializer: glorot(4), pointwiseInitializer: glorot(5), name: 'sep' }), pooled);
  const cat = sym(tf.layers.concatenate({ name: 'cat' }), [a, b]);
  const up = sym(tf.layers.conv2dTranspose({ filters: 4, kernelSize: 2, strides: 2, activation: 'relu', kernelInitializer: glorot(6), name: 'up' }), cat);
  const head = sym(tf.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: glorot(7), name: 'head' }), sym(tf.layers.globalAveragePooling2d({ name: 'gap' }), up));
  return tf.model({ inputs: input, outputs: head, name: 'zoo_residual' });
}

function conv1d(): tf.LayersModel {
  const input = tf.input({ shape: [16, 3, 1] });
  const seq = sym(tf.layers.reshape({ targetShape: [16, 3], name: 'to_sequence' }), input);
  const c1 = sym(tf.layers.conv1d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: glorot(11), name: 'conv1d_a' }), seq);
  const pooled = sym(tf.layers.maxPooling1d({ poolSize: 2, name: 'pool' }), c1);
  const c2 = sym(tf.layers.conv1d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: glorot(12), name: 'conv1d_b' }), pooled);
  const head = sym(tf.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: glorot(13), name: 'head' }), sym(tf.layers.globalAveragePooling1d({ name: 'gap' }), c2));
  return tf.model({ inputs: input, outputs: head, name: 'zoo_conv1d' });
}

function text(): tf.LayersModel {
  const input = tf.input({ shape: [12, 1, 1] });
  const ids = sym(tf.layers.reshape({ targetShape: [12], name: 'to_ids' }), input);
  const embedded = sym(tf.layers.embedding({ inputDim: VOCABULARY, outputDim: 8, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 21 }), name: 'embed' }), ids);
  const pooled = sym(tf.layers.globalAveragePooling1d({ name: 'gap' }), embedded);
  const hidden = sym(tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: glorot(22), name: 'hidden' }), pooled);
  const head = sym(tf.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: glorot(23), name: 'head' }), hidden);
  return tf.model({ inputs: input, outputs: head, name: 'zoo_text' });
}

function gru(): tf.LayersModel {
  const input = tf.input({ shape: [8, 3, 1] });
  const seq = sym(tf.layers.reshape({ targetShape: [8, 3], name: 'to_sequence' }), input);
  const state = sym(tf.layers.gru({ units: 8, kernelInitializer: glorot(31), recurrentInitializer: tf.initializers.orthogonal({ seed: 32 }), name: 'gru' }), seq);
  const head = sym(tf.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: glorot(33), name: 'head' }), state);
  return tf.model({ inputs: input, outputs: head, name: 'zoo_gru' });
}

/** Token ids -> embedding -> Bidirectional LSTM (every step) -> TimeDistributed Dense -> average over steps -> Dense. */
function bilstm(): tf.LayersModel {
  const input = tf.input({ shape: [12, 1, 1] });
  const ids = sym(tf.layers.reshape({ targetShape: [12], name: 'to_ids' }), input);
  const embedded = sym(tf.layers.embedding({ inputDim: VOCABULARY, outputDim: 6, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 41 }), name: 'embed' }), ids);
  const lstm = tf.layers.lstm({ units: 4, returnSequences: true, kernelInitializer: glorot(42), recurrentInitializer: tf.initializers.orthogonal({ seed: 43 }) }) as tf.RNN;
  const both = sym(tf.layers.bidirectional({ layer: lstm, name: 'bi' }), embedded);
  const steps = sym(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 6, activation: 'relu', kernelInitializer: glorot(44) }), name: 'per_step' }), both);
  const head = sym(tf.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: glorot(45), name: 'head' }), sym(tf.layers.globalAveragePooling1d({ name: 'gap' }), steps));
  return tf.model({ inputs: input, outputs: head, name: 'zoo_bilstm' });
}

export const ZOO: ZooCase[] = [
  { name: 'residual', build: residual, data: images, covers: ['Conv2D', 'BatchNormalization', 'Add', 'Concatenate', 'SeparableConv2D', 'Conv2DTranspose', 'Dense'] },
  { name: 'conv1d', build: conv1d, data: pulses(16), covers: ['Conv1D', 'Dense'] },
  { name: 'text', build: text, data: tokens, covers: ['Embedding', 'Dense'] },
  { name: 'gru', build: gru, data: pulses(8), covers: ['GRU', 'Dense'] },
  { name: 'bilstm', build: bilstm, data: tokens, covers: ['Embedding', 'Bidirectional(LSTM)', 'TimeDistributed(Dense)', 'Dense'] },
];
