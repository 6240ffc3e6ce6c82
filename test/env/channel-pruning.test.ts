import test from 'ava';
import * as tf from '../../tfjs.js';
import { BudgetError, ConfigError } from '../../errors.js';
import { selectBackend } from '../../env/backend.js';
import { analyzeChannels } from '../../env/channel-pruning/analysis.js';
import { countFlops, prunedFlops, prunedParams } from '../../env/channel-pruning/cost.js';
import { planChannels } from '../../env/channel-pruning/plan.js';
import { pruneChannels } from '../../env/channel-pruning/select.js';
import { buildPrunedModel } from '../../env/channel-pruning/surgery.js';
import { compressibleLayers } from '../../env/layers.js';
import { buildModel } from '../../env/models/zoo.js';

test.before(async () => {
  await selectBackend('wasm');
});

// ------------------------------------------------------------------------------------------------------------------
// helpers

/** Every weight random (batch-norm variances positive), so biases, BN shifts and statistics all matter. */
function randomize(model: tf.LayersModel, seed: number): void {
  let n = 0;
  for (const layer of model.layers) {
    const names = layer.weights.map((w) => w.originalName.split('/').pop());
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    const values = ws.map((w, i) =>
      names[i] === 'moving_variance' ? tf.randomUniform(w.shape, 0.5, 1.5, 'float32', seed * 100 + n++) : tf.randomUniform(w.shape, -0.5, 0.5, 'float32', seed * 100 + n++),
    );
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** An independent copy of a model (same topology, copied weights), with `edit` applied to the weight arrays. */
async function copyModel(model: tf.LayersModel, edit?: (layer: string, weights: Float32Array[], shapes: number[][]) => void): Promise<tf.LayersModel> {
  const copy = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) } as unknown as Parameters<typeof tf.models.modelFromJSON>[0]);
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    const arrays = ws.map((w) => Float32Array.from(w.dataSync()));
    edit?.(layer.name, arrays, ws.map((w) => w.shape));
    const ts = arrays.map((a, i) => tf.tensor(a, ws[i].shape));
    copy.getLayer(layer.name).setWeights(ts);
    tf.dispose(ts);
  }
  return copy;
}

/** Zero the rows of a kernel [..., in, out] whose input position is in `positions` (a consumer no longer reading them). */
function zeroInputs(kernel: Float32Array, shape: number[], positions: number[]): void {
  const cin = shape[shape.length - 2];
  const cout = shape[shape.length - 1];
  const spatial = kernel.length / (cin * cout);
  for (let r = 0; r < spatial; r++) for (const p of positions) kernel.fill(0, (r * cin + p) * cout, (r * cin + p + 1) * cout);
}

function maxAbsDiff(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => (a.predict(x) as tf.Tensor).sub(b.predict(x) as tf.Tensor).abs().max().dataSync()[0]);
}

function keepAllBut(channels: number, drop: number[]): Int32Array {
  return Int32Array.from({ length: channels }, (_, i) => i).filter((i) => !drop.includes(i));
}

function weightsSnapshot(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => Float32Array.from(w.dataSync()));
}

/**
 * input 8x8x3 -> a (conv 3x3, 6) and b (conv 1x1, 6) -> add -> add_bn -> relu ->
 *   c (conv 3x3, 4), d (depthwise 3x3), e2 (conv 1x1, 5)
 *   cat = concatenate([c, d]) (4 + 6 channels) -> e (conv 1x1, 5)
 *   add2 = add([e, e2]) -> gap -> out (dense 3, softmax)
 */
function residualConcatModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3], name: 'in' });
  const sym = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => l.apply(x) as tf.SymbolicTensor;
  const a = sym(tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'a' }), input);
  const b = sym(tf.layers.conv2d({ filters: 6, kernelSize: 1, name: 'b' }), input);
  const s = sym(tf.layers.add({ name: 'add' }), [a, b]);
  const r = sym(tf.layers.reLU({ name: 'relu' }), sym(tf.layers.batchNormalization({ name: 'add_bn' }), s));
  const c = sym(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c' }), r);
  const d = sym(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'd' }), r);
  const cat = sym(tf.layers.concatenate({ name: 'cat' }), [c, d]);
  const e = sym(tf.layers.conv2d({ filters: 5, kernelSize: 1, name: 'e' }), cat);
  const e2 = sym(tf.layers.conv2d({ filters: 5, kernelSize: 1, name: 'e2' }), r);
  const s2 = sym(tf.layers.add({ name: 'add2' }), [e, e2]);
  const out = sym(tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }), sym(tf.layers.globalAveragePooling2d({ name: 'gap' }), s2));
  return tf.model({ inputs: input, outputs: out, name: 'residual-concat' });
}

// ------------------------------------------------------------------------------------------------------------------
// dependency analysis

test('lenet5: conv1 -> conv2, conv2 -> flatten -> fc1 at positions p*16 + c, fc1 -> fc2, fc2 -> fc3; the class scores are frozen', (t) => {
  const a = analyzeChannels(buildModel('lenet5', [28, 28, 1], 10, 1));
  t.deepEqual(
    a.groups.map((g) => [g.producers, g.channels, g.consumers.map((c) => c.layer), g.frozen === null]),
    [
      [['conv1'], 6, ['conv2'], true],
      [['conv2'], 16, ['fc1'], true],
      [['fc1'], 120, ['fc2'], true],
      [['fc2'], 84, ['fc3'], true],
      [['fc3'], 10, [], false],
    ],
  );
  // flatten of the 5x5x16 pooled map (NHWC): position p*16 + c carries channel c, for each of the 25 pixels p
  const fc1 = a.groups[1].consumers[0].channelOf;
  t.is(fc1.length, 400);
  t.true(fc1.every((c, i) => c === i % 16));
  t.deepEqual([...fc1.slice(16, 19)], [0, 1, 2]);
  t.regex(a.groups[4].frozen ?? '', /fc3/);
});

test('mobilenet-tiny: each conv carries its batch-norm, the next depthwise and its batch-norm into the next pointwise; pooling maps 1:1 into fc', (t) => {
  const a = analyzeChannels(buildModel('mobilenet-tiny', [28, 28, 1], 10, 1));
  t.deepEqual(
    a.groups.map((g) => [g.producers, g.members, g.consumers.map((c) => c.layer), g.channels]),
    [
      [['conv0'], ['conv0_bn', 'dw1', 'dw1_bn'], ['pw1'], 16],
      [['pw1'], ['pw1_bn', 'dw2', 'dw2_bn'], ['pw2'], 32],
      [['pw2'], ['pw2_bn', 'dw3', 'dw3_bn'], ['pw3'], 64],
      [['pw3'], ['pw3_bn'], ['fc'], 64],
      [['fc'], [], [], 10],
    ],
  );
  t.deepEqual([...a.groups[3].consumers[0].channelOf], Array.from({ length: 64 }, (_, i) => i));
});

test('FLOPs agree with compressibleLayers MACs for the built-in models', (t) => {
  for (const name of ['lenet5', 'mlp', 'mobilenet-tiny']) {
    const model = buildModel(name, [28, 28, 1], 10, 1);
    const a = analyzeChannels(model);
    const macs = compressibleLayers(model).map((l) => [l.name, l.macs]);
    t.deepEqual(a.layers.map((l) => [l.name, l.macs]), macs, name);
    t.deepEqual(countFlops(model).layers.map((l) => [l.name, l.macs]), macs, name);
    t.is(a.totalParams, model.countParams(), name);
  }
});

