import test from 'ava';
import { selectBackend } from '../../env/backend.js';
import { CompressionEnv } from '../../env/compression-env.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { buildModel } from '../../env/models/zoo.js';
import { buildState, minMaxColumns, STATIC_FEATURES, stateSize, staticFeatures } from '../../env/state.js';
import { compressibleLayers } from '../../env/layers.js';
import { envConfig, space } from '../helpers/env-config.js';

test.before(async () => {
  await selectBackend('wasm');
});

const data = loadDataset('mnist', { seed: 1 });
const lenet = buildModel('lenet5', data.inputShape, data.numClasses, 1);

test('min-max normalisation maps each column to [0, 1]; a constant column becomes 0', (t) => {
  t.deepEqual(minMaxColumns([[1, 5, -2], [3, 5, 0], [2, 5, 2]]), [[0, 0, 0], [1, 0, 0.5], [0.5, 0, 1]]);
  t.deepEqual(minMaxColumns([[7, 8]]), [[0, 0]]);
  t.deepEqual(minMaxColumns([]), []);
});

test('lenet5 static features: index, kind flags, channels, kernel, input size, each min-max normalised', (t) => {
  const rows = staticFeatures(compressibleLayers(lenet));
  const col = (name: (typeof STATIC_FEATURES)[number]) => rows.map((r) => r[STATIC_FEATURES.indexOf(name)]);
  t.deepEqual(col('index'), [0, 0.25, 0.5, 0.75, 1]);
  t.deepEqual(col('dense'), [0, 0, 1, 1, 1]);
  t.deepEqual(col('conv'), [1, 1, 0, 0, 0]);
  t.deepEqual(col('depthwise'), [0, 0, 0, 0, 0]); // constant: 0
  t.deepEqual(col('stride'), [0, 0, 0, 0, 0]); // every stride is 1: constant
  t.deepEqual(col('kernel'), [1, 1, 0, 0, 0]); // 5, 5, 1, 1, 1
  // in channels 1, 6, 400, 120, 84: (c - 1) / 399
  t.deepEqual(col('inChannels'), [0, 5 / 399, 1, 119 / 399, 83 / 399]);
  // input side 28, 14, 1, 1, 1: (s - 1) / 27
  t.deepEqual(col('inputSize'), [1, 13 / 27, 0, 0, 0]);
  // params 150, 2400, 48000, 10080, 840: fc1 is the largest, conv1 the smallest
  t.deepEqual(col('params'), [0, 2250 / 47850, 1, 9930 / 47850, 690 / 47850]);
});

test('every state entry is in [0, 1] and the state has 14 + k entries', (t) => {
  for (const budget of [{ kind: 'size', value: 3, unit: 'bits' }, { kind: 'size', value: 0.5, unit: 'ratio' }, { kind: 'flops', value: 0.3, unit: 'fraction' }] as const) {
    const env = new CompressionEnv(lenet, data, envConfig({ space: space(['bits', 'prune']), budget, order: 'random' }), 0);
    t.is(env.stateSize, 14 + 2);
    for (let episode = 0; episode < 3; episode++) {
      let state: number[] | null = env.reset(episode);
      let step = 0;
      while (state) {
        t.is(state.length, stateSize(2));
        t.true(state.every((v) => v >= 0 && v <= 1), `${budget.kind} episode ${episode} step ${step}: ${state}`);
        state = env.step([(step * 0.37) % 1, ((step + episode) * 0.61) % 1]).next;
        step++;
      }
    }
    env.dispose();
  }
});

test('the applied previous action closes the state; the first state of an episode has zeros there', (t) => {
  const env = new CompressionEnv(lenet, data, envConfig({ space: space(['bits', 'prune']), budget: { kind: 'size', value: 3, unit: 'bits' } }), 0);
  let state: number[] | null = env.reset(0);
  t.deepEqual(state.slice(-2), [0, 0]);
  // 8 bits and no pruning are too expensive for a 3-bit budget: the applied action differs from the wish
  const wishes = [[1, 0], [0.5, 0.5], [1, 0], [0, 1], [0.2, 0.4]];
  let sawClamp = false;
  for (const wish of wishes) {
    const r = env.step(wish);
    sawClamp ||= r.clamped;
    if (r.next) t.deepEqual(r.next.slice(-2), r.applied);
    state = r.next;
  }
  t.is(state, null);
  t.true(sawClamp);
  env.dispose();
});

test('the dynamic features are the spent, remaining and minimum-rest costs as fractions of the full model', (t) => {
  const env = new CompressionEnv(lenet, data, envConfig({ budget: { kind: 'flops', value: 0.5, unit: 'fraction' }, space: space(['prune']) }), 0);
  const { plan } = env;
  const s0 = env.reset(0);
  const k = 11; // static features come first
  t.is(plan.fixed, 0); // FLOPs of biases are not counted
  t.is(s0[k], 0); // nothing spent
  t.is(s0[k + 1], 0.5); // the whole budget, half the model, remains
  // the other four layers at 90% pruning: 0.1 x their MACs
  t.is(s0[k + 2], plan.minCost.slice(1).reduce((a, b) => a + b, 0) / plan.full);
  const r = env.step([0]); // no pruning on conv1: spends all its 117,600 MACs
  t.is(r.spec.pruneRatio, 0);
  t.is(r.next![k], 117600 / plan.full);
  t.is(r.next![k + 1], (plan.limit - 117600) / plan.full);
  env.dispose();
});

test('buildState clamps dynamic features into [0, 1] (a budget looser than the model leaves more than 100% remaining)', (t) => {
  t.deepEqual(buildState([0.5], { spent: 50, remaining: 300, minRest: -1, full: 100, prevAction: [0.25] }), [0.5, 0.5, 1, 0, 0.25]);
});
