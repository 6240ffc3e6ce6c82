import test, { type ExecutionContext } from 'ava';
import * as tf from '../../tfjs.js';
import { createRng } from '../../agent/rng.js';
import { selectBackend } from '../../env/backend.js';
import { parseBudgets } from '../../env/budget.js';
import { ChannelSpace } from '../../env/channel-space.js';
import { CompressionEnv } from '../../env/compression-env.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { actionToSpec, withoutPreserve } from '../../env/knobs.js';
import { compressibleLayers } from '../../env/layers.js';
import type { LatencyTable } from '../../env/latency-table.js';
import { channelPairs } from '../../env/latency-timing.js';
import type { LayerSpec } from '../../learners/types.js';
import { envConfig, space } from '../helpers/env-config.js';

const data = loadDataset('mnist', { seed: 1 });

/** flatten -> fc1 (16) -> fc2 (12) -> fc3 (10): fc1 and fc2 open channel groups. */
function threeLayers(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: data.inputShape }),
      tf.layers.dense({ units: 16, activation: 'relu', name: 'fc1' }),
      tf.layers.dense({ units: 12, activation: 'relu', name: 'fc2' }),
      tf.layers.dense({ units: 10, activation: 'softmax', name: 'fc3' }),
    ],
  });
}

/** A table by formula, every reachable pair: 0.01 ms + 1e-4 ms per multiply-accumulate; 0.05 ms outside. */
function formulaTable(model: tf.LayersModel, ratios: number[]): LatencyTable {
  const layers: LatencyTable['layers'] = {};
  const units = compressibleLayers(model);
  for (const { unit, pairs } of channelPairs(new ChannelSpace(model, units), ratios)) {
    layers[units[unit].name] = Object.fromEntries(pairs.map(([i, o]) => [`${i}x${o}`, 0.01 + 1e-4 * i * o]));
  }
  const full = units.reduce((s, l) => s + layers[l.name][`${l.inChannels}x${l.outChannels}`], 0.05);
  return { model: 'three', backend: 'wasm', machine: 'formula', batch: 1, fullMs: full, constantMs: 0.05, layers };
}

test.before(async () => {
  await selectBackend('wasm');
});

/**
 * 300 episodes of seeded random actions through the walls: every finished strategy holds both budgets, and the raw
 * wishes (the same actions without the walls) broke each budget in some episodes, so both walls had work to do.
 */
function holdsBoth(t: ExecutionContext, env: CompressionEnv, seed: number): void {
  const rng = createRng(seed);
  const limits = env.limits();
  const wishesOver = [0, 0];
  for (let episode = 0; episode < 300; episode++) {
    env.reset(episode);
    const wishes: LayerSpec[] = [];
    for (let i = 0; i < env.layers.length; i++) {
      const action = Array.from({ length: env.actionSize }, () => rng());
      const wish = actionToSpec(action, env.config.space);
      wishes.push(env.channelsAt(i, wish) ? wish : withoutPreserve(wish));
      env.step(action);
    }
    const costs = env.costs(env.finishStrategy());
    for (let k = 0; k < 2; k++) {
      if (!(costs[k] <= limits[k])) t.fail(`episode ${episode}: cost ${costs[k]} over budget ${k} (${limits[k]})`);
    }
    env.costs(wishes).forEach((c, k) => (wishesOver[k] += c > limits[k] ? 1 : 0));
  }
  t.true(wishesOver[0] > 0 && wishesOver[1] > 0, `wishes over each budget: ${wishesOver.join(', ')}`);
}

test('two budgets with channels (size:4bits and latency:0.6): 300 seeded random episodes never exceed either', (t) => {
  const model = threeLayers();
  t.teardown(() => model.dispose());
  const s = space(['bits', 'channels']);
  const ratios = [...new Set([1, ...Array.from({ length: 17 }, (_, i) => Math.round((0.2 + 0.05 * i) * 100) / 100)])];
  const [budget, alsoBudget] = parseBudgets('size:4bits,latency:0.6');
  const env = new CompressionEnv(model, data, envConfig({ space: s, budget, alsoBudget, latency: formulaTable(model, ratios) }), 0);
  t.teardown(() => env.dispose());
  t.deepEqual(env.plans.map((p) => p.kind), ['size', 'latency']);
  holdsBoth(t, env, 1);
  holdsBoth(t, env, 2);
});

test('two budgets without channels (size:3bits and bitops:0.05, bits and prune): 300 seeded random episodes never exceed either', (t) => {
  const model = threeLayers();
  t.teardown(() => model.dispose());
  const [budget, alsoBudget] = parseBudgets('size:3bits, bitops:0.05');
  const env = new CompressionEnv(model, data, envConfig({ space: space(['bits', 'prune']), budget, alsoBudget }), 0);
  t.teardown(() => env.dispose());
  holdsBoth(t, env, 3);
});