test('the newly compressed types: FLOPs per kernel as compressibleLayers counts them, and the groups they read frozen by name', (t) => {
  // stem conv 8x8x4 -> separable (two kernels) -> 1x1 conv 'mid' -> transposed conv 'up' -> pool -> head
  const sym = (l: tf.layers.Layer, x: tf.SymbolicTensor) => l.apply(x) as tf.SymbolicTensor;
  const input = tf.input({ shape: [8, 8, 1] });
  const stem = sym(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'stem' }), input);
  const sep = sym(tf.layers.separableConv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'sep' }), stem);
  const mid = sym(tf.layers.conv2d({ filters: 5, kernelSize: 1, name: 'mid' }), sep);
  const up = sym(tf.layers.conv2dTranspose({ filters: 3, kernelSize: 2, strides: 2, name: 'up' }), mid);
  const head = sym(tf.layers.dense({ units: 2, activation: 'softmax', name: 'head' }), sym(tf.layers.globalAveragePooling2d({}), up));
  const model = tf.model({ inputs: input, outputs: head });
  const seq = tf.sequential({
    layers: [tf.layers.embedding({ inputShape: [6], inputDim: 20, outputDim: 4, name: 'embed' }), tf.layers.conv1d({ filters: 3, kernelSize: 3, name: 'c1' }), tf.layers.gru({ units: 2, name: 'gru' }), tf.layers.dense({ units: 2, name: 'out' })],
  });
  const wrapped = tf.sequential({
    layers: [tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2, returnSequences: true }) as tf.RNN, inputShape: [4, 3], name: 'bi' }), tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }), name: 'td' })],
  });
  t.teardown(() => {
    model.dispose();
    seq.dispose();
    wrapped.dispose();
  });
  for (const m of [model, seq, wrapped]) {
    const a = analyzeChannels(m);
    const macs = compressibleLayers(m).map((l) => [l.name, l.macs]);
    t.deepEqual(a.layers.map((l) => [l.name, l.macs]), macs);
    t.deepEqual(countFlops(m).layers.map((l) => [l.name, l.macs]), macs);
    t.is(a.totalParams, m.countParams());
  }
  // sep/pointwise 1x1x4x6 = 24 weights x 64 pixels; up 2x2x3x5 = 60 weights x 8x8 INPUT pixels
  t.deepEqual(analyzeChannels(model).layers.map((l) => [l.name, l.layer, l.macs]), [
    ['stem', 'stem', 36 * 64],
    ['sep/depthwise', 'sep', 36 * 64],
    ['sep/pointwise', 'sep', 24 * 64],
    ['mid', 'mid', 30 * 64],
    ['up', 'up', 60 * 64],
    ['head', 'head', 6],
  ]);
  const a = analyzeChannels(model);
  const frozen = (producer: string) => a.groups.find((g) => g.producers.includes(producer))!.frozen;
  t.is(frozen('stem'), 'sep is a SeparableConv2D layer, which channel pruning does not look through');
  t.is(frozen('mid'), 'up is a Conv2DTranspose layer, which channel pruning does not look through');
  // embedding 20x4 (no MACs), conv1d 3x4x3 = 36 x 4 positions, GRU 3x6 = 18 and 2x6 = 12 x 4 steps
  t.deepEqual(analyzeChannels(seq).layers.map((l) => [l.name, l.macs]), [['embed', 0], ['c1', 144], ['gru/kernel', 72], ['gru/recurrent', 48], ['out', 4]]);
  // each direction: 3x8 = 24 and 2x8 = 16 weights at 4 steps; td 4x2 = 8 at 4 steps
  t.deepEqual(analyzeChannels(wrapped).layers.map((l) => [l.name, l.macs]), [['bi/forward/kernel', 96], ['bi/forward/recurrent', 64], ['bi/backward/kernel', 96], ['bi/backward/recurrent', 64], ['td', 32]]);
});

test('residual add and concatenate: both convs of an add are one group; the concat maps [c | d] into e at offsets 0 and 4', (t) => {
  const a = analyzeChannels(residualConcatModel());
  const byProducer = (p: string) => a.groups.find((g) => g.producers.includes(p))!;
  const joined = byProducer('a');
  t.deepEqual(joined.producers, ['a', 'b']);
  t.deepEqual(joined.members, ['add_bn', 'd']);
  t.deepEqual(joined.consumers.map((c) => c.layer), ['c', 'e', 'e2']);
  // e reads the concatenation: 4 channels of c's group, then the 6 channels of the joined group (through d)
  t.deepEqual([...joined.consumers.find((c) => c.layer === 'e')!.channelOf], [-1, -1, -1, -1, 0, 1, 2, 3, 4, 5]);
  t.deepEqual([...byProducer('c').consumers[0].channelOf], [0, 1, 2, 3, -1, -1, -1, -1, -1, -1]);
  t.deepEqual(byProducer('e').producers, ['e', 'e2']);
  t.is(byProducer('e').frozen, null);
  t.regex(byProducer('out').frozen ?? '', /out/);
});

