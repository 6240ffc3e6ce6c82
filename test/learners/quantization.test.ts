import test from 'ava';
import seedrandom from 'seedrandom';
import { ConfigError } from '../../errors.js';
import { quantizeNonUniform, quantizeUniform } from '../../learners/quantization.js';
import { float16BitsToFloat32, float32ToFloat16Bits, roundHalfEven } from '../../learners/rounding.js';

test('2-bit uniform quantization of [0, 1, 2, 3] is exact: alpha 3, beta 0, codes 0..3', (t) => {
  const r = quantizeUniform(Float32Array.from([0, 1, 2, 3]), 2);
  t.deepEqual([...r.codes!], [0, 1, 2, 3]);
  t.deepEqual([...r.scales], [3, 0]);
  t.deepEqual([...r.values], [0, 1, 2, 3]);
});

test("PocketFlow's rule: [-1, 0.2, 0.5, 1] at 2 bits has codes round((w + 1) / 2 * 3) = [0, 2, 2, 3] and values [-1, 1/3, 1/3, 1]", (t) => {
  const r = quantizeUniform(Float32Array.from([-1, 0.2, 0.5, 1]), 2);
  t.deepEqual([...r.codes!], [0, 2, 2, 3]);
  t.deepEqual([...r.values], [-1, Math.fround(1 / 3), Math.fround(1 / 3), 1]);
});

test('codes round half to even like tf.round: 0.5 -> 0 and 1.5 -> 2 (Math.round would give 1 and 2)', (t) => {
  // alpha 3, beta 0, 3 levels: the code is w itself
  const r = quantizeUniform(Float32Array.from([0, 0.5, 1.5, 3]), 2);
  t.deepEqual([...r.codes!], [0, 0, 2, 3]);
  t.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, -0, -2, 2, 3]);
});

test('a constant bucket (alpha = 0) has every code 0 and decodes to beta exactly', (t) => {
  const r = quantizeUniform(Float32Array.from([0.7, 0.7, 0.7]), 4);
  t.deepEqual([...r.codes!], [0, 0, 0]);
  t.deepEqual([...r.values], [Math.fround(0.7), Math.fround(0.7), Math.fround(0.7)]);
  t.deepEqual([...r.scales], [0, Math.fround(0.7)]);
});

test("'split' buckets of 2 and 'channel' buckets of a dense [2, 3] each get their own range", (t) => {
  const w = Float32Array.from([0, 1, 10, 20, -5, 5]);
  const split = quantizeUniform(w, 1, { bucket: 'split', bucketSize: 2 });
  t.deepEqual([...split.scales], [1, 0, 10, 10, 10, -5]);
  t.deepEqual([...split.values], [0, 1, 10, 20, -5, 5]);
  // columns of [[0, 1, 10], [20, -5, 5]]: {0, 20}, {1, -5}, {10, 5}
  const channel = quantizeUniform(w, 1, { bucket: 'channel', shape: [2, 3] });
  t.deepEqual([...channel.scales], [20, 0, 6, -5, 5, 5]);
  t.deepEqual([...channel.values], [0, 1, 10, 20, -5, 5]);
  // a 5-weight 'split' of 2 keeps a short last bucket (no zero padding in its range)
  t.deepEqual([...quantizeUniform(Float32Array.from([0, 1, 2, 3, 7]), 1, { bucket: 'split', bucketSize: 2 }).scales], [1, 0, 1, 2, 0, 7]);
});

test('pruned weights are left out of the range and stay exactly 0', (t) => {
  const r = quantizeUniform(Float32Array.from([5, -3, 1, 2]), 1, { mask: Uint8Array.from([0, 0, 1, 1]) });
  t.deepEqual([...r.scales], [1, 1]);
  t.deepEqual([...r.values], [0, 0, 1, 2]);
});

test('16 bits rounds to fp16 (1/3 -> 0x3555 = 0.333251953125); 32 bits is the identity', (t) => {
  const r = quantizeUniform(Float32Array.from([1 / 3, 65504, 1e-8]), 16);
  t.deepEqual([...r.codes!], [0x3555, 0x7bff, 0]);
  t.deepEqual([...r.values], [0.333251953125, 65504, 0]);
  const w = Float32Array.from([1 / 3, -0, 1e-30]);
  t.deepEqual(quantizeUniform(w, 32).values, w);
});

test('fp16 conversion rounds to nearest even, handles subnormals, overflow and specials', (t) => {
  t.is(float32ToFloat16Bits(1), 0x3c00);
  t.is(float32ToFloat16Bits(-2), 0xc000);
  t.is(float32ToFloat16Bits(2 ** -24), 0x0001); // smallest subnormal
  t.is(float32ToFloat16Bits(2 ** -25), 0); // exactly half of it: ties to even (0)
  t.is(float32ToFloat16Bits(1.5 * 2 ** -24), 0x0002); // tie between 1 and 2: even
  t.is(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00); // halfway between 1 and the next fp16: even
  t.is(float32ToFloat16Bits(1e6), 0x7c00);
  t.is(float32ToFloat16Bits(-Infinity), 0xfc00);
  t.true(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
  t.true(Object.is(float16BitsToFloat32(float32ToFloat16Bits(-0)), -0));
  for (let h = 0; h < 0x7c00; h += 37) t.is(float32ToFloat16Bits(float16BitsToFloat32(h)), h);
});

test('bit widths other than 1..8, 16 and 32 are rejected', (t) => {
  for (const bits of [0, 9, 12, 2.5]) t.throws(() => quantizeUniform(new Float32Array(2), bits), { instanceOf: ConfigError, message: /bits must be 1\.\.8/ });
});

test('non-uniform linear init at 2 bits spaces 4 points from min to max', (t) => {
  const r = quantizeNonUniform(Float32Array.from([0, 0.9, 2.2, 3, 1.1, 2]), 2, { init: 'linear' });
  t.deepEqual([...r.points], [0, 1, 2, 3]);
  t.deepEqual([...r.values], [0, 1, 2, 3, 1, 2]);
});

test('non-uniform k-means: 2^bits points per bucket, every value one of its points, the same for the same seed', (t) => {
  const rng = seedrandom('nu');
  const w = Float32Array.from({ length: 400 }, () => rng() - 0.5);
  const r = quantizeNonUniform(w, 3, { bucket: 'channel', shape: [100, 4], seed: 5 });
  t.is(r.points.length, 4 * 8);
  for (let i = 0; i < w.length; i++) {
    const b = i % 4;
    t.true(r.indices[i] >= 8 * b && r.indices[i] < 8 * b + 8);
    t.is(r.values[i], r.points[r.indices[i]]);
  }
  t.deepEqual(quantizeNonUniform(w, 3, { bucket: 'channel', shape: [100, 4], seed: 5 }), r);
  // k-means points fit better than evenly spaced ones
  const err = (v: Float32Array) => v.reduce((a, x, i) => a + (x - w[i]) ** 2, 0);
  t.true(err(r.values) <= err(quantizeNonUniform(w, 3, { bucket: 'channel', shape: [100, 4], init: 'linear' }).values));
});
