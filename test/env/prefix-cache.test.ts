/**
 * The layers before a measurement's boundary, kept and reused (env/prefix-cache.ts): a measurement without fine-tune
 * gives bit for bit the loss and accuracy of the whole pass, and keeps only what it may reuse.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { selectBackend } from '../../env/backend.js';
import { CompressionEnv } from '../../env/compression-env.js';
import { compressModel, OriginalWeights } from '../../env/compress-model.js';
import type { Dataset, DataSplit } from '../../env/data/dataset.js';
import { evaluateModel } from '../../env/evaluate.js';
import { compressibleLayers } from '../../env/layers.js';
import { StrategyMeasurer } from '../../env/measure.js';
import { PrefixCache, type PrefixLayer } from '../../env/prefix-cache.js';
import { FULL_PRECISION, layerSpec, type LayerSpec } from '../../learners/types.js';
import { evaluateStrategies, inProcessEvaluator } from '../../run/evaluators/evaluator.js';
import { envConfig } from '../helpers/env-config.js';

test.before(async () => {
  await selectBackend('wasm');
});

/** Seeded pseudo-random images (a linear congruential generator: the same numbers on every machine). */
function split(count: number, seed: number): DataSplit {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const x = Float32Array.from({ length: count * 36 }, next);
  const y = Int32Array.from({ length: count }, (_, i) => i % 3);
  return { x, y, count };
}

function data(): Dataset {
  const validation = split(70, 7);
  return { id: 'tiny', name: 'tiny', inputShape: [6, 6, 1], numClasses: 3, train: split(48, 3), validation, test: validation };
}

/** conv0 (chain 0) -> bn -> relu -> conv1 (chain 3) -> bn -> relu -> flatten -> dense (chain 7), seeded weights. */
function model(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [6, 6, 1] });
  let x = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(1), name: 'conv0' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn0' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'relu0' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 3, kernelSize: 1, useBias: false, kernelInitializer: init(2), name: 'conv1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'relu1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(3), name: 'fc' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

const FT = { steps: 0, batchSize: 8, learningRate: 1e-3, bnBatches: 3 };
const at = (i: number, spec: LayerSpec): LayerSpec[] => [0, 1, 2].map((j) => (j === i ? spec : FULL_PRECISION));

test.serial('measurements without fine-tune reuse the layers before the first changed one (or after a first layer set alike) and score bit for bit as the whole pass', async (t) => {
  const m = model();
  const d = data();
  const layers = compressibleLayers(m);
  t.deepEqual(layers.map((l) => l.layerName), ['conv0', 'conv1', 'fc']);
  const tensors = tf.memory().numTensors;
  const measurer = new StrategyMeasurer({ model: m, data: d, allLayers: layers, layers, channels: null, config: { finetune: { ...FT, distill: false }, evalSize: 0, seed: 1 } });
  const originals = new OriginalWeights(m, layers);
  // the whole pass, no cache: what every measurement gave before
  const whole = async (strategy: LayerSpec[]) => {
    await compressModel(m, originals, layers.map((layer, i) => ({ layer, spec: strategy[i] })), d, { ...FT, seed: 'episode:1' });
    return evaluateModel(m, d.validation, d.inputShape);
  };
  const two = (a: LayerSpec, b: LayerSpec): LayerSpec[] => [a, b, FULL_PRECISION];
  // [what, strategy, the entry kept after it, measurements served from a kept entry so far]
  const strategies: Array<[string, LayerSpec[], { from: number; batches: number; slices: number }, number]> = [
    // conv1 is chain index 3: 3 batch-norm batches and 1 slice of 70 images kept at its input
    ['conv1 at 2 bits', at(1, layerSpec({ bits: 2 })), { from: 3, batches: 3, slices: 1 }, 0],
    ['conv1 at 3 bits, from what conv1 at 2 bits kept', at(1, layerSpec({ bits: 3 })), { from: 3, batches: 3, slices: 1 }, 1],
    // the dense layer is chain index 7: a deeper boundary, so a new entry there
    ['fc at 2 bits', at(2, layerSpec({ bits: 2 })), { from: 7, batches: 3, slices: 1 }, 1],
    ['fc at 1 bit, half pruned', at(2, layerSpec({ bits: 1, pruneRatio: 0.5 })), { from: 7, batches: 3, slices: 1 }, 2],
    // the first layer changed: the boundary is the searched layer after it (conv1, 3), conv0's setting in the key
    ['conv0 at 2 bits', at(0, layerSpec({ bits: 2 })), { from: 3, batches: 3, slices: 1 }, 2],
    ['conv0 at 2 bits and conv1 at 3 bits: conv0 set alike', two(layerSpec({ bits: 2 }), layerSpec({ bits: 3 })), { from: 3, batches: 3, slices: 1 }, 3],
    ['conv0 at 3 bits and conv1 at 3 bits: conv0 set otherwise', two(layerSpec({ bits: 3 }), layerSpec({ bits: 3 })), { from: 3, batches: 3, slices: 1 }, 3],
    ['conv0 at 3 bits and fc at 1 bit: conv0 set alike', [layerSpec({ bits: 3 }), FULL_PRECISION, layerSpec({ bits: 1 })], { from: 3, batches: 3, slices: 1 }, 4],
    ['conv0 at 3 bits and conv1 at 2 bits: conv0 set alike', two(layerSpec({ bits: 3 }), layerSpec({ bits: 2 })), { from: 3, batches: 3, slices: 1 }, 5],
  ];
  for (const [what, strategy, kept, served] of strategies) {
    const reused = await measurer.measure(strategy, null);
    t.deepEqual(measurer.prefix?.kept ?? null, kept, what);
    t.is(measurer.prefix?.served, served, what);
    const reference = await whole(strategy);
    t.deepEqual({ accuracy: reused.accuracy, loss: reused.loss }, reference, what);
  }
  const first = await whole(at(1, layerSpec({ bits: 2 })));
  const again = await measurer.measure(at(1, layerSpec({ bits: 2 })), null);
  t.deepEqual({ accuracy: again.accuracy, loss: again.loss }, first, 'conv1 at 2 bits again, from a fresh entry (conv0 was at 3 bits)');
  t.is(measurer.prefix?.served, 5);
  // fresh (the time probe times whole measurements): the entry would serve conv1 at 3 bits, and is not asked
  await measurer.measure(at(1, layerSpec({ bits: 3 })), null, { fresh: true });
  t.is(measurer.prefix?.served, 5);
  t.deepEqual(measurer.prefix?.kept, { from: 3, batches: 3, slices: 1 });
  // with a fine-tune every layer trains: nothing is reused, and the kept outputs are dropped (they would only hold
  // wasm memory through the episodes, the re-rank and the final)
  await measurer.measure(at(2, layerSpec({ bits: 2 })), null, { steps: 1 });
  t.is(measurer.prefix?.kept, null);
  // after the fine-tune (the weights trained, then restored from the originals) a new entry gives the whole pass's
  // answer, and the next measurement alike is served from it
  const afterFinetune = await measurer.measure(at(1, layerSpec({ bits: 3 })), null);
  t.deepEqual({ accuracy: afterFinetune.accuracy, loss: afterFinetune.loss }, await whole(at(1, layerSpec({ bits: 3 }))));
  t.is(measurer.prefix?.served, 5);
  await measurer.measure(at(1, layerSpec({ bits: 2 })), null);
  t.is(measurer.prefix?.served, 6);
  measurer.dispose();
  originals.dispose();
  t.is(tf.memory().numTensors, tensors, 'no tensor outlives the measurer');
  m.dispose();
});

