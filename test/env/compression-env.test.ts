import test from 'ava';
import * as tf from '../../tfjs.js';
import { ConfigError } from '../../errors.js';
import { selectBackend } from '../../env/backend.js';
import { CompressionEnv } from '../../env/compression-env.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { evaluateAccuracy } from '../../env/evaluate.js';
import { specToAction } from '../../env/knobs.js';
import { buildModel } from '../../env/models/zoo.js';
import { trainModel } from '../../env/train.js';
import type { LayerSpec } from '../../learners/types.js';
import { BASE, envConfig, space } from '../helpers/env-config.js';

const data = loadDataset('mnist', { seed: 1 });
const mlp = buildModel('mlp', data.inputShape, data.numClasses, 1);
const lenet = buildModel('lenet5', data.inputShape, data.numClasses, 1);

test.before(async () => {
  await selectBackend('wasm');
  await trainModel(mlp, data, { epochs: 1, batchSize: 64, learningRate: 2e-3, seed: 1 });
});

const snapshot = (m: tf.LayersModel) => m.getWeights().map((w) => Float32Array.from(w.dataSync()));
/** Bitwise equality of weight lists (ava's deepEqual is far too slow for 235,200 floats). */
const same = (a: Float32Array[], b: Float32Array[]) => a.length === b.length && a.every((w, i) => w.length === b[i].length && w.every((v, j) => Object.is(v, b[i][j])));
const spec = (bits: number, pruneRatio = 0, clusters = 0): LayerSpec => ({ ...BASE, bits, pruneRatio, clusters });
/** Fine-tune a few steps so evaluation exercises the STE path (masks, cluster structure) too. */
const ftConfig = (overrides = {}) =>
  envConfig({ space: space(['bits', 'prune', 'clusters']), budget: { kind: 'size', value: 1, unit: 'ratio' }, finetune: { steps: 4, batchSize: 32, learningRate: 1e-3, distill: false }, evalSize: 300, ...overrides });

test.serial('evaluate gives an accuracy in [0, 1] and the cost of the strategy; the same strategy again comes from the cache', async (t) => {
  const env = new CompressionEnv(mlp, data, ftConfig(), 0.9);
  t.teardown(() => env.dispose());
  const a = [spec(4, 0.5), spec(3, 0, 16), spec(8)];
  const first = await env.evaluate(a);
  t.true(first.accuracy >= 0 && first.accuracy <= 1);
  t.false(first.cached);
  t.is(first.cost, env.cost(a));
  t.is(first.reward, first.accuracy); // reward 'accuracy'
  const again = await env.evaluate(a.map((s) => ({ ...s })));
  t.true(again.cached);
  t.is(again.accuracy, first.accuracy);
  t.is(again.reward, first.reward);
  t.is(again.loss, first.loss, 'the cache keeps the loss too (the cross-entropy reward needs it)');
  t.deepEqual(again.timings, { compress: 0, finetune: 0, evaluate: 0 });
  const other = await env.evaluate([spec(2, 0.9), spec(2), spec(2)]);
  t.false(other.cached);
  t.deepEqual(env.cacheEntries().map(([k]) => k), ['4/0.5/0|3/0/16|8/0/0', '2/0.9/0|2/0/0|2/0/0']);
  t.deepEqual(env.cacheEntries()[0], ['4/0.5/0|3/0/16|8/0/0', first.accuracy, first.loss]);
  // a checkpoint from before losses were cached holds [key, accuracy]: restored with an unknown (NaN) loss
  env.restoreCache([['4/0.5/0|3/0/16|8/0/0', 0.5]]);
  const old = await env.evaluate(a);
  t.true(old.cached);
  t.is(old.accuracy, 0.5);
  t.true(Number.isNaN(old.loss));
});

test.serial('evaluate never changes the original weights: two strategies in either order give the same accuracies', async (t) => {
  const before = snapshot(mlp);
  const baseline = await evaluateAccuracy(mlp, data.validation, data.inputShape);
  const env = new CompressionEnv(mlp, data, ftConfig(), baseline);
  t.teardown(() => env.dispose());
  const a = [spec(2, 0.7), spec(2, 0.5, 4), spec(3)];
  const b = [spec(6), spec(5, 0.2), spec(8, 0, 32)];
  const ab = [(await env.evaluate(a)).accuracy, (await env.evaluate(b)).accuracy];
  env.restoreCache([]);
  const bFirst = (await env.evaluate(b)).accuracy;
  const aSecond = (await env.evaluate(a)).accuracy;
  t.deepEqual([aSecond, bFirst], ab);
  t.true(ab[0] < ab[1], `harsh ${ab[0]} should lose more than mild ${ab[1]}`);
  // the model now holds the last compressed weights; restoring gives back exactly the originals
  t.false(same(snapshot(mlp), before));
  env.restoreOriginal();
  t.true(same(snapshot(mlp), before));
  t.is(await evaluateAccuracy(mlp, data.validation, data.inputShape), baseline);
});

