import test from 'ava';
import * as tf from '../../tfjs.js';
import { BudgetError, ConfigError } from '../../errors.js';
import { selectBackend } from '../../env/backend.js';
import { ChannelSpace } from '../../env/channel-space.js';
import { CompressionEnv } from '../../env/compression-env.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { compressibleLayers } from '../../env/layers.js';
import { type LatencyTable, predictLatency } from '../../env/latency-table.js';
import { randomInput } from '../../env/latency-clock.js';
import { channelPairs, followers, measureLatencyTable } from '../../env/latency-timing.js';
import { buildModel } from '../../env/models/zoo.js';
import type { LayerSpec } from '../../learners/types.js';
import { BASE, envConfig, space } from '../helpers/env-config.js';
import { twoDenseLayers } from '../helpers/two-dense.js';

const data = loadDataset('mnist', { seed: 1 });

const twoLayers = () => twoDenseLayers(data.inputShape);

/** The knob keeps half or all of fc1's 6 outputs. */
const halfOrAll = () => ({ ...space(['channels']), bounds: { ...space(['channels']).bounds, channels: [0.5, 1] as [number, number], channelStep: 0.5 } });

/** A table by hand: fc1 at 6 or 3 outputs, fc2 at 6 or 3 inputs, 0.1 ms outside them; the full model 1 + 0.25 + 0.1. */
const HAND: LatencyTable = {
  model: 'two-layers',
  backend: 'wasm',
  machine: 'by hand',
  batch: 1,
  fullMs: 1.35,
  constantMs: 0.1,
  layers: { fc1: { '784x6': 1, '784x3': 0.5 }, fc2: { '6x3': 0.25, '3x3': 0.125 } },
};

const keep = (ratio: number): LayerSpec => (ratio < 1 ? { ...BASE, preserveRatio: ratio } : { ...BASE });

test.before(async () => {
  await selectBackend('wasm');
});

test('the table rows are every (in, out) pair the knob can give: fc1 784x6 and 784x3, fc2 6x3 and 3x3', (t) => {
  const model = twoLayers();
  t.teardown(() => model.dispose());
  const pairs = channelPairs(new ChannelSpace(model, compressibleLayers(model)), [0.5, 1]);
  t.deepEqual(pairs.map((p) => p.pairs.map(([i, o]) => `${i}x${o}`).sort()), [['784x3', '784x6'], ['3x3', '6x3']]);
});

test('predicted latency is the table sum plus the constant: fc1 cut to 3 gives 0.1 + 0.5 + 0.125 = 0.725 ms, the full model 0.1 + 1 + 0.25 = 1.35 ms', (t) => {
  const model = twoLayers();
  t.teardown(() => model.dispose());
  const env = new CompressionEnv(model, data, envConfig({ space: halfOrAll(), budget: { kind: 'latency', value: 1, unit: 'fraction' }, latency: HAND }), 0);
  t.teardown(() => env.dispose());
  t.is(env.plan.full, 1.35);
  t.is(env.cost([keep(1), keep(1)]), 1.35);
  t.is(env.cost([keep(0.5), keep(1)]), 0.725);
  t.is(env.minimumCost(), 0.725);
  // the same sum from the built layers' shapes
  t.is(predictLatency(HAND, compressibleLayers(model)), 1.35);
});

test('latency:0.6 limits the walk to 0.6 x 1.35 = 0.81 ms: the wall cuts fc1 to 3 whatever the agent wished', (t) => {
  const model = twoLayers();
  t.teardown(() => model.dispose());
  const env = new CompressionEnv(model, data, envConfig({ space: halfOrAll(), budget: { kind: 'latency', value: 0.6, unit: 'fraction' }, latency: HAND }), 0);
  t.teardown(() => env.dispose());
  t.true(Math.abs(env.plan.limit - 0.81) < 1e-12);
  env.reset(0);
  const first = env.step([1]);
  t.is(first.spec.preserveRatio, 0.5);
  t.true(first.clamped);
  env.step([1]);
  const s = env.finishStrategy();
  t.is(env.cost(s), 0.725);
});

