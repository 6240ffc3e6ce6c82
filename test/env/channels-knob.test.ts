import test from 'ava';
import * as tf from '../../tfjs.js';
import seedrandom from 'seedrandom';
import { ConfigError } from '../../errors.js';
import { selectBackend } from '../../env/backend.js';
import { countFlops } from '../../env/channel-pruning/cost.js';
import { ChannelSpace, pruneForCounts } from '../../env/channel-space.js';
import { CompressionEnv } from '../../env/compression-env.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { actionToSpec, candidateSpecs, preserveFromAction, specToAction } from '../../env/knobs.js';
import { compressibleLayers } from '../../env/layers.js';
import { buildModel } from '../../env/models/zoo.js';
import type { LayerSpec } from '../../learners/types.js';
import { parseRunConfig } from '../../run/config.js';
import { BASE, envConfig, space } from '../helpers/env-config.js';

const data = loadDataset('mnist', { seed: 1 });
const mlp = buildModel('mlp', data.inputShape, data.numClasses, 1);
const lenet = buildModel('lenet5', data.inputShape, data.numClasses, 1);
const mobilenet = buildModel('mobilenet-tiny', data.inputShape, data.numClasses, 1);

test.before(async () => {
  await selectBackend('wasm');
});

const keep = (preserveRatio: number, bits = 8): LayerSpec => (preserveRatio < 1 ? { ...BASE, bits, preserveRatio } : { ...BASE, bits });

test('the preserve ratio is linear in [0.2, 1] on a 0.05 grid: 17 settings, 1 left absent, each action back at its slice centre', (t) => {
  t.is(preserveFromAction(0, [0.2, 1], 0.05), 0.2);
  t.is(preserveFromAction(0.5, [0.2, 1], 0.05), 0.6); // 0.2 + 0.5 x 0.8
  t.is(preserveFromAction(1, [0.2, 1], 0.05), 1);
  const s = space(['channels']);
  t.is(candidateSpecs(s).length, 17);
  t.is(actionToSpec([1], s).preserveRatio, undefined);
  t.is(actionToSpec([0.5], s).preserveRatio, 0.6);
  for (const spec of candidateSpecs(s)) t.deepEqual(actionToSpec(specToAction(spec, s), s), spec);
});

test('dependency groups: lenet5 cuts conv1, conv2, fc1, fc2 but not fc3 (the class scores); mobilenet-tiny cuts conv0 and the pointwise layers, its depthwise layers follow', (t) => {
  t.deepEqual(new ChannelSpace(lenet, compressibleLayers(lenet)).prunable(), ['conv1', 'conv2', 'fc1', 'fc2']);
  const m = new ChannelSpace(mobilenet, compressibleLayers(mobilenet));
  t.deepEqual(m.prunable(), ['conv0', 'pw1', 'pw2', 'pw3']);
  t.regex(m.refusal[compressibleLayers(mobilenet).findIndex((l) => l.name === 'dw1')]!, /follow the layer before/);
});

test('a strategy costs what the built model counts: conv1 3/6, conv2 8/16, fc1 30/120 channels give 58,800 + 60,000 + 6,000 + 2,520 + 840 = 128,160 MACs', async (t) => {
  // conv1 5x5x1x3 x 28x28 = 58,800; conv2 5x5x3x8 x 10x10 = 60,000; fc1 (8 x 5x5) x 30 = 6,000; fc2 30 x 84; fc3 84 x 10
  const env = new CompressionEnv(lenet, data, envConfig({ space: space(['channels', 'bits']), budget: { kind: 'flops', value: 1, unit: 'fraction' } }), 0);
  t.teardown(() => env.dispose());
  const strategy = [keep(0.5), keep(0.5), keep(0.25), keep(1), keep(1)];
  t.is(env.cost(strategy), 128160);
  t.is(env.denseFlops(strategy), 128160);
  t.deepEqual(env.layerChannels(strategy), [[3, 6], [8, 16], [30, 120], [84, 84], [10, 10]]);
  const built = await env.pruneFor(strategy);
  t.teardown(() => built?.model.dispose());
  t.is(countFlops(built!.model).total, 128160);
  t.deepEqual(built!.layers.map((l) => l.kernelShape), [[5, 5, 1, 3], [5, 5, 3, 8], [200, 30], [30, 84], [84, 10]]);
  // size: every weight of the built model (kernels at 8 bits plus per-channel scales, biases in fp32) as the env counts it
  const sized = new CompressionEnv(lenet, data, envConfig({ space: space(['channels', 'bits']), budget: { kind: 'size', value: 1, unit: 'ratio' } }), 0);
  t.teardown(() => sized.dispose());
  const fp = strategy.map((s) => ({ ...s, bits: 32 }));
  t.is(sized.cost(fp), built!.model.countParams() * 4);
});

test('the FLOPs wall on mlp at flops:0.5 (133,100 of 266,200 MACs): fc1 gets 0.55, fc2 0.2, and the model runs 132,860 MACs', (t) => {
  // with fc2 at its cheapest (20 of 100): fc1 at 165 of 300 costs 784x165 + 165x20 + 20x10 = 132,860 <= 133,100;
  // at 180 (0.6) it would cost 144,920. Then fc2: 25 channels cost 129,360 + 165x25 + 25x10 = 133,735 > 133,100, 20 fit
  const env = new CompressionEnv(mlp, data, envConfig({ space: space(['channels']), budget: { kind: 'flops', value: 0.5, unit: 'fraction' } }), 0);
  t.teardown(() => env.dispose());
  t.is(env.plan.full, 266200);
  t.is(env.plan.limit, 133100);
  env.reset(0);
  const fc1 = env.step([1]);
  t.is(fc1.spec.preserveRatio, 0.55);
  t.true(fc1.clamped);
  const fc2 = env.step([1]);
  t.is(fc2.spec.preserveRatio, 0.2);
  const fc3 = env.step([0]); // the class scores keep their 10 channels whatever the action
  t.is(fc3.spec.preserveRatio, undefined);
  t.false(fc3.clamped);
  t.is(fc3.next, null);
  const strategy = env.finishStrategy();
  t.is(env.cost(strategy), 132860);
  t.deepEqual(env.layerChannels(strategy), [[165, 300], [20, 100], [10, 10]]);
});

