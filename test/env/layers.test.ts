import test from 'ava';
import * as tf from '../../tfjs.js';
import { selectBackend } from '../../env/backend.js';
import { compressibleLayers, describeLeftOut, fixedParams, kernelVariable, layersLeftOut } from '../../env/layers.js';
import { ModelError } from '../../errors.js';
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

const sym = (layer: tf.layers.Layer, x: tf.SymbolicTensor) => layer.apply(x) as tf.SymbolicTensor;

/** stem conv 3x3x1x4 (36 + 4 bias) -> PReLU (alpha shared over the map: 4) -> BN -> separable 3x3, 4 -> 8 (depthwise
 * 36, pointwise 1x1x4x8 = 32, bias 8) -> global pool -> head dense 8x10 (80 + 10): every map 8x8. */
function separableModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 1] });
  const stem = sym(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'stem' }), input);
  const act = sym(tf.layers.prelu({ sharedAxes: [1, 2], name: 'act' }), stem);
  const bn = sym(tf.layers.batchNormalization({ name: 'bn' }), act);
  const sep = sym(tf.layers.separableConv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'sep' }), bn);
  const head = sym(tf.layers.dense({ units: 10, name: 'head' }), sym(tf.layers.globalAveragePooling2d({}), sep));
  return tf.model({ inputs: input, outputs: head });
}

const unit = (l: { name: string; layerName: string; weightIndex: number; kind: string; kernelShape: number[]; storageShape: number[]; params: number; macs: number }) =>
  [l.name, l.layerName, l.weightIndex, l.kind, l.kernelShape, l.storageShape, l.params, l.macs];

test('a SeparableConv2D gives two units, sep/depthwise and sep/pointwise, each weights x 64 output pixels', (t) => {
  const model = separableModel();
  t.teardown(() => model.dispose());
  t.deepEqual(compressibleLayers(model).map(unit), [
    ['stem', 'stem', 0, 'conv', [3, 3, 1, 4], [3, 3, 1, 4], 36, 36 * 64],
    // the depthwise kernel is stored [kh, kw, 1, c*m] like a DepthwiseConv2D's, weight 0 of the layer
    ['sep/depthwise', 'sep', 0, 'depthwise', [3, 3, 4, 1], [3, 3, 1, 4], 36, 36 * 64],
    ['sep/pointwise', 'sep', 1, 'conv', [1, 1, 4, 8], [1, 1, 4, 8], 32, 32 * 64],
    ['head', 'head', 0, 'dense', [8, 10], [8, 10], 80, 80],
  ]);
  // the PReLU's 4 alphas, BN's 16 statistics and the biases 4 + 8 + 10 stay fp32
  t.is(fixedParams(model, compressibleLayers(model)), 4 + 16 + 4 + 8 + 10);
});

test('kernelVariable is the unit\'s own weight of its layer: the pointwise kernel is sep\'s second weight', (t) => {
  const model = separableModel();
  t.teardown(() => model.dispose());
  const pointwise = compressibleLayers(model).find((l) => l.name === 'sep/pointwise')!;
  t.is(kernelVariable(model, pointwise), model.getLayer('sep').weights[1]);
  t.deepEqual(kernelVariable(model, pointwise).shape, [1, 1, 4, 8]);
});

