import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../env/backend.js';
import { compressibleLayers, describeLeftOut, fixedParams, layersLeftOut } from '../../env/layers.js';
import { buildModel } from '../../env/models/zoo.js';

test.before(async () => {
  await selectBackend('wasm');
});

const pick = (l: { name: string; kind: string; kernelShape: number[]; params: number; macs: number; inChannels: number; outChannels: number; stride: number; inputSize: number }) =>
  [l.name, l.kind, l.kernelShape, l.params, l.macs, l.inChannels, l.outChannels, l.stride, l.inputSize];

test('lenet5 layers: params are the kernel sizes and MACs params x output pixels', (t) => {
  const layers = compressibleLayers(buildModel('lenet5', [28, 28, 1], 10, 1));
  t.deepEqual(layers.map(pick), [
    // conv1 5x5x1x6 = 150 weights, 'same' padding keeps 28x28 outputs: 28 * 28 * 150 = 117,600 MACs
    ['conv1', 'conv', [5, 5, 1, 6], 150, 28 * 28 * 150, 1, 6, 1, 28],
    // after 2x2 pooling 14x14x6; conv2 5x5x6x16 = 2400 weights, 'valid' gives 10x10: 100 * 2400 = 240,000
    ['conv2', 'conv', [5, 5, 6, 16], 2400, 10 * 10 * 2400, 6, 16, 1, 14],
    // after pooling 5x5x16 = 400 inputs
    ['fc1', 'dense', [400, 120], 48000, 48000, 400, 120, 1, 1],
    ['fc2', 'dense', [120, 84], 10080, 10080, 120, 84, 1, 1],
    ['fc3', 'dense', [84, 10], 840, 840, 84, 10, 1, 1],
  ]);
  t.deepEqual(layers.map((l) => l.index), [0, 1, 2, 3, 4]);
});

test('mobilenet-tiny: depthwise layers count kh x kw x channels weights, strides shrink the output', (t) => {
  const layers = compressibleLayers(buildModel('mobilenet-tiny', [28, 28, 1], 10, 1));
  t.deepEqual(layers.map((l) => l.name), ['conv0', 'dw1', 'pw1', 'dw2', 'pw2', 'dw3', 'pw3', 'fc']);
  const byName = Object.fromEntries(layers.map((l) => [l.name, l]));
  // conv0 3x3x1x16 = 144 weights on 28x28
  t.deepEqual(pick(byName.conv0), ['conv0', 'conv', [3, 3, 1, 16], 144, 144 * 784, 1, 16, 1, 28]);
  // dw1 3x3 over 16 channels, stride 2, 'same': 28 -> 14; 144 weights x 196 pixels
  t.deepEqual(pick(byName.dw1), ['dw1', 'depthwise', [3, 3, 16, 1], 144, 144 * 196, 16, 16, 2, 28]);
  // pw1 1x1x16x32 = 512 weights on 14x14
  t.deepEqual(pick(byName.pw1), ['pw1', 'conv', [1, 1, 16, 32], 512, 512 * 196, 16, 32, 1, 14]);
  // dw2 stride 2: 14 -> 7; dw3 stride 1 keeps 7
  t.deepEqual(pick(byName.dw2), ['dw2', 'depthwise', [3, 3, 32, 1], 288, 288 * 49, 32, 32, 2, 14]);
  t.deepEqual(pick(byName.dw3), ['dw3', 'depthwise', [3, 3, 64, 1], 576, 576 * 49, 64, 64, 1, 7]);
  t.deepEqual(pick(byName.fc), ['fc', 'dense', [64, 10], 640, 640, 64, 10, 1, 1]);
});

test('fixedParams counts the weights outside the kernels once: biases, and batch-norm with its moving statistics', (t) => {
  const lenet = buildModel('lenet5', [28, 28, 1], 10, 1);
  // biases 6 + 16 + 120 + 84 + 10
  t.is(fixedParams(lenet, compressibleLayers(lenet)), 236);
  const mobile = buildModel('mobilenet-tiny', [28, 28, 1], 10, 1);
  // batch-norm: gamma, beta, moving mean, moving variance per channel after conv0 (16), dw1 (16), pw1 (32),
  // dw2 (32), pw2 (64), dw3 (64), pw3 (64) = 288 channels x 4 = 1152, plus the fc bias 10
  t.is(fixedParams(mobile, compressibleLayers(mobile)), 1162);
});

test('layersLeftOut names the SeparableConv2D and an excluded Dense, not batch-norm or the searched layers', (t) => {
  // stem conv (3x3x1x4 + 4) -> BN -> separable (3x3x4x1 depthwise + 1x1x4x8 pointwise + 8 bias = 36 + 32 + 8 = 76)
  // -> global pool -> head dense (8x10 + 10 = 90)
  const input = tf.input({ shape: [8, 8, 1] });
  const stem = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'stem' }).apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(stem) as tf.SymbolicTensor;
  const sep = tf.layers.separableConv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'sep' }).apply(bn) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(sep) as tf.SymbolicTensor;
  const head = tf.layers.dense({ units: 10, name: 'head' }).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: head });
  t.teardown(() => model.dispose());
  const all = compressibleLayers(model);
  t.deepEqual(all.map((l) => l.name), ['stem', 'head']);
  // searched: the stem only (the head excluded by the user)
  const left = layersLeftOut(model, all.filter((l) => l.name === 'stem'));
  t.deepEqual(left, [
    { name: 'sep', className: 'SeparableConv2D', params: 76, reason: 'type not supported' },
    { name: 'head', className: 'Dense', params: 90, reason: 'excluded' },
  ]);
  t.is(describeLeftOut(left), 'left at full precision: sep (SeparableConv2D, type not supported, 76 weights), head (Dense, excluded, 90 weights)');
  t.deepEqual(layersLeftOut(model, all).map((l) => l.name), ['sep']);
});
