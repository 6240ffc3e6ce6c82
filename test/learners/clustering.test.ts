import test from 'ava';
import seedrandom from 'seedrandom';
import { ConfigError } from '../../errors.js';
import { assignClusters, clusterWeights, initCentroids, signSplit } from '../../learners/clustering.js';

function closeTo(t: { true: (b: boolean, m?: string) => void }, actual: ArrayLike<number>, expected: number[], eps = 1e-6): void {
  t.true(actual.length === expected.length && expected.every((e, i) => Math.abs(actual[i] - e) <= eps), `${Array.from(actual)} vs ${expected}`);
}

function randomWeights(n: number, seed: string): Float32Array {
  const rng = seedrandom(seed);
  return Float32Array.from({ length: n }, () => (rng() + rng() + rng() - 1.5) * 0.2);
}

function mse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

test('density init of [0,1,2,3,3.1,3.2,3.3,3.4,3.5] into 5 gives [0.11137931, 2.0534482, 3.145862, 3.3886206, 3.51]', (t) => {
  const w = Float32Array.from([0, 1, 2, 3, 3.1, 3.2, 3.3, 3.4, 3.5]);
  closeTo(t, initCentroids(w, 5, 'density'), [0.11137931, 2.0534482, 3.145862, 3.3886206, 3.51]);
});