test('Conv1D, GRU, LSTM, SimpleRNN and Dense on a sequence: MACs are weights x output positions or time steps', (t) => {
  // [16, 3] -> conv1d k3 stride 2 'same' -> [8, 8] -> GRU 5 units (3 gates) -> [5] -> dense 2
  const seq = tf.input({ shape: [16, 3] });
  const c = sym(tf.layers.conv1d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'c' }), seq);
  const gru = sym(tf.layers.gru({ units: 5, name: 'gru' }), c);
  const a = tf.model({ inputs: seq, outputs: sym(tf.layers.dense({ units: 2, name: 'out' }), gru) });
  // [6, 2] -> LSTM 3 units (4 gates), every step -> dense 3 -> 2 per step -> SimpleRNN 4 units
  const steps = tf.input({ shape: [6, 2] });
  const lstm = sym(tf.layers.lstm({ units: 3, returnSequences: true, name: 'lstm' }), steps);
  const proj = sym(tf.layers.dense({ units: 2, name: 'proj' }), lstm);
  const b = tf.model({ inputs: steps, outputs: sym(tf.layers.simpleRNN({ units: 4, name: 'rnn' }), proj) });
  t.teardown(() => {
    a.dispose();
    b.dispose();
  });
  t.deepEqual(compressibleLayers(a).map(unit), [
    // 3x3x8 = 72 weights at 8 output positions
    ['c', 'c', 0, 'conv', [3, 3, 8], [3, 3, 8], 72, 72 * 8],
    // input kernel 8 x (3 x 5) = 120, recurrent 5 x 15 = 75, both at 8 time steps
    ['gru/kernel', 'gru', 0, 'dense', [8, 15], [8, 15], 120, 120 * 8],
    ['gru/recurrent', 'gru', 1, 'dense', [5, 15], [5, 15], 75, 75 * 8],
    ['out', 'out', 0, 'dense', [5, 2], [5, 2], 10, 10],
  ]);
  t.deepEqual(compressibleLayers(b).map(unit), [
    ['lstm/kernel', 'lstm', 0, 'dense', [2, 12], [2, 12], 24, 24 * 6],
    ['lstm/recurrent', 'lstm', 1, 'dense', [3, 12], [3, 12], 36, 36 * 6],
    // a Dense on [6, 3] runs its 3x2 kernel at each of the 6 steps
    ['proj', 'proj', 0, 'dense', [3, 2], [3, 2], 6, 6 * 6],
    ['rnn/kernel', 'rnn', 0, 'dense', [2, 4], [2, 4], 8, 8 * 6],
    ['rnn/recurrent', 'rnn', 1, 'dense', [4, 4], [4, 4], 16, 16 * 6],
  ]);
  t.deepEqual(compressibleLayers(a).map((l) => [l.className, l.inputSize, l.outputPixels]), [['Conv1D', 16, 8], ['GRU', 8, 8], ['GRU', 8, 8], ['Dense', 1, 1]]);
});

test('Embedding costs no MACs (a lookup); Conv2DTranspose costs weights x INPUT pixels, channels read from [kh, kw, out, in]', (t) => {
  const embed = tf.sequential({ layers: [tf.layers.embedding({ inputShape: [10], inputDim: 50, outputDim: 4, name: 'embed' }), tf.layers.flatten(), tf.layers.dense({ units: 2, name: 'out' })] });
  const up = tf.sequential({ layers: [tf.layers.conv2dTranspose({ inputShape: [4, 4, 2], filters: 3, kernelSize: 3, strides: 2, padding: 'same', name: 'up' })] });
  t.teardown(() => {
    embed.dispose();
    up.dispose();
  });
  t.deepEqual(compressibleLayers(embed).map(unit), [
    ['embed', 'embed', 0, 'dense', [50, 4], [50, 4], 200, 0],
    ['out', 'out', 0, 'dense', [40, 2], [40, 2], 80, 80],
  ]);
  const [u] = compressibleLayers(up);
  // 3x3x3x2 = 54 weights scattered from each of the 4x4 input pixels: 864; output 8x8
  t.deepEqual([...unit(u), u.inChannels, u.outChannels, u.stride, u.inputSize, u.outputPixels], ['up', 'up', 0, 'conv', [3, 3, 3, 2], [3, 3, 3, 2], 54, 54 * 16, 2, 3, 2, 4, 64]);
});

test('a model with no supported layer is a ModelError naming the supported types', (t) => {
  const model = tf.sequential({ layers: [tf.layers.prelu({ inputShape: [3] })] });
  t.teardown(() => model.dispose());
  t.throws(() => compressibleLayers(model), { instanceOf: ModelError, message: /no layer to compress; supported types are Dense, Conv1D, .*LSTM, Bidirectional, TimeDistributed \(Bidirectional of SimpleRNN, GRU or LSTM; TimeDistributed of Dense\)$/ });
});

