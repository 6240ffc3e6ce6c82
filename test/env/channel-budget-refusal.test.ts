/**
 * A flops budget the channels knob cannot reach says which layers the knob prunes and why not the others, instead of
 * telling the user to add the knob they already gave.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { BudgetError } from '../../errors.js';
import { layerCost, planBudget } from '../../env/budget.js';
import { ChannelSpace } from '../../env/channel-space.js';
import { compressibleLayers } from '../../env/layers.js';
import { BASE } from '../helpers/env-config.js';

test('Conv1D -> Conv1D -> softmax: the knob prunes none of them, and a flops budget below the full cost names each reason', (t) => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [8, 2], filters: 4, kernelSize: 3, name: 'c1' }),
      tf.layers.conv1d({ filters: 4, kernelSize: 3, name: 'c2' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: 'softmax', name: 'out' }),
    ],
  });
  t.teardown(() => model.dispose());
  const layers = compressibleLayers(model);
  const space = new ChannelSpace(model, layers);
  t.deepEqual(space.prunable(), []);
  const described = space.describe();
  t.is(described, "the channels knob prunes none of this model's layers (c1: a Conv1D layer's channels are not pruned; c2: a Conv1D layer's channels are not pruned; out: out ends in a softmax over its channels)");
  // c1: 3x2x4 = 24 weights x 6 positions = 144 MACs; c2: 3x4x4 = 48 x 4 = 192; out: 16x2 = 32; full 368, half 184
  const full = layers.reduce((n, l) => n + layerCost('flops', l, BASE), 0);
  t.is(full, 368);
  const plan = () =>
    planBudget({ kind: 'flops', spec: { kind: 'flops', value: 0.5, unit: 'fraction' }, layers, candidates: layers.map(() => [BASE]), fixedCost: 0, fullLayerCost: full, uniformSpec: () => BASE, channels: { text: described, prunable: false } });
  const error = t.throws(plan, { instanceOf: BudgetError });
  t.is(error!.message, `budget flops <= 50.0% of full (184) is below the smallest achievable flops, 368 (100.00% of full); ${described}: raise the budget`);
});

test('a Dense -> Dense softmax model: the knob prunes only the first, the second ends in the softmax', (t) => {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4, name: 'd1' }), tf.layers.dense({ units: 2, activation: 'softmax', name: 'out' })] });
  t.teardown(() => model.dispose());
  t.is(new ChannelSpace(model, compressibleLayers(model)).describe(), 'the channels knob prunes only d1 (out: out ends in a softmax over its channels)');
});
