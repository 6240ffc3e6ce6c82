/**
 * Channel pruning of Dense layers applied to sequences ([batch, time, features]: after an Embedding, an RNN with
 * returnSequences or a TimeDistributed layer). Such a Dense is a 1x1 convolution over its time steps, so LASSO and
 * the least-squares refit sample its input at time steps (the feature maps [n, t, c] become [n*t, c] rows, sampled
 * like a convolution's positions). Before, the sampler refused any Dense input that was not 2-D, so a
 * `--channel-method lasso` search died at its first episode that cut channels; and a Reshape([-1]) (typed
 * [null, null] by tfjs) stopped the channel analysis itself.
 *
 * The models: token ids [12] -> embed (8) -> mix (Dense 16, relu, on [12, 8]) -> proj (Dense 8, relu, on [12, 16])
 * -> gap (average over time) -> head (Dense 3, softmax). MACs per sequence: embed 0 (a lookup), mix 12x8x16 = 1,536,
 * proj 12x16x8 = 1,536, head 8x3 = 24; 3,096 in all. Two variants: the ids reshaped with [-1] (a time axis of unknown
 * length), and a GRU (returnSequences) over 8 steps in place of the embedding.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { selectBackend } from '../../env/backend.js';
import { countFlops } from '../../env/channel-pruning/cost.js';
import { pruneChannels } from '../../env/channel-pruning/select.js';
import { ChannelSpace, channelSamples } from '../../env/channel-space.js';
import { CompressionEnv } from '../../env/compression-env.js';
import { compressibleLayers } from '../../env/layers.js';
import type { LayerSpec } from '../../learners/types.js';
import { BASE, envConfig, space } from '../helpers/env-config.js';
import { ZOO } from '../helpers/zoo-models.js';

test.before(async () => {
  await selectBackend('wasm');
});

const text = ZOO.find((c) => c.name === 'text')!.data; // 480 training sequences of 12 token ids (30 words), as [12, 1, 1]
const pulses = ZOO.find((c) => c.name === 'gru')!.data; // 8 steps of 3 channels, as [8, 3, 1]
const sym = (layer: tf.layers.Layer, x: tf.SymbolicTensor) => layer.apply(x) as tf.SymbolicTensor;
const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });

type Front = 'embedding' | 'unknown length' | 'gru';

/**
 * The model of the file head. 'unknown length' reshapes the ids with [-1], which tfjs types [null, null]: the time
 * axis is only known once data flows. 'gru' reads 8 steps of 3 channels into a GRU (4 units, returnSequences) instead
 * of the embedding.
 */
function sequenceModel(front: Front = 'embedding'): tf.LayersModel {
  let input: tf.SymbolicTensor;
  let seq: tf.SymbolicTensor;
  if (front === 'gru') {
    input = tf.input({ shape: [8, 3, 1] });
    const steps = sym(tf.layers.reshape({ targetShape: [8, 3], name: 'to_steps' }), input);
    seq = sym(tf.layers.gru({ units: 4, returnSequences: true, kernelInitializer: glorot(5), recurrentInitializer: tf.initializers.orthogonal({ seed: 6 }), name: 'gru' }), steps);
  } else {
    input = tf.input({ shape: [12, 1, 1] });
    const ids = sym(tf.layers.reshape({ targetShape: [front === 'embedding' ? 12 : -1], name: 'to_ids' }), input);
    seq = sym(tf.layers.embedding({ inputDim: 30, outputDim: 8, embeddingsInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 1 }), name: 'embed' }), ids);
  }
  const mix = sym(tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: glorot(2), biasInitializer: tf.initializers.constant({ value: 0.1 }), name: 'mix' }), seq);
  const proj = sym(tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: glorot(3), name: 'proj' }), mix);
  const head = sym(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: glorot(4), name: 'head' }), sym(tf.layers.globalAveragePooling1d({ name: 'gap' }), proj));
  return tf.model({ inputs: input, outputs: head, name: 'sequence_dense' });
}

/** Replace the named layer's weights by `edit` of copies of them. */
function editWeights(model: tf.LayersModel, layer: string, edit: (weights: Float32Array[]) => void): void {
  const ws = model.getLayer(layer).getWeights();
  const arrays = ws.map((w) => Float32Array.from(w.dataSync()));
  edit(arrays);
  const ts = arrays.map((a, i) => tf.tensor(a, ws[i].shape));
  model.getLayer(layer).setWeights(ts);
  tf.dispose(ts);
}

function maxAbsDiff(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => (a.predict(x) as tf.Tensor).sub(b.predict(x) as tf.Tensor).abs().max().dataSync()[0]);
}

const keep = (preserveRatio: number): LayerSpec => (preserveRatio < 1 ? { ...BASE, preserveRatio } : { ...BASE });