test('density init with preserveSparsity of [0,0,1..9] into 5 gives [0, 1.2665517, 4.032069, 7.0741386, 9.01]', (t) => {
  const w = Float32Array.from([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  closeTo(t, initCentroids(w, 5, 'density', { preserveSparsity: true }), [0, 1.2665517, 4.032069, 7.0741386, 9.01]);
});

test('sparsity-preserving split: k = 32 with 40% negative weights gives 12 negative centroids, zero, 19 positive', (t) => {
  t.deepEqual(signSplit(32, 40, 60), { kNeg: 12, kPos: 19 });
  // 40 negatives, 60 positives and 25 exact zeros (zeros count on neither side)
  const w = Float32Array.from([...Array.from({ length: 40 }, (_, i) => -(i + 1)), ...Array.from({ length: 60 }, (_, i) => i + 1), ...new Array(25).fill(0)]);
  const c = initCentroids(w, 32, 'linear', { preserveSparsity: true });
  t.is(c.length, 32);
  t.is(c.filter((x) => x < 0).length, 12);
  t.is(c.filter((x) => x === 0).length, 1);
  t.is(c.filter((x) => x > 0).length, 19);
  t.is(c[12], 0);
});

test('sparsity-preserving init of all-zero weights is [0]; it needs k >= 2', (t) => {
  t.deepEqual([...initCentroids(new Float32Array(5), 4, 'kmeans++', { preserveSparsity: true })], [0]);
  t.throws(() => initCentroids(Float32Array.from([1, 2]), 1, 'linear', { preserveSparsity: true }), { instanceOf: ConfigError, message: /k >= 2/ });
});

test('linear init is linspace(min, max, k): [-1, 3] into 5 gives -1, 0, 1, 2, 3', (t) => {
  t.deepEqual([...initCentroids(Float32Array.from([3, -1, 0.5]), 5, 'linear')], [-1, 0, 1, 2, 3]);
});

test('random init draws k centroids in [min, max], the same for the same seed', (t) => {
  const w = Float32Array.from([-2, 5, 1]);
  const a = initCentroids(w, 6, 'random', { seed: 3 });
  t.true(a.every((c) => c >= -2 && c <= 5));
  t.deepEqual(initCentroids(w, 6, 'random', { seed: 3 }), a);
  t.notDeepEqual(initCentroids(w, 6, 'random', { seed: 4 }), a);
});

test('kmeans++ is deterministic under a seed, picks data points, and differs across seeds', (t) => {
  const w = randomWeights(5000, 'kpp');
  const a = initCentroids(w, 16, 'kmeans++', { seed: 11 });
  t.deepEqual(initCentroids(w, 16, 'kmeans++', { seed: 11 }), a);
  t.notDeepEqual(initCentroids(w, 16, 'kmeans++', { seed: 12 }), a);
  const data = new Set(w);
  t.true(a.every((c) => data.has(c)));
  t.is(new Set(a).size, 16);
  t.deepEqual(clusterWeights(w, 16, { seed: 11 }), clusterWeights(w, 16, { seed: 11 }));
});

test('kmeans++ puts one centre in each of three tight, far-apart groups', (t) => {
  const w = Float32Array.from([...new Array(100).fill(0).map((_, i) => -10 + i * 1e-3), ...new Array(5).fill(0).map((_, i) => i * 1e-3), ...new Array(50).fill(0).map((_, i) => 10 + i * 1e-3)]);
  for (const seed of [1, 2, 3]) {
    const c = [...initCentroids(w, 3, 'kmeans++', { seed })].sort((a, b) => a - b);
    t.true(c[0] < -9 && Math.abs(c[1]) < 1 && c[2] > 9, `seed ${seed}: ${c}`);
  }
});

/** Greedy k-means++ the plain O(N k) way, on sorted weights, drawing from the same random stream. */
function naiveKmeansPlusPlus(weights: Float32Array, k: number, seed: number): number[] {
  const rng = seedrandom(String(seed));
  const xs = Array.from(weights).sort((a, b) => a - b);
  const centres = [xs[Math.floor(rng() * xs.length)]];
  let d2 = xs.map((x) => (x - centres[0]) ** 2);
  const trials = 2 + Math.floor(Math.log(k));
  while (centres.length < k) {
    const total = d2.reduce((a, b) => a + b, 0);
    let best = NaN;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      const r = rng() * total;
      let acc = 0;
      let idx = xs.length - 1;
      for (let i = 0; i < xs.length; i++) {
        acc += d2[i];
        if (acc > r && d2[i] > 0) {
          idx = i;
          break;
        }
      }
      const potential = xs.reduce((a, x, i) => a + Math.min(d2[i], (x - xs[idx]) ** 2), 0);
      if (potential < bestPotential) {
        bestPotential = potential;
        best = xs[idx];
      }
    }
    centres.push(best);
    d2 = xs.map((x, i) => Math.min(d2[i], (x - best) ** 2));
  }
  return centres;
}

test('kmeans++ chooses the same centres as a plain O(N k) greedy k-means++ on the same random draws', (t) => {
  const w = randomWeights(3000, 'naive');
  for (const seed of [1, 2, 3]) t.deepEqual([...initCentroids(w, 12, 'kmeans++', { seed })], naiveKmeansPlusPlus(w, 12, seed).map(Math.fround));
});

test('kmeans++ refuses more centroids than distinct weights', (t) => {
  t.throws(() => initCentroids(Float32Array.from([1, 1, 2, 3]), 4, 'kmeans++'), { instanceOf: ConfigError, message: /distinct/ });
});

test('assignment takes the nearest centroid, ties to the lower index, whatever the centroid order', (t) => {
  t.deepEqual([...assignClusters(Float32Array.from([1]), Float32Array.from([0, 2]))], [0]);
  t.deepEqual([...assignClusters(Float32Array.from([1]), Float32Array.from([2, 0]))], [0]);
  // duplicates: the lower index wins
  t.deepEqual([...assignClusters(Float32Array.from([1.2, 5, -7]), Float32Array.from([5, 1, 5, 1]))], [1, 0, 1]);
});

test('assignment on unsorted centroids equals a brute-force argmin over 2000 weights and 17 centroids', (t) => {
  const w = randomWeights(2000, 'assign');
  const rng = seedrandom('centroids');
  const c = Float32Array.from({ length: 17 }, () => (rng() - 0.5) * 0.5);
  c[5] = c[9]; // a duplicate
  const brute = Int32Array.from(w, (x) => {
    let best = 0;
    for (let j = 1; j < c.length; j++) if (Math.abs(x - c[j]) < Math.abs(x - c[best])) best = j;
    return best;
  });
  t.deepEqual(assignClusters(w, c), brute);
});

test('clusterWeights gives exactly k sorted centroids and at most k unique values', (t) => {
  const w = randomWeights(3000, 'cw');
  for (const init of ['linear', 'random', 'density', 'kmeans++'] as const) {
    const r = clusterWeights(w, 8, { init });
    t.is(r.centroids.length, 8);
    t.true(r.centroids.every((c, i) => i === 0 || c >= r.centroids[i - 1]), init);
    t.true(new Set(r.values).size <= 8);
    t.true(r.values.every((v, i) => v === r.centroids[r.indices[i]]));
  }
});

test('Lloyd refinement lowers the error of every init', (t) => {
  const w = randomWeights(3000, 'lloyd');
  for (const init of ['linear', 'random', 'density', 'kmeans++'] as const) {
    const before = mse(clusterWeights(w, 8, { init, iterations: 0 }).values, w);
    const after = mse(clusterWeights(w, 8, { init }).values, w);
    t.true(after < before, `${init}: ${after} < ${before}`);
  }
});

test('sparsity-preserving clustering keeps every zero exactly zero and its zero centroid fixed at 0', (t) => {
  const w = randomWeights(2000, 'zeros');
  for (let i = 0; i < w.length; i += 2) w[i] = 0;
  const r = clusterWeights(w, 6, { preserveSparsity: true, init: 'density' });
  t.true(w.every((x, i) => x !== 0 || r.values[i] === 0));
  t.is(r.centroids[r.zeroIndices![0]], 0);
  t.true(new Set(r.values).size <= 6);
});

test('with no more distinct values than k the codebook is those values, exact, padded by repeating the last', (t) => {
  const w = Float32Array.from([0.5, -1, 0.5, 2, -1]);
  const r = clusterWeights(w, 5);
  t.deepEqual([...r.centroids], [-1, 0.5, 2, 2, 2]);
  t.deepEqual(r.values, w);
});

test('per-channel clustering gives each output channel its own codebook of k', (t) => {
  const shape = [3, 3, 2, 4];
  const w = randomWeights(72, 'pc');
  for (let i = 0; i < w.length; i++) w[i] += (i % 4) * 10; // channels far apart
  const r = clusterWeights(w, 3, { perChannel: true, shape });
  t.is(r.codebooks, 4);
  t.is(r.centroids.length, 12);
  for (let i = 0; i < w.length; i++) {
    const g = i % 4;
    t.true(r.indices[i] >= 3 * g && r.indices[i] < 3 * g + 3);
  }
  t.throws(() => clusterWeights(w, 3, { perChannel: true }), { instanceOf: ConfigError, message: /shape/ });
});

test('one million weights cluster into 256 with kmeans++ and Lloyd', (t) => {
  const w = randomWeights(1_000_000, 'million');
  const start = performance.now();
  const r = clusterWeights(w, 256, { seed: 1 });
  t.log(`1M weights into 256 clusters: ${(performance.now() - start).toFixed(0)} ms`);
  t.is(r.centroids.length, 256);
  t.true(new Set(r.values).size <= 256);
  t.true(mse(r.values, w) < 1e-5);
});