test('a layer the analysis does not look through (Reshape) freezes the groups reaching it', (t) => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, name: 'k1' }),
      tf.layers.reshape({ targetShape: [64], name: 'r' }),
      tf.layers.dense({ units: 8, name: 'd1' }),
      tf.layers.dense({ units: 2, name: 'd2' }),
    ],
  });
  const a = analyzeChannels(model);
  t.regex(a.groups[0].frozen ?? '', /Reshape/);
  t.is(a.groups[1].frozen, null);
  t.throws(() => planChannels(a, { perLayer: { k1: 0.5 } }), { instanceOf: ConfigError, message: /k1.*Reshape/ });
});

// ------------------------------------------------------------------------------------------------------------------
// surgery: pruning a channel = the consumer no longer reading it

test('conv -> conv (lenet5 conv1): pruning channel 2 gives the output of the original with channel 2 zeroed', async (t) => {
  const model = buildModel('lenet5', [28, 28, 1], 10, 3);
  randomize(model, 3);
  const a = analyzeChannels(model);
  const kept = a.groups.map(() => null as Int32Array | null);
  kept[0] = keepAllBut(6, [2]);
  const pruned = await buildPrunedModel(model, a, kept);
  // zero the producer's filter and bias: relu(0) = 0 and max-pooling keeps it 0
  const zeroedOutput = await copyModel(model, (name, w) => {
    if (name !== 'conv1') return;
    for (let i = 2; i < w[0].length; i += 6) w[0][i] = 0;
    w[1][2] = 0;
  });
  // or zero the consumer's input rows for channel 2
  const zeroedInput = await copyModel(model, (name, w, shapes) => {
    if (name === 'conv2') zeroInputs(w[0], shapes[0], [2]);
  });
  const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 7);
  t.deepEqual(pruned.getLayer('conv1').getWeights()[0].shape, [5, 5, 1, 5]);
  t.deepEqual(pruned.getLayer('conv2').getWeights()[0].shape, [5, 5, 5, 16]);
  t.true(maxAbsDiff(pruned, zeroedOutput, x) < 1e-5);
  t.true(maxAbsDiff(pruned, zeroedInput, x) < 1e-5);
  t.true(maxAbsDiff(pruned, model, x) > 1e-4, 'the channel mattered');
  x.dispose();
  for (const m of [pruned, zeroedOutput, zeroedInput]) m.dispose();
});

test('conv -> flatten -> dense (lenet5 conv2): pruning channels 3 and 7 equals zeroing fc1 rows p*16 + 3 and p*16 + 7', async (t) => {
  const model = buildModel('lenet5', [28, 28, 1], 10, 4);
  randomize(model, 4);
  const a = analyzeChannels(model);
  const kept = a.groups.map(() => null as Int32Array | null);
  kept[1] = keepAllBut(16, [3, 7]);
  const pruned = await buildPrunedModel(model, a, kept);
  const rows = Array.from({ length: 25 }, (_, p) => [p * 16 + 3, p * 16 + 7]).flat();
  const reference = await copyModel(model, (name, w, shapes) => {
    if (name === 'fc1') zeroInputs(w[0], shapes[0], rows);
  });
  t.deepEqual(pruned.getLayer('fc1').getWeights()[0].shape, [350, 120]);
  const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 8);
  t.true(maxAbsDiff(pruned, reference, x) < 1e-5);
  tf.dispose(x);
  pruned.dispose();
  reference.dispose();
});

