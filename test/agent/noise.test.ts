import test from 'ava';
import { standardNormal, truncatedNormal } from '../../agent/noise.js';
import { createRng } from '../../agent/rng.js';

test('truncated normal draws stay in [0, 1] for means at and beyond the bounds', (t) => {
  const rng = createRng(11);
  for (const mu of [-0.5, 0, 0.3, 1, 1.5]) {
    for (const sigma of [0.01, 0.5, 5]) {
      for (let i = 0; i < 500; i++) {
        const x = truncatedNormal(rng, mu, sigma, 0, 1);
        t.true(x >= 0 && x <= 1, `mu ${mu} sigma ${sigma} gave ${x}`);
      }
    }
  }
});

test('sigma 0 returns the mean clamped to the range', (t) => {
  const rng = createRng(1);
  t.is(truncatedNormal(rng, 0.3, 0), 0.3);
  t.is(truncatedNormal(rng, 1.7, 0), 1);
});

test('a mean far outside the range falls back to the nearer bound', (t) => {
  t.is(truncatedNormal(createRng(1), 50, 0.1, 0, 1, 20), 1);
  t.is(truncatedNormal(createRng(1), -50, 0.1, 0, 1, 20), 0);
});

test('truncated normal around 0.5 with sigma 0.1 has mean ~0.5 and std ~0.1', (t) => {
  const rng = createRng(5);
  const xs = Array.from({ length: 20000 }, () => truncatedNormal(rng, 0.5, 0.1));
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  t.true(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
  t.true(Math.abs(std - 0.1) < 0.005, `std ${std}`);
});

test('standard normal draws are seeded', (t) => {
  const a = createRng(9);
  const b = createRng(9);
  const xs = Array.from({ length: 5 }, () => standardNormal(a));
  t.deepEqual(Array.from({ length: 5 }, () => standardNormal(b)), xs);
});