/** The searched layers of `model()` (conv0, conv1, fc at chain indices 0, 3, 7) with only the one at `changed` set. */
const only = (changed: number): PrefixLayer[] => [0, 3, 7].map((at) => ({ at, setting: at === changed ? '2 bits' : 'fp32', identity: at !== changed }));

test.serial('a cache refuses what would not fit: no entry when the outputs at the boundary pass the byte limit', async (t) => {
  const m = model();
  // conv1's input is 6x6x2 = 72 floats an image: 288 bytes; 10 images are 2,880 bytes
  const small = PrefixCache.of(m, 2879)!;
  small.begin(only(3), 'k', 10);
  t.is(small.kept, null);
  const fits = PrefixCache.of(m, 2880)!;
  fits.begin(only(3), 'k', 10);
  t.deepEqual(fits.kept, { from: 3, batches: 0, slices: 0 });
  fits.begin(null, 'k', 10);
  t.deepEqual(fits.kept, { from: 3, batches: 0, slices: 0 }, 'a measurement that reuses nothing (a fine-tune) leaves the entry');
  fits.dispose();
  small.dispose();
  m.dispose();
});

test.serial('scoring in slices reuses each slice, and a model without batch norm (lenet5-like) reuses its layers too', async (t) => {
  const d = data();
  const bn = model();
  const plain = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }), name: 'conv' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), name: 'fc' }),
    ],
  });
  const plainLayers: PrefixLayer[] = [{ at: 0, setting: 'fp32', identity: true }, { at: 2, setting: '2 bits', identity: false }];
  for (const [name, m, from, layers] of [['with batch norm', bn, 3, only(3)], ['without', plain, 2, plainLayers]] as const) {
    const cache = PrefixCache.of(m)!;
    const whole = await evaluateModel(m, d.validation, d.inputShape, 32);
    // 70 images in slices of 32: 3 slices (32, 32, 6) kept on the first pass, read on the second
    cache.begin(layers, 'k', 70);
    const firstPass = await evaluateModel(m, d.validation, d.inputShape, 32, cache);
    t.deepEqual(cache.kept, { from, batches: 0, slices: 3 }, name);
    const secondPass = await evaluateModel(m, d.validation, d.inputShape, 32, cache);
    cache.end();
    t.deepEqual(firstPass, whole, name);
    t.deepEqual(secondPass, whole, name);
    cache.dispose();
    m.dispose();
  }
});

test.serial('the run\'s evaluations without fine-tune (the sensitivities\' steps: 0) reuse the prefix through CompressionEnv.measure, which every evaluator calls', async (t) => {
  const m = model();
  const d = data();
  const env = new CompressionEnv(m, d, envConfig({ evalSize: 0, finetune: { ...FT, distill: false } }), 0);
  // the env's measurer (private): what the in-process evaluator, the worker threads and the queue workers measure with
  const prefix = () => (env as unknown as { measurer: StrategyMeasurer }).measurer.prefix!;
  const originals = new OriginalWeights(m, compressibleLayers(m));
  const strategies = [at(1, layerSpec({ bits: 2 })), at(1, layerSpec({ bits: 3 }))];
  const reused = await evaluateStrategies(env, inProcessEvaluator(env), strategies, { steps: 0 });
  t.deepEqual(prefix().kept, { from: 3, batches: 3, slices: 1 });
  for (const [i, strategy] of strategies.entries()) {
    await compressModel(m, originals, compressibleLayers(m).map((layer, j) => ({ layer, spec: strategy[j] })), d, { ...FT, seed: 'episode:1' });
    t.deepEqual({ accuracy: reused[i].accuracy, loss: reused[i].loss }, await evaluateModel(m, d.validation, d.inputShape));
  }
  originals.dispose();
  env.dispose();
  m.dispose();
});