test('conv -> BN -> depthwise -> BN -> pointwise (mobilenet-tiny conv0 and pw2): pruning equals zeroing the pointwise inputs', async (t) => {
  const model = buildModel('mobilenet-tiny', [28, 28, 1], 10, 5);
  randomize(model, 5);
  const a = analyzeChannels(model);
  const kept = a.groups.map(() => null as Int32Array | null);
  kept[0] = keepAllBut(16, [1, 5, 15]);
  kept[2] = keepAllBut(64, [0, 10, 33]);
  const pruned = await buildPrunedModel(model, a, kept);
  const reference = await copyModel(model, (name, w, shapes) => {
    if (name === 'pw1') zeroInputs(w[0], shapes[0], [1, 5, 15]);
    if (name === 'pw3') zeroInputs(w[0], shapes[0], [0, 10, 33]);
  });
  // every per-channel weight shrank with the group: BN gamma, beta, moving statistics; depthwise channels
  t.deepEqual(pruned.getLayer('conv0_bn').getWeights().map((w) => w.shape), [[13], [13], [13], [13]]);
  t.deepEqual(pruned.getLayer('dw1').getWeights()[0].shape, [3, 3, 13, 1]);
  t.deepEqual(pruned.getLayer('dw3').getWeights()[0].shape, [3, 3, 61, 1]);
  t.deepEqual(pruned.getLayer('pw3').getWeights()[0].shape, [1, 1, 61, 64]);
  // the kept statistics are the original ones, channel for channel
  const originalMean = model.getLayer('dw1_bn').getWeights()[2].dataSync();
  t.deepEqual([...pruned.getLayer('dw1_bn').getWeights()[2].dataSync()], [...keepAllBut(16, [1, 5, 15])].map((c) => originalMean[c]));
  const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 9);
  t.true(maxAbsDiff(pruned, reference, x) < 1e-5);
  tf.dispose(x);
  pruned.dispose();
  reference.dispose();
});

test('residual add and concatenate stay consistent: one group pruned in a, b, add_bn, d, and in c, e, e2 inputs', async (t) => {
  const model = residualConcatModel();
  randomize(model, 6);
  const a = analyzeChannels(model);
  const g = a.groups.find((gr) => gr.producers.includes('a'))!.id;
  const gc = a.groups.find((gr) => gr.producers.includes('c'))!.id;
  const kept = a.groups.map(() => null as Int32Array | null);
  kept[g] = Int32Array.from([0, 2, 3, 5]);
  kept[gc] = Int32Array.from([1, 2]);
  const pruned = await buildPrunedModel(model, a, kept);
  const reference = await copyModel(model, (name, w, shapes) => {
    if (name === 'c' || name === 'e2') zeroInputs(w[0], shapes[0], [1, 4]);
    // e reads [c (4) | d (6)]: c's channels 0 and 3, the joined group's 1 and 4 at offset 4
    if (name === 'e') zeroInputs(w[0], shapes[0], [0, 3, 4 + 1, 4 + 4]);
  });
  t.deepEqual(
    ['a', 'b', 'd', 'c', 'e', 'e2'].map((n) => pruned.getLayer(n).getWeights()[0].shape),
    [[3, 3, 3, 4], [1, 1, 3, 4], [3, 3, 4, 1], [3, 3, 4, 2], [1, 1, 6, 5], [1, 1, 4, 5]],
  );
  t.deepEqual(pruned.getLayer('add_bn').getWeights()[0].shape, [4]);
  const x = tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 10);
  t.true(maxAbsDiff(pruned, reference, x) < 1e-5);
  const counts = kept.map((k, i) => k?.length ?? a.groups[i].channels);
  t.is(pruned.countParams(), prunedParams(a, counts));
  t.is(countFlops(pruned).total, prunedFlops(a, counts).total);
  // pruning the add group (e, e2 -> gap -> out) shrinks both convs and the dense input together
  const g2 = a.groups.find((gr) => gr.producers.includes('e'))!.id;
  const kept2 = a.groups.map(() => null as Int32Array | null);
  kept2[g2] = Int32Array.from([0, 4]);
  const pruned2 = await buildPrunedModel(model, a, kept2);
  t.deepEqual(['e', 'e2', 'out'].map((n) => pruned2.getLayer(n).getWeights()[0].shape), [[1, 1, 10, 2], [1, 1, 6, 2], [2, 3]]);
  tf.dispose(x);
  pruned.dispose();
  pruned2.dispose();
  reference.dispose();
});

