import test from 'ava';
import * as tf from '../../tfjs.js';
import { Adam } from '../../agent/adam.js';

test('the first Adam step moves each parameter by lr against the sign of its gradient', (t) => {
  // step 1: m/(1-b1) = g and v/(1-b2) = g^2, so p -= lr * g / (|g| + eps) ~= lr * sign(g)
  const p = tf.variable(tf.tensor1d([1, 1]));
  const adam = new Adam([p], { lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
  const g = tf.tensor1d([2, -0.5]);
  adam.apply([g]);
  const [a, b] = Array.from(p.dataSync());
  t.true(Math.abs(a - 0.9) < 1e-6, `${a}`);
  t.true(Math.abs(b - 1.1) < 1e-6, `${b}`);
  t.is(adam.step, 1);
  tf.dispose([p, g]);
  adam.dispose();
});

test('Adam keeps its tensor count constant across steps', (t) => {
  const p = tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
  const adam = new Adam([p], { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
  const g = tf.ones([2, 2]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) adam.apply([g]);
  t.is(tf.memory().numTensors, before);
  tf.dispose([p, g]);
  adam.dispose();
});