test.serial('excluded layers stay out of the walk and at full precision; a pinned first layer gets 8 bits whatever the action', async (t) => {
  const before = snapshot(mlp);
  // no fine-tune here: it would train the excluded layer too (at full precision), and we check it is left exactly as it was
  const env = new CompressionEnv(mlp, data, ftConfig({ space: space(['bits']), exclude: ['fc2'], pin: { first: { bits: 8 } }, finetune: { steps: 0, batchSize: 32, learningRate: 1e-3, distill: false } }), 0);
  t.teardown(() => env.dispose());
  t.deepEqual(env.layers.map((l) => l.name), ['fc1', 'fc3']);
  // fc2 at fp32 (30,000 x 4 bytes) and every bias (410 x 4) are fixed cost
  t.is(env.plan.fixed, 30000 * 4 + 410 * 4);
  env.reset(0);
  const r1 = env.step([0]);
  t.is(r1.spec.bits, 8);
  t.true(r1.clamped);
  t.deepEqual(r1.applied, specToAction(spec(8), env.config.space));
  const r2 = env.step([0]);
  t.is(r2.spec.bits, 2);
  t.is(r2.next, null);
  const strategy = env.finishStrategy();
  t.deepEqual(strategy.map((s) => s.bits), [8, 2]);
  await env.evaluate(strategy);
  const after = mlp.getWeights();
  const names = mlp.weights.map((w) => w.originalName);
  const fc2 = names.indexOf('fc2/kernel');
  const fc1 = names.indexOf('fc1/kernel');
  t.true(same([after[fc2].dataSync() as Float32Array], [before[fc2]]));
  t.false(same([after[fc1].dataSync() as Float32Array], [before[fc1]]));
  // fc3 at 2 bits per channel: at most 4 values in each of its 10 columns
  const fc3 = after[names.indexOf('fc3/kernel')].arraySync() as number[][];
  for (let c = 0; c < 10; c++) t.true(new Set(fc3.map((row) => row[c])).size <= 4);
  env.restoreOriginal();
});

test.serial('exclude and pin patterns that match no layer, or exclude everything, are ConfigErrors naming the layers', (t) => {
  t.throws(() => new CompressionEnv(mlp, data, envConfig({ exclude: ['conv*'] }), 0), { instanceOf: ConfigError, message: /no compressible layer matches 'conv\*'; layers are fc1, fc2, fc3/ });
  t.throws(() => new CompressionEnv(mlp, data, envConfig({ pin: { fc9: { bits: 8 } } }), 0), { instanceOf: ConfigError, message: /'fc9'/ });
  t.throws(() => new CompressionEnv(mlp, data, envConfig({ exclude: ['fc*'] }), 0), { instanceOf: ConfigError, message: /every layer is excluded/ });
});

test.serial('the same seed gives the same walk and strategies for the same actions; another seed walks another way', (t) => {
  const actions = Array.from({ length: 5 }, (_, i) => [((i + 1) * 0.29) % 1, ((i + 2) * 0.53) % 1]);
  const episode = (seed: number, ep: number) => {
    const env = new CompressionEnv(lenet, data, envConfig({ space: space(['bits', 'prune']), budget: { kind: 'size', value: 3, unit: 'bits' }, order: 'random', seed }), 0);
    env.reset(ep);
    const walk: string[] = [];
    const applied: number[][] = [];
    for (const a of actions) {
      walk.push(env.currentLayer.name);
      applied.push(env.step(a).applied);
    }
    const strategy = env.finishStrategy().map((s) => [s.bits, s.pruneRatio]);
    env.dispose();
    return { walk, applied, strategy };
  };
  t.deepEqual(episode(3, 0), episode(3, 0));
  t.deepEqual(episode(3, 7), episode(3, 7));
  // five layers have 120 orders: among five other seeds at least one walks differently
  const walks = new Set([3, 4, 5, 6, 7, 8].map((s) => episode(s, 0).walk.join(',')));
  t.true(walks.size > 1);
  t.deepEqual([...episode(3, 0).walk].sort(), ['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
});

test.serial('no tensor leak: evaluating new strategies leaves tf.memory().numTensors unchanged', async (t) => {
  const env = new CompressionEnv(mlp, data, ftConfig(), 0);
  t.teardown(() => env.dispose());
  await env.evaluate([spec(4), spec(4, 0.5, 8), spec(4)]); // warm-up: optimizer slots, kernels
  const n = tf.memory().numTensors;
  await env.evaluate([spec(3, 0.3), spec(5, 0, 16), spec(2)]);
  await env.evaluate([spec(6, 0.6, 8), spec(2, 0.1), spec(7)]);
  t.is(tf.memory().numTensors, n);
  env.restoreOriginal();
});

test.serial('flops count the MACs a setting really keeps: 2:4 keeps half whatever pruneRatio says, magnitude keeps 1 - ratio', (t) => {
  const env = new CompressionEnv(mlp, data, envConfig({ space: space(['bits', 'prune']) }), 0);
  t.teardown(() => env.dispose());
  // mlp MACs: 784x300 + 300x100 + 100x10 = 235,200 + 30,000 + 1,000 = 266,200
  const dense = env.layers.map(() => spec(8));
  t.is(env.flops(dense), 266200);
  t.is(env.flops(env.layers.map(() => spec(8, 0.5))), 133100);
  // 2:4 at a nominal 90%: 2 of every 4 input weights kept, so half the MACs (not 10%)
  t.is(env.flops(env.layers.map(() => ({ ...spec(8, 0.9), pruneKind: '2:4' as const }))), 133100);
});