// ------------------------------------------------------------------------------------------------------------------
// costs and plans

test('lenet5 keeping 3, 8, 60, 42 channels: 15,738 parameters and 133,740 MACs, by hand and on the built model', async (t) => {
  const model = buildModel('lenet5', [28, 28, 1], 10, 1);
  const result = await pruneChannels(model, { counts: [3, 8, 60, 42, 10] });
  // conv1 5*5*1*3 + 3 = 78; conv2 5*5*3*8 + 8 = 608; fc1 (5*5*8)*60 + 60 = 12,060; fc2 60*42 + 42 = 2,562; fc3 42*10 + 10 = 430
  t.is(result.model.countParams(), 78 + 608 + 12060 + 2562 + 430);
  t.is(prunedParams(result.analysis, result.counts), 15738);
  // conv1 28*28*75 = 58,800; conv2 10*10*600 = 60,000; fc1 12,000; fc2 2,520; fc3 420
  t.deepEqual(countFlops(result.model).layers.map((l) => l.macs), [58800, 60000, 12000, 2520, 420]);
  t.is(result.flops.after, 133740);
  t.is(prunedFlops(result.analysis, result.counts).total, 133740);
  result.model.dispose();
});

test('mobilenet-tiny at a uniform preserve ratio of 0.5: 3,146 parameters and 192,400 MACs, by hand and on the built model', async (t) => {
  const model = buildModel('mobilenet-tiny', [28, 28, 1], 10, 1);
  const result = await pruneChannels(model, { preserve: 0.5 });
  t.deepEqual(result.counts, [8, 16, 32, 32, 10]);
  // conv0 3*3*8*784 = 56,448; dw1 9*8*196 = 14,112; pw1 8*16*196 = 25,088; dw2 9*16*49 = 7,056;
  // pw2 16*32*49 = 25,088; dw3 9*32*49 = 14,112; pw3 32*32*49 = 50,176; fc 32*10 = 320
  t.deepEqual(countFlops(result.model).layers.map((l) => l.macs), [56448, 14112, 25088, 7056, 25088, 14112, 50176, 320]);
  t.is(result.flops.after, 192400);
  // kernels 72 + 72 + 128 + 144 + 512 + 288 + 1024 + 320, batch-norm 4 x (8 + 8 + 16 + 16 + 32 + 32 + 32), fc bias 10
  t.is(result.model.countParams(), 2560 + 4 * 144 + 10);
  t.is(result.params.after, prunedParams(result.analysis, result.counts));
  result.model.dispose();
});

test('a FLOPs budget always holds and is tight: one more channel step in any pruned group would break it', (t) => {
  for (const name of ['lenet5', 'mobilenet-tiny', 'mlp']) {
    const a = analyzeChannels(buildModel(name, [28, 28, 1], 10, 1));
    for (const flops of [0.75, 0.5, 0.3, 0.1]) {
      for (const multipleOf of [1, 8]) {
        let counts: number[];
        try {
          counts = planChannels(a, { flops, multipleOf });
        } catch (e) {
          t.true(e instanceof BudgetError && multipleOf === 8, `${name} ${flops} x${multipleOf}: ${(e as Error).message}`);
          continue;
        }
        const total = prunedFlops(a, counts).total;
        t.true(total <= flops * a.totalFlops, `${name} at ${flops} x${multipleOf}: ${total} > ${flops * a.totalFlops}`);
        for (const g of a.groups) {
          if (g.frozen !== null || counts[g.id] === g.channels) continue;
          t.true(multipleOf === 1 || counts[g.id] % multipleOf === 0, `${name} group ${g.id} keeps ${counts[g.id]}`);
          const more = counts.slice();
          more[g.id] = Math.min(g.channels, (Math.floor(counts[g.id] / multipleOf) + 1) * multipleOf);
          t.true(prunedFlops(a, more).total > flops * a.totalFlops, `${name} at ${flops}: group ${g.id} could keep more`);
        }
      }
    }
  }
});