test('random actions under flops:0.4 on mobilenet-tiny always end within the budget, and the built model counts the same FLOPs', async (t) => {
  const env = new CompressionEnv(mobilenet, data, envConfig({ space: space(['channels', 'bits']), budget: { kind: 'flops', value: 0.4, unit: 'fraction' }, order: 'random' }), 0);
  t.teardown(() => env.dispose());
  const rng = seedrandom('mobilenet-wall');
  let clamped = 0;
  for (let episode = 0; episode < 12; episode++) {
    let state: number[] | null = env.reset(episode);
    while (state) {
      const r = env.step([rng() < 0.3 ? 1 : rng(), rng()]);
      if (r.clamped && !r.pinned) clamped++;
      state = r.next;
    }
    const strategy = env.finishStrategy();
    const cost = env.cost(strategy);
    t.true(cost <= env.plan.limit, `episode ${episode}: ${cost} > ${env.plan.limit}`);
    if (episode < 3) {
      const built = await env.pruneFor(strategy);
      if (built) {
        t.is(countFlops(built.model).total, cost);
        built.model.dispose();
      }
    }
  }
  t.true(clamped > 0, 'the wall never acted');
});

test('a preserve ratio pinned on a layer that cannot be channel-pruned is refused in one line naming the layers that can', (t) => {
  const e = t.throws(() => new CompressionEnv(lenet, data, envConfig({ space: space(['bits']), pin: { fc3: { preserveRatio: 0.5 } } }), 0), { instanceOf: ConfigError });
  t.is(e!.message, '--pin fc3=preserve:0.5: layer fc3 cannot be channel-pruned (fc3 ends in a softmax over its channels); layers that can: conv1, conv2, fc1, fc2');
  // a pin on a layer that can be cut is applied without the channels knob
  const env = new CompressionEnv(lenet, data, envConfig({ space: space(['bits']), budget: { kind: 'size', value: 1, unit: 'ratio' }, pin: { conv2: { preserveRatio: 0.5 } } }), 0);
  t.teardown(() => env.dispose());
  env.reset(0);
  env.step([1]);
  t.is(env.step([1]).spec.preserveRatio, 0.5);
});

test('the knapsack cannot search channels (one line)', (t) => {
  const e = t.throws(() => parseRunConfig({ agent: 'knapsack', knobs: ['channels', 'bits'] }, 'flags'), { instanceOf: ConfigError });
  t.regex(e!.message, /^--agent knapsack cannot search --knobs channels/);
});

test.serial('a strategy that only cuts channels is still fine-tuned: 5 steps move the validation loss, 0 steps leave the surgery as is', async (t) => {
  const env = new CompressionEnv(lenet, data, envConfig({ space: space(['channels']), budget: { kind: 'flops', value: 1, unit: 'fraction' }, evalSize: 100, finetune: { steps: 5, batchSize: 16, learningRate: 1e-3, distill: false } }), 0);
  t.teardown(() => env.dispose());
  const fp = (r: number): LayerSpec => ({ ...BASE, ...(r < 1 ? { preserveRatio: r } : {}) });
  const strategy = [fp(0.5), fp(0.5), fp(0.5), fp(0.5), fp(1)];
  const none = await env.measure(strategy, { steps: 0 });
  const again = await env.measure(strategy, { steps: 0 });
  const tuned = await env.measure(strategy);
  t.is(again.loss, none.loss);
  t.not(tuned.loss, none.loss);
});

test.serial('channel surgery per episode leaks no tensor over 50 episodes (L1), nor over 3 with LASSO, and leaves the original weights alone', async (t) => {
  const snapshot = () => lenet.getWeights().map((w) => Float32Array.from(w.dataSync()));
  const before = snapshot();
  for (const [method, episodes] of [['l1', 50], ['lasso', 3]] as const) {
    const env = new CompressionEnv(
      lenet,
      data,
      envConfig({ space: space(['channels', 'bits']), budget: { kind: 'flops', value: 0.7, unit: 'fraction' }, evalSize: 50, finetune: { steps: 1, batchSize: 16, learningRate: 1e-3, distill: false }, channelMethod: method }),
      0,
    );
    const strategyOf = (k: number) => [keep(0.5 + 0.05 * (k % 5), 4 + (k % 4)), keep(0.6), keep(0.3 + 0.1 * (k % 3)), keep(k % 2 ? 1 : 0.5), keep(1)];
    await env.measure(strategyOf(0)); // warm-up: kernels, optimizer slots, LASSO's sample images
    const n = tf.memory().numTensors;
    for (let k = 1; k <= episodes; k++) {
      const m = await env.measure(strategyOf(k));
      if (!(m.accuracy >= 0 && m.accuracy <= 1)) t.fail(`episode ${k}: accuracy ${m.accuracy}`);
    }
    t.is(tf.memory().numTensors, n, method);
    env.restoreOriginal();
    env.dispose();
  }
  const after = snapshot();
  t.true(before.every((w, i) => w.every((v, j) => Object.is(v, after[i][j]))));
});
