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

test("PocketFlow's rule ('minmax'): [-1, 0.2, 0.5, 1] at 2 bits has codes round((w + 1) / 2 * 3) = [0, 2, 2, 3] and values [-1, 1/3, 1/3, 1]", (t) => {
  const r = quantizeUniform(Float32Array.from([-1, 0.2, 0.5, 1]), 2, { quantRange: 'minmax' });
  t.deepEqual([...r.codes!], [0, 2, 2, 3]);
  t.deepEqual([...r.values], [-1, Math.fround(1 / 3), Math.fround(1 / 3), 1]);
});

test('codes round half to even like tf.round: 0.5 -> 0 and 1.5 -> 2 (Math.round would give 1 and 2)', (t) => {
  // min-max: alpha 3, beta 0, 3 levels: the code is w itself
  const r = quantizeUniform(Float32Array.from([0, 0.5, 1.5, 3]), 2, { quantRange: 'minmax' });
  t.deepEqual([...r.codes!], [0, 0, 2, 3]);
  t.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, -0, -2, 2, 3]);
});

test('a constant bucket (alpha = 0) has every code 0 and decodes to beta exactly', (t) => {
  const r = quantizeUniform(Float32Array.from([0.7, 0.7, 0.7]), 4);
  t.deepEqual([...r.codes!], [0, 0, 0]);
  t.deepEqual([...r.values], [Math.fround(0.7), Math.fround(0.7), Math.fround(0.7)]);
  t.deepEqual([...r.scales], [0, Math.fround(0.7)]);
});

test("'split' buckets of 2 and 'channel' buckets of a dense [2, 3] each get their own range (min-max)", (t) => {
  const w = Float32Array.from([0, 1, 10, 20, -5, 5]);
  const split = quantizeUniform(w, 1, { bucket: 'split', bucketSize: 2, quantRange: 'minmax' });
  t.deepEqual([...split.scales], [1, 0, 10, 10, 10, -5]);
  t.deepEqual([...split.values], [0, 1, 10, 20, -5, 5]);
  // columns of [[0, 1, 10], [20, -5, 5]]: {0, 20}, {1, -5}, {10, 5}
  const channel = quantizeUniform(w, 1, { bucket: 'channel', shape: [2, 3], quantRange: 'minmax' });
  t.deepEqual([...channel.scales], [20, 0, 6, -5, 5, 5]);
  t.deepEqual([...channel.values], [0, 1, 10, 20, -5, 5]);
  // a 5-weight 'split' of 2 keeps a short last bucket (no zero padding in its range)
  t.deepEqual([...quantizeUniform(Float32Array.from([0, 1, 2, 3, 7]), 1, { bucket: 'split', bucketSize: 2, quantRange: 'minmax' }).scales], [1, 0, 1, 2, 0, 7]);
});