test('an unreachable FLOPs budget is refused with the smallest reachable share', (t) => {
  const a = analyzeChannels(buildModel('lenet5', [28, 28, 1], 10, 1));
  // one channel per group: conv1 28*28*25 + conv2 100*25 + fc1 25 + fc2 1 + fc3 10 = 22,136 MACs = 5.3%
  t.throws(() => planChannels(a, { flops: 0.01 }), { instanceOf: BudgetError, message: /5\.3% of 416520/ });
});

test('plan options: skipFirst, skipLast, skip by name, per-layer ratios; unknown names are refused', (t) => {
  const a = analyzeChannels(buildModel('mobilenet-tiny', [28, 28, 1], 10, 1));
  t.deepEqual(planChannels(a, { preserve: 0.5 }), [8, 16, 32, 32, 10]);
  t.deepEqual(planChannels(a, { preserve: 0.5, skipFirst: true }), [16, 16, 32, 32, 10]);
  // the last layer (fc) keeps its shape: its input group stays whole
  t.deepEqual(planChannels(a, { preserve: 0.5, skipLast: true }), [8, 16, 32, 64, 10]);
  // dw2 carries pw1's group: skipping it keeps that group
  t.deepEqual(planChannels(a, { preserve: 0.5, skip: ['dw2'] }), [8, 32, 32, 32, 10]);
  t.deepEqual(planChannels(a, { preserve: 0.5, perLayer: { pw2: 0.25 } }), [8, 16, 16, 32, 10]);
  // per-layer ratios hold, the budget goes to the others
  const counts = planChannels(a, { flops: 0.5, perLayer: { pw3: 1 } });
  t.is(counts[3], 64);
  t.true(prunedFlops(a, counts).total <= 0.5 * a.totalFlops);
  t.throws(() => planChannels(a, { skip: ['nope'] }), { instanceOf: ConfigError, message: /nope/ });
  t.throws(() => planChannels(a, { perLayer: { dw1: 0.5 } }), { instanceOf: ConfigError, message: /dw1.*conv0/ });
  t.throws(() => planChannels(a, { perLayer: { fc: 0.5 } }), { instanceOf: ConfigError, message: /fc/ });
  t.throws(() => planChannels(a, { preserve: 0 }), { instanceOf: ConfigError });
});

test('explicit counts that would prune the class scores or exceed a group are refused before any surgery', async (t) => {
  const model = buildModel('lenet5', [28, 28, 1], 10, 1);
  await t.throwsAsync(pruneChannels(model, { counts: [6, 16, 120, 84, 5] }), { instanceOf: ConfigError, message: /fc3.*softmax/ });
  await t.throwsAsync(pruneChannels(model, { counts: [7, 16, 120, 84, 10] }), { instanceOf: ConfigError, message: /6 channels; cannot keep 7/ });
  await t.throwsAsync(pruneChannels(model, { counts: [3, 16, 120, 84, 10], method: 'lasso' }), { instanceOf: ConfigError, message: /inputs/ });
});

// ------------------------------------------------------------------------------------------------------------------
// selection, reconstruction, and hygiene

test('LASSO keeps exactly the requested number of channels in every pruned group', async (t) => {
  const model = buildModel('lenet5', [28, 28, 1], 10, 2);
  const x = tf.randomUniform([200, 28, 28, 1], 0, 1, 'float32', 11);
  const result = await pruneChannels(model, { counts: [4, 9, 120, 84, 10], method: 'lasso', inputs: x });
  t.deepEqual(result.selections.map((s) => [s.group, s.kept.length]), [[0, 4], [1, 9]]);
  t.true(result.selections.every((s) => s.exact), 'the lambda search landed on the count');
  t.deepEqual(result.model.getLayer('conv2').getWeights()[0].shape, [5, 5, 4, 9]);
  x.dispose();
  result.model.dispose();
});

