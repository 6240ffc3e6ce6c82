import test from 'ava';
import * as tf from '../../tfjs.js';
import { ConfigError } from '../../errors.js';
import { selectBackend } from '../../env/backend.js';
import { ACTIVATION_BITS, layerCost, parseBudget } from '../../env/budget.js';
import { CompressionEnv } from '../../env/compression-env.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { actionToSpec, candidateSpecs, describeSpec, KNOBS, learnerSpec, specToAction, validateSpace } from '../../env/knobs.js';
import { buildModel } from '../../env/models/zoo.js';
import { stateSize } from '../../env/state.js';
import { trainModel } from '../../env/train.js';
import type { LayerSpec } from '../../learners/types.js';
import { BASE, dense, envConfig, space } from '../helpers/env-config.js';

const data = loadDataset('mnist', { seed: 1 });
const mlp = buildModel('mlp', data.inputShape, data.numClasses, 1);

test.before(async () => {
  await selectBackend('wasm');
  await trainModel(mlp, data, { epochs: 1, batchSize: 64, learningRate: 2e-3, seed: 1 });
});

test('abits is the last knob, so the action order of runs stored before it is unchanged, and adds one state entry only when searched', (t) => {
  t.deepEqual(KNOBS, ['bits', 'prune', 'clusters', 'channels', 'abits']);
  t.is(stateSize(2), stateSize(['bits', 'prune'].length), 'a bits,prune run keeps its state size');
  t.is(stateSize(['bits', 'abits'].length), stateSize(1) + 1);
});

test('abits uses HAQ\'s rule over 2..8 (7 slices of 1/7): action 0 -> 2, 0.5 -> 5, 1 -> 8, and back to the slice centre (5 - 2 + 0.5) / 7 = 0.5', (t) => {
  const s = space(['bits', 'abits']);
  t.is(actionToSpec([1, 0], s).activationBits, 2);
  t.is(actionToSpec([1, 0.5], s).activationBits, 5);
  t.is(actionToSpec([1, 1], s).activationBits, 8);
  t.is(specToAction({ ...BASE, bits: 8, activationBits: 5 }, s)[1], 0.5);
  t.is(actionToSpec([1], space(['bits'])).activationBits, undefined, 'not searched: fp32 activations');
});

test('the candidate grid of bits,abits over 2..8 x 2..8 holds 7 x 7 = 49 settings, each with activation bits; bits alone sets none', (t) => {
  const grid = candidateSpecs(space(['bits', 'abits']));
  t.is(grid.length, 49);
  t.true(grid.every((g) => g.activationBits !== undefined && g.activationBits >= 2 && g.activationBits <= 8));
  t.true(candidateSpecs(space(['bits'])).every((g) => !('activationBits' in g)));
});

test('activation bounds outside 2..8 are a ConfigError', (t) => {
  t.throws(() => validateSpace({ ...space(['abits']), bounds: { ...space(['abits']).bounds, abits: [1, 8] } }), { instanceOf: ConfigError });
  t.notThrows(() => validateSpace({ ...space(['abits']), bounds: { ...space(['abits']).bounds, abits: undefined } }), 'a config stored before the knob has no bounds: 2..8');
});

test('bitops count the chosen activation bits: a 10x10 dense layer (100 MACs) at 4 weight bits costs 100 x 4 x 2 = 800 at 2 activation bits, 100 x 4 x 8 = 3,200 without', (t) => {
  const layer = dense(0, 10, 10);
  const spec: LayerSpec = { ...BASE, bits: 4 };
  t.is(layerCost('bitops', layer, { ...spec, activationBits: 2 }), 800);
  t.is(layerCost('bitops', layer, spec), 100 * 4 * ACTIVATION_BITS);
  t.is(layerCost('size', layer, { ...spec, activationBits: 2 }), layerCost('size', layer, spec), 'activation bits cost no storage');
});

test('the layer view shows activation bits when set, and the learners never see them (nor a preserve ratio)', (t) => {
  const spec: LayerSpec = { ...BASE, bits: 4, activationBits: 6, preserveRatio: 0.5 };
  t.is(describeSpec('fc', spec).activationBits, 6);
  t.false('activationBits' in describeSpec('fc', { ...BASE, bits: 4 }));
  const seen = learnerSpec(spec);
  t.false('activationBits' in seen);
  t.false('preserveRatio' in seen);
  t.is(seen.bits, 4);
});

test.serial('a bits,abits search under bitops:0.25 keeps every episode within the budget with activation bits counted', (t) => {
  const budget = parseBudget('bitops:0.25');
  const env = new CompressionEnv(mlp, data, envConfig({ space: space(['bits', 'abits']), budget }), 0.9);
  t.teardown(() => env.dispose());
  // full = sum of MACs x 32 x 8; the limit is a quarter of it
  const macs = env.layers.reduce((n, l) => n + l.macs, 0);
  t.is(env.plan.full, macs * 32 * 8);
  let wishedOver = 0;
  for (let episode = 0; episode < 20; episode++) {
    env.reset(episode);
    for (let l = 0; l < env.layers.length; l++) {
      // alternately ask for the most expensive setting (8 / 8 bits) and a spread of fixed actions
      const action = episode % 2 === 0 ? [1, 1] : [(episode * 0.37 + l * 0.11) % 1, (episode * 0.53 + l * 0.29) % 1];
      env.step(action);
    }
    const strategy = env.finishStrategy();
    t.true(strategy.every((s) => s.activationBits !== undefined));
    const cost = env.cost(strategy);
    t.true(cost <= env.plan.limit, `episode ${episode}: ${cost} > ${env.plan.limit}`);
    // 8 x 8 bits everywhere is 8 x 8 / (32 x 8) = 25% of full: exactly the limit, so the wall lets the wish through
    if (episode % 2 === 0) wishedOver += strategy.filter((s) => s.bits * s.activationBits! > 64).length;
  }
  t.is(wishedOver, 0);
  // the cost of a strategy is the sum of MACs x bits x activation bits
  const s: LayerSpec[] = env.layers.map(() => ({ ...BASE, bits: 4, activationBits: 2 }));
  t.is(env.cost(s), macs * 4 * 2);
});

test.serial('measure fake-quantizes the layer inputs through fine-tune and scoring, then leaves the model as it was: 2-bit activations score differently from none, no tensor is left and no layer keeps a wrapped call', async (t) => {
  const config = envConfig({ space: space(['bits', 'abits']), budget: parseBudget('bitops:1'), finetune: { steps: 2, batchSize: 32, learningRate: 1e-3, distill: false } });
  const env = new CompressionEnv(mlp, data, config, 0.9);
  t.teardown(() => env.dispose());
  const plain = env.layers.map(() => ({ ...BASE, bits: 8 }));
  const coarse = env.layers.map(() => ({ ...BASE, bits: 8, activationBits: 2 }));
  // warm up once: kernels compile, lazily made tensors appear
  await env.measure(plain);
  const before = tf.memory().numTensors;
  const a = await env.measure(coarse);
  const b = await env.measure(plain);
  t.is(tf.memory().numTensors, before);
  t.not(a.loss, b.loss, 'the 2-bit activations change the scores');
  for (const layer of mlp.layers) t.false(Object.prototype.hasOwnProperty.call(layer, 'call'), layer.name);
  t.not(CompressionEnv.strategyKey(coarse), CompressionEnv.strategyKey(plain));
  t.is(CompressionEnv.strategyKey(coarse).split('|')[0], '8/0/0/a2');
  t.is(CompressionEnv.strategyKey(plain).split('|')[0], '8/0/0', 'a strategy without activation bits keys as before (stored caches stay valid)');
});