test.serial('a --channel-method lasso episode on Dense layers over 12 time steps builds the smaller model: mix 8/16 and proj 4/8 run 12x8x8 + 12x8x4 + 4x3 = 1,164 <= 1,548 MACs', async (t) => {
  const model = sequenceModel();
  t.teardown(() => model.dispose());
  const env = new CompressionEnv(
    model,
    text,
    envConfig({ space: space(['channels']), budget: { kind: 'flops', value: 0.5, unit: 'fraction' }, evalSize: 30, channelMethod: 'lasso' }),
    0,
  );
  t.teardown(() => env.dispose());
  t.is(env.plan.full, 3096);
  t.is(env.plan.limit, 1548);
  const strategy = [keep(1), keep(0.5), keep(0.5), keep(1)]; // embed, mix, proj, head
  t.is(env.cost(strategy), 1164);
  // an episode: the surgery (LASSO + refit on sampled time steps), then scoring
  const m = await env.measure(strategy);
  t.true(m.accuracy >= 0 && m.accuracy <= 1);
  const n = tf.memory().numTensors;
  await env.measure(strategy);
  t.is(tf.memory().numTensors, n, 'a second episode leaks no tensor');
  const built = await env.pruneFor(strategy);
  t.teardown(() => built?.model.dispose());
  t.deepEqual(built!.layers.map((l) => l.kernelShape), [[30, 8], [8, 8], [8, 4], [4, 3]]);
  t.is(countFlops(built!.model).total, 1164);
});

for (const front of ['embedding', 'unknown length', 'gru'] as const) {
  test.serial(`LASSO over the time steps (${front}): with mix's odd channels dead (zero filters and biases, relu(0) = 0 at every step), keeping 8 of 16 keeps exactly 0, 2, ..., 14 and the model predicts as before`, async (t) => {
    const model = sequenceModel(front);
    t.teardown(() => model.dispose());
    editWeights(model, 'mix', ([kernel, bias]) => {
      const units = bias.length;
      for (let c = 1; c < units; c += 2) {
        bias[c] = 0;
        for (let r = 0; r < kernel.length / units; r++) kernel[r * units + c] = 0;
      }
    });
    const space = new ChannelSpace(model, compressibleLayers(model));
    t.deepEqual(space.prunable(), ['mix', 'proj']);
    const inputs = channelSamples(front === 'gru' ? pulses : text);
    t.teardown(() => inputs.dispose());
    const counts = space.analysis.groups.map((g) => (g.producers[0] === 'mix' ? 8 : g.channels));
    const result = await pruneChannels(model, { counts, method: 'lasso', inputs, analysis: space.analysis, seed: 1 });
    t.teardown(() => result.model.dispose());
    t.deepEqual([...result.selections[0].kept], [0, 2, 4, 6, 8, 10, 12, 14]);
    t.deepEqual(result.model.getLayer('proj').getWeights()[0].shape, [8, 8]);
    t.true(maxAbsDiff(model, result.model, inputs) < 1e-4);
  });
}

test.serial("the least-squares refit over the time steps: mix's channel 15 is 0.01 x channel 0 at every step, so dropping it moves proj's row 15 onto row 0 (W0 + 0.01 x W15) and the output is kept; without the refit it is not", async (t) => {
  const model = sequenceModel();
  t.teardown(() => model.dispose());
  const units = 16;
  // channel 15 = 0.01 x channel 0 (relu(0.01 z) = 0.01 relu(z)), so its L1 norm is the smallest; proj reads it 100x louder
  editWeights(model, 'mix', ([kernel, bias]) => {
    bias[15] = 0.01 * bias[0];
    for (let r = 0; r < kernel.length / units; r++) kernel[r * units + 15] = 0.01 * kernel[r * units];
  });
  editWeights(model, 'proj', ([kernel]) => {
    for (let j = 0; j < 8; j++) kernel[15 * 8 + j] *= 100;
  });
  const w = model.getLayer('proj').getWeights()[0].dataSync();
  const expected = Array.from({ length: 8 }, (_, j) => w[j] + 0.01 * w[15 * 8 + j]);
  const space = new ChannelSpace(model, compressibleLayers(model));
  const inputs = channelSamples(text);
  t.teardown(() => inputs.dispose());
  const counts = space.analysis.groups.map((g) => (g.producers[0] === 'mix' ? 15 : g.channels));
  const refit = await pruneChannels(model, { counts, method: 'l1', reconstruct: true, inputs, analysis: space.analysis });
  t.teardown(() => refit.model.dispose());
  const plain = await pruneChannels(model, { counts, method: 'l1', analysis: space.analysis });
  t.teardown(() => plain.model.dispose());
  t.deepEqual([...refit.selections[0].kept], Array.from({ length: 15 }, (_, i) => i));
  const row0 = Array.from(refit.model.getLayer('proj').getWeights()[0].dataSync().subarray(0, 8));
  row0.forEach((v, j) => t.true(Math.abs(v - expected[j]) < 1e-3, `row 0, column ${j}: ${v} vs ${expected[j]}`));
  t.true(maxAbsDiff(model, refit.model, inputs) < 1e-4);
  t.true(maxAbsDiff(model, plain.model, inputs) > 1e-2);
});