test('on a small conv layer, LASSO + least squares reconstructs the next layer better than L1 selection alone', async (t) => {
  // in (8x8x4) -> a: conv 3x3, 8 -> relu -> b: conv 3x3, 6 (linear) -> flatten -> dense 3
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 4], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'a', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'b', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.flatten({ name: 'f' }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  const sample = tf.randomUniform([300, 8, 8, 4], 0, 1, 'float32', 12);
  const heldOut = tf.randomUniform([100, 8, 8, 4], 0, 1, 'float32', 13);
  const counts = [4, 6, 3];
  const l1 = await pruneChannels(model, { counts, method: 'l1' });
  const l1Refit = await pruneChannels(model, { counts, method: 'l1', reconstruct: true, inputs: sample });
  const lasso = await pruneChannels(model, { counts, method: 'lasso', inputs: sample });
  // the output error of layer b (whose outputs are not pruned) on images the refit never saw
  const bOutput = (m: tf.LayersModel) => tf.model({ inputs: m.inputs, outputs: m.getLayer('b').output as tf.SymbolicTensor });
  const reference = bOutput(model).predict(heldOut) as tf.Tensor;
  const error = (m: tf.LayersModel) =>
    tf.tidy(() => {
      const y = bOutput(m).predict(heldOut) as tf.Tensor;
      return y.sub(reference).square().sum().div(reference.square().sum()).dataSync()[0];
    });
  const [eL1, eL1Refit, eLasso] = [error(l1.model), error(l1Refit.model), error(lasso.model)];
  const report = `relative error of b on held-out images: L1 alone ${eL1.toFixed(4)}, L1 + least squares ${eL1Refit.toFixed(4)}, LASSO + least squares ${eLasso.toFixed(4)}`;
  t.log(report);
  t.true(eLasso < eL1, report);
  t.true(eL1Refit < eL1, report);
  t.deepEqual([...l1.kept[0]!], [...l1Refit.kept[0]!], 'the refit does not change an L1 choice');
  tf.dispose([sample, heldOut, reference]);
  for (const r of [l1, l1Refit, lasso]) r.model.dispose();
});

test('the original model is unchanged by pruning: weights, layer graph and predictions', async (t) => {
  const model = buildModel('mobilenet-tiny', [28, 28, 1], 10, 7);
  randomize(model, 7);
  const before = weightsSnapshot(model);
  const nodes = model.layers.map((l) => [l.inboundNodes.length, l.outboundNodes.length]);
  const x = tf.randomUniform([50, 28, 28, 1], 0, 1, 'float32', 14);
  const y0 = (model.predict(x) as tf.Tensor).dataSync().slice();
  for (const method of ['l1', 'lasso'] as const) {
    const r = await pruneChannels(model, { flops: 0.5, method, inputs: x });
    r.model.dispose();
  }
  t.deepEqual(weightsSnapshot(model), before);
  t.deepEqual(model.layers.map((l) => [l.inboundNodes.length, l.outboundNodes.length]), nodes);
  t.deepEqual((model.predict(x) as tf.Tensor).dataSync(), y0);
  tf.dispose(x);
});

test.serial('no tensor leaks: planning, L1 and LASSO pruning leave only the returned model', async (t) => {
  const model = buildModel('lenet5', [28, 28, 1], 10, 1);
  const x = tf.randomUniform([60, 28, 28, 1], 0, 1, 'float32', 15);
  // a first run builds whatever tfjs caches once
  (await pruneChannels(model, { flops: 0.5, method: 'lasso', inputs: x })).model.dispose();
  const before = tf.memory().numTensors;
  for (const method of ['l1', 'lasso'] as const) {
    const r = await pruneChannels(model, { flops: 0.5, method, inputs: x });
    t.is(tf.memory().numTensors, before + r.model.weights.length, method);
    r.model.dispose();
    t.is(tf.memory().numTensors, before, method);
  }
  x.dispose();
});