test('pruned weights are left out of the (min-max) range and stay exactly 0', (t) => {
  const r = quantizeUniform(Float32Array.from([5, -3, 1, 2]), 1, { mask: Uint8Array.from([0, 0, 1, 1]), quantRange: 'minmax' });
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

const squaredError = (w: ArrayLike<number>, v: ArrayLike<number>) => {
  let e = 0;
  for (let i = 0; i < w.length; i++) e += (w[i] - v[i]) ** 2;
  return e;
};

test("'mse' (the default) binarizes at 1 bit: [-3, -1, 1, 3] -> sign(w) * mean |w| = [-2, -2, 2, 2], stored as alpha 2s = 4, beta -s = -2", (t) => {
  const r = quantizeUniform(Float32Array.from([-3, -1, 1, 3]), 1);
  t.deepEqual([...r.values], [-2, -2, 2, 2]);
  t.deepEqual([...r.codes!], [0, 0, 1, 1]);
  t.deepEqual([...r.scales], [4, -2]);
  // min-max puts the two levels at the extremes instead: every weight jumps to -3 or 3
  t.deepEqual([...quantizeUniform(Float32Array.from([-3, -1, 1, 3]), 1, { quantRange: 'minmax' }).values], [-3, -3, 3, 3]);
});

test('1 bit: a pruned weight stays 0 and is left out of the scale; an unpruned exact 0 (or -0) becomes +s: s = (3 + 1 + 2 + 0 + 0) / 5 = 1.2', (t) => {
  const w = Float32Array.from([9, -3, 1, -2, 0, -0]);
  const r = quantizeUniform(w, 1, { mask: Uint8Array.from([0, 1, 1, 1, 1, 1]) });
  const s = Math.fround(1.2);
  t.deepEqual([...r.values], [0, -s, s, -s, s, s]);
  t.true(Object.is(r.values[0], 0));
  t.deepEqual([...r.codes!], [0, 0, 1, 0, 1, 1]);
  t.deepEqual([...r.scales], [2 * s, -s]);
});

test('1 bit per channel: each output channel gets its own mean |w| (columns of [[1, -2, 0.5], [-3, 4, -0.5]]: 2, 3, 0.5)', (t) => {
  const r = quantizeUniform(Float32Array.from([1, -2, 0.5, -3, 4, -0.5]), 1, { bucket: 'channel', shape: [2, 3] });
  t.deepEqual([...r.values], [2, -3, 0.5, -2, 3, -0.5]);
  t.deepEqual([...r.scales], [4, -2, 6, -3, 1, -0.5]);
});

test('1 bit: a bucket whose kept weights are all 0 stores alpha = beta = 0 and stays 0', (t) => {
  const r = quantizeUniform(Float32Array.from([0, 0, 5]), 1, { mask: Uint8Array.from([1, 1, 0]) });
  t.deepEqual([...r.values], [0, 0, 0]);
  t.deepEqual([...r.scales], [0, 0]);
});

test('2 bits with one far outlier: min-max levels -3, 8, 19, 30 cost 0+1+4+9+16+25+25 = 80; the chosen levels 0, 10, 20, 30 cost 9+4+1+0+1+4+9 = 28', (t) => {
  const w = Float32Array.from([-3, -2, -1, 0, 1, 2, 3, 30]);
  const minmax = quantizeUniform(w, 2, { quantRange: 'minmax' });
  t.deepEqual([...minmax.values], [-3, -3, -3, -3, -3, -3, 8, 30]);
  t.is(squaredError(w, minmax.values), 80);
  const mse = quantizeUniform(w, 2);
  // the bulk shares the level at its mean, 0; the outlier keeps its own level
  t.deepEqual([...mse.scales], [30, 0]);
  t.deepEqual([...mse.values], [0, 0, 0, 0, 0, 0, 0, 30]);
  t.is(squaredError(w, mse.values), 28);
});

test("at 2..8 bits 'mse' never has more squared error than 'minmax', bucket by bucket, over assorted weights, buckets and masks", (t) => {
  const rng = seedrandom('never-worse');
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const draws: Array<() => number> = [gauss, () => rng() - 0.5, () => (rng() < 0.02 ? 20 : 1) * gauss(), () => Math.abs(gauss()), () => Math.round(gauss() * 3)];
  for (const [d, draw] of draws.entries()) {
    const w = Float32Array.from({ length: 600 }, draw);
    const mask = Uint8Array.from(w, (x) => (Math.abs(x) > 0.3 ? 1 : 0));
    for (const opts of [{}, { bucket: 'channel' as const, shape: [50, 12] }, { bucket: 'split' as const, bucketSize: 7 }, { bucket: 'channel' as const, shape: [60, 10], mask }]) {
      for (let bits = 2; bits <= 8; bits++) {
        const mse = quantizeUniform(w, bits, opts);
        const minmax = quantizeUniform(w, bits, { ...opts, quantRange: 'minmax' });
        const ids = Array.from(w, (_, i) => (opts.bucket === 'channel' ? i % opts.shape[1] : opts.bucket === 'split' ? Math.floor(i / opts.bucketSize) : 0));
        for (let b = 0; b < mse.buckets; b++) {
          const members = ids.flatMap((g, i) => (g === b ? [i] : []));
          const e = (v: Float32Array) => squaredError(members.map((i) => w[i]), members.map((i) => v[i]));
          if (!(e(mse.values) <= e(minmax.values))) t.fail(`draw ${d}, ${JSON.stringify(opts.bucket)}, ${bits} bits, bucket ${b}`);
        }
      }
    }
  }
  t.pass();
});

test("'mse' cuts the squared error of seeded Gaussian weights well below min-max at 2 bits, and is deterministic", (t) => {
  const rng = seedrandom('gauss');
  const w = Float32Array.from({ length: 20000 }, () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()) * 0.05);
  const mse = quantizeUniform(w, 2, { bucket: 'channel', shape: [200, 100] });
  const minmax = quantizeUniform(w, 2, { bucket: 'channel', shape: [200, 100], quantRange: 'minmax' });
  t.true(squaredError(w, mse.values) < 0.5 * squaredError(w, minmax.values));
  t.deepEqual(quantizeUniform(w, 2, { bucket: 'channel', shape: [200, 100] }), mse);
});

test('an unknown quantRange is refused', (t) => {
  t.throws(() => quantizeUniform(new Float32Array(4), 2, { quantRange: 'max' as 'mse' }), { instanceOf: ConfigError, message: /quantRange must be 'mse' or 'minmax', got 'max'/ });
});