test('latency:0.8ms is absolute; below the smallest reachable latency (0.725 ms) a budget is refused in one line', (t) => {
  const model = twoLayers();
  t.teardown(() => model.dispose());
  const ms = new CompressionEnv(model, data, envConfig({ space: halfOrAll(), budget: { kind: 'latency', value: 0.8, unit: 'ms' }, latency: HAND }), 0);
  t.teardown(() => ms.dispose());
  t.is(ms.plan.limit, 0.8);
  const e = t.throws(() => new CompressionEnv(model, data, envConfig({ space: halfOrAll(), budget: { kind: 'latency', value: 0.5, unit: 'fraction' }, latency: HAND }), 0), { instanceOf: BudgetError });
  // 0.725 / 1.35 = 53.70%
  t.regex(e.message, /below the smallest achievable latency, 0\.725 ms \(53\.70% of fp32\)/);
  t.false(e.message.includes('\n'));
});

test('a latency budget without the channels knob is refused in one line: only kept channels make an fp32 model faster', (t) => {
  const model = twoLayers();
  t.teardown(() => model.dispose());
  const e = t.throws(() => new CompressionEnv(model, data, envConfig({ space: space(['bits']), budget: { kind: 'latency', value: 0.5, unit: 'fraction' }, latency: HAND }), 0), { instanceOf: ConfigError });
  t.regex(e.message, /latency budget needs the channels knob.*--knobs/);
  t.false(e.message.includes('\n'));
});

test('a table lacking a pair the knob can reach names the layer and its channels', (t) => {
  const model = twoLayers();
  t.teardown(() => model.dispose());
  const holes: LatencyTable = { ...HAND, source: 'browser.json', layers: { fc1: { '784x6': 1 }, fc2: HAND.layers.fc2 } };
  const e = t.throws(() => new CompressionEnv(model, data, envConfig({ space: halfOrAll(), budget: { kind: 'latency', value: 1, unit: 'fraction' }, latency: holes }), 0), { instanceOf: ConfigError });
  t.regex(e.message, /latency table browser\.json has no time for layer fc1 at 784 input x 3 output channels/);
});

test.serial('a measured table times every pair, and its constant makes the full model predict exactly its measured time', async (t) => {
  const model = twoLayers();
  t.teardown(() => model.dispose());
  const before = tf.memory().numTensors;
  const table = await measureLatencyTable({ model, space: new ChannelSpace(model, compressibleLayers(model)), ratios: [0.5, 1], batch: 1, key: { model: 'two', backend: 'wasm', machine: 'here' } });
  t.is(tf.memory().numTensors, before, 'no tensor left behind');
  t.deepEqual(Object.keys(table.layers), ['fc1', 'fc2']);
  t.deepEqual(Object.keys(table.layers.fc1).sort(), ['784x3', '784x6']);
  t.deepEqual(Object.keys(table.layers.fc2).sort(), ['3x3', '6x3']);
  for (const row of Object.values(table.layers)) for (const ms of Object.values(row)) t.true(ms > 0);
  t.true(table.fullMs > 0);
  t.true(Math.abs(table.constantMs - (table.fullMs - table.layers.fc1['784x6'] - table.layers.fc2['6x3'])) < 1e-12);
  t.true(Math.abs(predictLatency(table, compressibleLayers(model)) - table.fullMs) < 1e-12);
});

test('a unit is timed with the per-channel layers after it: mobilenet-tiny conv0 with conv0_bn and conv0_relu, pw3 with its own, fc with none', (t) => {
  const model = buildModel('mobilenet-tiny', data.inputShape, data.numClasses, 1);
  t.teardown(() => model.dispose());
  const names = (layer: string) => followers(model, model.getLayer(layer)).map((l) => l.name);
  t.deepEqual(names('conv0'), ['conv0_bn', 'conv0_relu']);
  t.deepEqual(names('dw1'), ['dw1_bn', 'dw1_relu']);
  t.deepEqual(names('pw3'), ['pw3_bn', 'pw3_relu']);
  t.deepEqual(names('fc'), []);
});

test('a model is timed on inputs it can take: token ids 0..49 for an Embedding of 50 rows (a negative id is no row), normal values otherwise', (t) => {
  const text = tf.sequential({ layers: [tf.layers.embedding({ inputDim: 50, outputDim: 4, inputLength: 8 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
  const vector = tf.sequential({ layers: [tf.layers.dense({ inputShape: [8], units: 2 })] });
  t.teardown(() => [text, vector].forEach((m) => m.dispose()));
  const ids = randomInput(text, 64);
  const values = ids.dataSync();
  ids.dispose();
  t.is(values.length, 64 * 8);
  t.true(values.every((v) => Number.isInteger(v) && v >= 0 && v < 50));
  const normal = randomInput(vector, 64);
  t.true(normal.dataSync().some((v) => v < 0));
  normal.dispose();
});