test('layersLeftOut names an unsupported PReLU, an excluded Dense, and one excluded kernel of a separable conv by its unit name', (t) => {
  const model = separableModel();
  t.teardown(() => model.dispose());
  const all = compressibleLayers(model);
  // searched: stem and sep/depthwise (sep/pointwise and head excluded by the user)
  const left = layersLeftOut(model, all.filter((l) => l.name === 'stem' || l.name === 'sep/depthwise'));
  t.deepEqual(left, [
    { name: 'act', className: 'PReLU', params: 4, reason: 'type not supported' },
    { name: 'sep/pointwise', className: 'SeparableConv2D', params: 32, reason: 'excluded' },
    { name: 'head', className: 'Dense', params: 90, reason: 'excluded' },
  ]);
  t.is(describeLeftOut(left), 'left at full precision: act (PReLU, type not supported, 4 weights), sep/pointwise (SeparableConv2D, excluded, 32 weights), head (Dense, excluded, 90 weights)');
  t.deepEqual(layersLeftOut(model, all).map((l) => l.name), ['act']);
  // no kernel of sep searched: the whole layer, bias included (36 + 32 + 8)
  t.deepEqual(layersLeftOut(model, all.filter((l) => !l.layerName.startsWith('sep'))).find((l) => l.name === 'sep'), { name: 'sep', className: 'SeparableConv2D', params: 76, reason: 'excluded' });
});

test('a Bidirectional LSTM gives four units (each direction, input and recurrent); TimeDistributed(Dense) one per step', (t) => {
  // [5, 2] -> Bidirectional(LSTM 3 units, 4 gates, every step) -> [5, 6] -> TimeDistributed(Dense 6 -> 2) -> [5, 2]
  const model = tf.sequential({
    layers: [
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }) as tf.RNN, inputShape: [5, 2], name: 'bi' }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }), name: 'td' }),
      tf.layers.timeDistributed({ layer: tf.layers.reLU(), name: 'act' }),
    ],
  });
  t.teardown(() => model.dispose());
  t.deepEqual(compressibleLayers(model).map(unit), [
    // forward weights are bi's 0 (kernel), 1 (recurrent), 2 (bias); backward 3, 4, 5; 2x12 = 24 and 3x12 = 36 weights at 5 steps
    ['bi/forward/kernel', 'bi', 0, 'dense', [2, 12], [2, 12], 24, 24 * 5],
    ['bi/forward/recurrent', 'bi', 1, 'dense', [3, 12], [3, 12], 36, 36 * 5],
    ['bi/backward/kernel', 'bi', 3, 'dense', [2, 12], [2, 12], 24, 24 * 5],
    ['bi/backward/recurrent', 'bi', 4, 'dense', [3, 12], [3, 12], 36, 36 * 5],
    ['td', 'td', 0, 'dense', [6, 2], [6, 2], 12, 12 * 5],
  ]);
  t.deepEqual(layersLeftOut(model, compressibleLayers(model).filter((l) => l.name.startsWith('bi/forward'))), [
    { name: 'bi/backward/kernel', className: 'Bidirectional', params: 24, reason: 'excluded' },
    { name: 'bi/backward/recurrent', className: 'Bidirectional', params: 36, reason: 'excluded' },
    { name: 'td', className: 'TimeDistributed', params: 14, reason: 'excluded' },
  ]);
});

test('TimeDistributed of a Conv2D is left out by name as a type not supported', (t) => {
  const model = tf.sequential({
    layers: [tf.layers.timeDistributed({ layer: tf.layers.conv2d({ filters: 2, kernelSize: 3 }), inputShape: [4, 5, 5, 1], name: 'frames' }), tf.layers.flatten(), tf.layers.dense({ units: 2, name: 'out' })],
  });
  t.teardown(() => model.dispose());
  t.deepEqual(compressibleLayers(model).map((l) => l.name), ['out']);
  // 3x3x1x2 kernel + 2 biases
  t.deepEqual(layersLeftOut(model, compressibleLayers(model)), [{ name: 'frames', className: 'TimeDistributed', params: 20, reason: 'type not supported' }]);
});
