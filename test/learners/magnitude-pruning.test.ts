import test from 'ava';
import * as tf from '../../tfjs.js';
import { ConfigError } from '../../errors.js';
import { blockMask, magnitudeKeepCount, magnitudeMask, mByNKeepCount, mByNMask } from '../../learners/magnitude-pruning.js';

const count = (mask: Uint8Array) => mask.reduce((a, m) => a + m, 0);

test('weights 1..10 at sparsity 0.2 keep 8: everything >= the threshold 3', (t) => {
  const mask = magnitudeMask(Float32Array.from({ length: 10 }, (_, i) => i + 1), 0.2);
  t.deepEqual([...mask], [0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
});

test('100 weights at sparsity 0.9999 keep exactly 1, the largest in magnitude', (t) => {
  const w = Float32Array.from({ length: 100 }, (_, i) => (i % 2 ? 1 : -1) * (i + 1) * 0.01);
  const mask = magnitudeMask(w, 0.9999);
  t.is(count(mask), 1);
  t.is(mask[99], 1);
});

test('100 weights at sparsity 0.5 keep 50, by magnitude not sign', (t) => {
  const w = Float32Array.from({ length: 100 }, (_, i) => (i % 2 ? 1 : -1) * (i + 1));
  const mask = magnitudeMask(w, 0.5);
  t.is(count(mask), 50);
  t.true(mask.every((m, i) => m === (i >= 50 ? 1 : 0)));
});

test('sparsity 0 keeps every weight', (t) => {
  t.is(count(magnitudeMask(Float32Array.from([3, -1, 0, 2]), 0)), 4);
});

test('ties at the threshold are all kept (tfmot); exactCount keeps exactly k, ties to the lower index', (t) => {
  // k = roundHalfEven(5 * 0.6) = 3, the 3rd largest |w| is 1 and four weights tie at it
  const w = Float32Array.from([1, -1, 1, 1, 2]);
  t.deepEqual([...magnitudeMask(w, 0.4)], [1, 1, 1, 1, 1]);
  t.deepEqual([...magnitudeMask(w, 0.4, { exactCount: true })], [1, 1, 0, 0, 1]);
});

test('the keep count rounds half to even: 10 weights at sparsity 0.25 keep 8 (7.5 -> 8), at 0.45 keep 6 (5.5 -> 6), at 0.35 keep 6 (6.5 -> 6)', (t) => {
  t.is(magnitudeKeepCount(10, 0.25), 8);
  t.is(magnitudeKeepCount(10, 0.45), 6);
  t.is(magnitudeKeepCount(10, 0.35), 6);
});

test('the keep count equals tfmot float32 tensor arithmetic max(round(N * (1 - s)), 1) over a grid of N and s', (t) => {
  const before = tf.memory().numTensors;
  const ns = Array.from({ length: 120 }, (_, i) => i + 1);
  for (const s of [0.05, 0.15, 0.25, 0.3, 1 / 3, 0.35, 0.45, 0.5, 0.55, 0.65, 0.75, 0.85, 0.9, 0.95, 0.999]) {
    const expected = tf.tidy(() => tf.maximum(tf.round(tf.tensor1d(ns).mul(tf.scalar(1).sub(tf.scalar(s)))), 1).dataSync());
    t.deepEqual(ns.map((n) => magnitudeKeepCount(n, s)), Array.from(expected), `s = ${s}`);
  }
  t.is(tf.memory().numTensors, before);
});

test('sparsity outside [0, 1) is rejected', (t) => {
  t.throws(() => magnitudeMask(new Float32Array(4), 1), { instanceOf: ConfigError, message: /\[0, 1\)/ });
  t.throws(() => magnitudeMask(new Float32Array(4), -0.1), { instanceOf: ConfigError });
});

test('block pruning keeps the blocks with the largest mean |w|: 4x4 in 2x2 blocks at 0.5 keeps 2 of 4', (t) => {
  // block means: top-left 1, top-right 4, bottom-left 3, bottom-right 2
  const w = Float32Array.from([
    1, -1, 4, 4,
    1, 1, -4, 4,
    3, 3, 2, -2,
    -3, 3, 2, 2,
  ]);
  const mask = blockMask(w, [4, 4], 0.5, [2, 2], 'avg');
  t.deepEqual([...mask], [0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0]);
});

test('max pooling scores a block by its largest |w|: one spike saves its block', (t) => {
  // rows [0.1, 2, 1.5, 1.5] and [0.1, 0.1, 1.5, 1.5], blocks [2, 2]:
  // left block mean 0.575, max 2; right block mean 1.5, max 1.5
  const w = Float32Array.from([0.1, 2, 1.5, 1.5, 0.1, 0.1, 1.5, 1.5]);
  t.deepEqual([...blockMask(w, [2, 4], 0.5, [2, 2], 'avg')], [0, 0, 1, 1, 0, 0, 1, 1]);
  t.deepEqual([...blockMask(w, [2, 4], 0.5, [2, 2], 'max')], [1, 1, 0, 0, 1, 1, 0, 0]);
});

test('edge blocks are partial and averaged over their real weights only; a conv kernel is the matrix [N / cout, cout]', (t) => {
  // [1, 1, 3, 3] is the matrix 3 x 3; blocks [2, 2] from the origin: 4 blocks holding 4, 2, 2 and 1 weights
  const w = Float32Array.from([
    1, 1, 9,
    1, 1, 9,
    0.5, 0.5, 0.1,
  ]);
  // means: 1, 9, 0.5, 0.1 -> keep 2 of 4: the 9s and the ones
  t.deepEqual([...blockMask(w, [1, 1, 3, 3], 0.5, [2, 2], 'avg')], [1, 1, 1, 1, 1, 1, 0, 0, 0]);
});

test('2:4 keeps the 2 largest |w| of each 4 consecutive input channels of a dense kernel', (t) => {
  // dense [8, 1]: input channels run down axis 0
  const w = Float32Array.from([1, -4, 3, 2, 0.5, 0.1, -0.2, 0.3]);
  t.deepEqual([...mByNMask(w, [8, 1], 2, 4)], [0, 1, 1, 0, 1, 0, 0, 1]);
});

test('2:4 groups run along cin of a conv kernel [kh, kw, cin, cout], separately per output channel', (t) => {
  // [1, 1, 4, 2]: flat index = ci * 2 + co
  const w = Float32Array.from([
    1, 8,
    2, 7,
    3, 6,
    4, 5,
  ]);
  // channel 0 keeps cin 2 and 3 (3, 4); channel 1 keeps cin 0 and 1 (8, 7)
  t.deepEqual([...mByNMask(w, [1, 1, 4, 2], 2, 4)], [0, 1, 0, 1, 1, 0, 1, 0]);
});

test('2:4 pads a last partial group: 6 input channels keep 2 of the first 4 and both of the last 2', (t) => {
  const w = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.01, 0.02]);
  const mask = mByNMask(w, [1, 1, 6, 1], 2, 4);
  t.deepEqual([...mask], [0, 0, 1, 1, 1, 1]);
  t.is(mByNKeepCount([1, 1, 6, 1], 2, 4), 4);
  t.is(mByNKeepCount([3, 3, 6, 8], 2, 4), 9 * 8 * 4);
});

test('2:4 breaks ties toward the lower channel', (t) => {
  t.deepEqual([...mByNMask(Float32Array.from([1, 1, 1, 1]), [4, 1], 2, 4)], [1, 1, 0, 0]);
});

test('M:N prunes m of every n: 1:4 keeps 3', (t) => {
  t.deepEqual([...mByNMask(Float32Array.from([4, 1, 3, 2]), [4, 1], 1, 4)], [1, 0, 1, 1]);
});

test('invalid M:N and shapes are rejected', (t) => {
  t.throws(() => mByNMask(new Float32Array(4), [4, 1], 4, 4), { instanceOf: ConfigError, message: /0 <= m < n/ });
  t.throws(() => mByNMask(new Float32Array(4), [3, 1], 2, 4), { instanceOf: ConfigError, message: /holds 3 weights but 4/ });
  t.throws(() => blockMask(new Float32Array(4), [2, 2], 0.5, [0, 2]), { instanceOf: ConfigError, message: /blockShape/ });
});
