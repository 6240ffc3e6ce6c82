import test from 'ava';
import { ConfigError } from '../../errors.js';
import { reward, type RewardInput, type RewardKind } from '../../env/reward.js';

const input: RewardInput = { accuracy: 0.9, loss: 0.35, baselineAccuracy: 0.95, cost: 25, full: 100, flops: Math.exp(10), lambda: 0.2, maxDrop: 0.01 };

test('accuracy reward is the accuracy itself', (t) => {
  t.is(reward('accuracy', input), 0.9);
});

test('cross-entropy reward is minus the validation loss: a loss of 0.35 gives -0.35, lower loss scores higher', (t) => {
  t.is(reward('cross-entropy', input), -0.35);
  t.true(reward('cross-entropy', { ...input, loss: 0.2 }) > reward('cross-entropy', input));
});

test('haq reward is 0.1 x the accuracy change in percent: 90% against 95% gives -0.5', (t) => {
  t.is(Math.round(reward('haq', input) * 1e12) / 1e12, -0.5);
  t.is(reward('haq', { ...input, accuracy: 0.95 }), 0);
});

test('amc-flops reward is -error x ln(FLOPs): 10% error at e^10 FLOPs gives -1', (t) => {
  t.is(Math.round(reward('amc-flops', input) * 1e12) / 1e12, -1);
  // fewer FLOPs at the same error is better
  t.true(reward('amc-flops', { ...input, flops: Math.exp(5) }) > reward('amc-flops', input));
  // no FLOPs left: ln is taken of at least 1, so the reward is 0, not +infinity
  t.is(reward('amc-flops', { ...input, flops: 0 }), -0);
});

test('lagrangian reward is accuracy - lambda x cost / full: 0.9 - 0.2 x 25 / 100 = 0.85', (t) => {
  t.is(reward('lagrangian', input), 0.9 - 0.2 * 0.25);
  t.is(Math.round(reward('lagrangian', input) * 1e12) / 1e12, 0.85);
});

test('an unknown reward kind is a ConfigError listing the known ones', (t) => {
  t.throws(() => reward('size' as RewardKind, input), { instanceOf: ConfigError, message: /accuracy, cross-entropy, haq, amc-flops, lagrangian/ });
});

test('within-drop reward: inside the target 2 - cost / full, outside 1 - shortfall', (t) => {
  // baseline 95%, one point allowed: 94% is inside; 25 of 100 cost gives 2 - 0.25 = 1.75
  t.is(reward('within-drop', { ...input, accuracy: 0.94 }), 1.75);
  // 90% misses the 94% target by 4 points: 1 - 0.04 = 0.96, below any strategy that meets the target
  t.is(Math.round(reward('within-drop', input) * 1e12) / 1e12, 0.96);
  t.true(reward('within-drop', { ...input, accuracy: 0.94, cost: 100 }) > reward('within-drop', { ...input, accuracy: 0.939, cost: 1 }));
});
