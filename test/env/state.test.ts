import test from 'ava';
import { selectBackend } from '../../env/backend.js';
import { CompressionEnv } from '../../env/compression-env.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { buildModel } from '../../env/models/zoo.js';
import { buildState, DYNAMIC_FEATURES, minMaxColumns, STATIC_FEATURES, stateSize, staticFeatures } from '../../env/state.js';
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

test('every state entry is in [0, 1] and the state has 11 static + 6 dynamic + k entries', (t) => {
  for (const budget of [{ kind: 'size', value: 3, unit: 'bits' }, { kind: 'size', value: 0.5, unit: 'ratio' }, { kind: 'flops', value: 0.3, unit: 'fraction', sparse: true }] as const) {
    const env = new CompressionEnv(lenet, data, envConfig({ space: space(['bits', 'prune']), budget, order: 'random' }), 0);
    t.is(env.stateSize, 17 + 2);
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

test('the applied previous action closes the state; on the first layer the "no previous layer" flag is set and the action slots are zeros', (t) => {
  const env = new CompressionEnv(lenet, data, envConfig({ space: space(['bits', 'prune']), budget: { kind: 'size', value: 3, unit: 'bits' } }), 0);
  const first = STATIC_FEATURES.length + DYNAMIC_FEATURES.indexOf('first');
  let state: number[] | null = env.reset(0);
  t.deepEqual(state.slice(-2), [0, 0]);
  t.is(state[first], 1);
  // 8 bits and no pruning are too expensive for a 3-bit budget: the applied action differs from the wish
  const wishes = [[1, 0], [0.5, 0.5], [1, 0], [0, 1], [0.2, 0.4]];
  let sawClamp = false;
  for (const wish of wishes) {
    const r = env.step(wish);
    sawClamp ||= r.clamped;
    if (r.next) {
      t.deepEqual(r.next.slice(-2), r.applied);
      t.is(r.next[first], 0);
    }
    state = r.next;
  }
  t.is(state, null);
  t.true(sawClamp);
  env.dispose();
});

test('the budget features are fractions of the searched layers\' budget, the position runs 0, 1/4, ... 1 over lenet5\'s five layers', (t) => {
  const env = new CompressionEnv(lenet, data, envConfig({ budget: { kind: 'flops', value: 0.5, unit: 'fraction', sparse: true }, space: space(['prune']) }), 0);
  const { plan } = env;
  const at = (name: (typeof DYNAMIC_FEATURES)[number]) => STATIC_FEATURES.length + DYNAMIC_FEATURES.indexOf(name);
  const budget = plan.limit - plan.fixed;
  const s0 = env.reset(0);
  t.is(plan.fixed, 0); // FLOPs of biases are not counted
  t.is(s0[at('spent')], 0); // nothing spent
  t.is(s0[at('remaining')], 1); // the whole budget remains
  // the other four layers at 90% pruning: 0.1 x their MACs
  const minRest = plan.minCost.slice(1).reduce((a, b) => a + b, 0);
  t.is(s0[at('minRest')], minRest / budget);
  // conv1 (117,600 MACs) fits whole in what the rest leaves: headroom 1
  t.is(s0[at('headroom')], 1);
  t.is(s0[at('position')], 0);
  const r = env.step([0]); // no pruning on conv1: spends all its 117,600 MACs
  t.is(r.spec.pruneRatio, 0);
  t.is(r.next![at('spent')], 117600 / budget);
  t.is(r.next![at('remaining')], (budget - 117600) / budget);
  t.is(r.next![at('position')], 0.25);
  env.dispose();
});

test('buildState scales by the budget and clamps into [0, 1]; headroom is what the wall leaves over the layer\'s dearest setting', (t) => {
  // spent 50 of 200; remaining 150 (clamped: 0.75), minRest 100 -> headroom (150 - 100) / 100 = 0.5; position 1 of 3 -> 0.5
  t.deepEqual(
    buildState([0.5], { spent: 50, remaining: 150, minRest: 100, budget: 200, layerMax: 100, position: 1, length: 3, prevAction: [0.25] }),
    [0.5, 0.25, 0.75, 0.5, 0.5, 0.5, 0, 0.25],
  );
  // a budget looser than the model leaves more than 100% remaining: clamped to 1; the first step zeros the previous action
  t.deepEqual(
    buildState([0.5], { spent: 0, remaining: 300, minRest: -1, budget: 200, layerMax: 100, position: 0, length: 1, prevAction: [0.25] }),
    [0.5, 0, 1, 0, 1, 0, 1, 0],
  );
});
