import test from 'ava';
import seedrandom from 'seedrandom';
import { ConfigError } from '../../errors.js';
import { compressLayer, finalizeLayer, pruneMask } from '../../learners/compress-layer.js';
import { layerSpec } from '../../learners/types.js';

function weights(n: number, seed = 'cl'): Float32Array {
  const rng = seedrandom(seed);
  return Float32Array.from({ length: n }, () => rng() - 0.5);
}

const zeros = (v: Float32Array) => v.filter((x) => x === 0).length;

test('PCQAT promise: 50% pruning, 8 clusters keeping zeros, 4-bit codebook keep the 50% and at most 8 values', (t) => {
  const w = weights(1000);
  const c = compressLayer(w, [100, 10], layerSpec({ pruneRatio: 0.5, clusters: 8, bits: 4 }));
  t.is(c.mask!.reduce((a, m) => a + m, 0), 500);
  t.true(zeros(c.values) >= 500);
  t.true(c.mask!.every((m, i) => m || c.values[i] === 0));
  t.true(new Set(c.values).size <= 8);
  // the zero centroid is exact after the codebook is quantized; the others sit on the 4-bit grid of the codebook
  t.is(c.centroids![c.zeroIndices![0]], 0);
  const [alpha, beta] = c.scales!;
  for (const [j, x] of c.centroids!.entries()) {
    if (j === c.zeroIndices![0]) continue;
    const q = ((x - beta) / alpha) * 15;
    t.true(Math.abs(q - Math.round(q)) < 1e-4);
  }
});

test('without preserveSparsity clustering does not keep the sparsity (tfmot): no mask comes back', (t) => {
  const w = weights(1000);
  const kept = compressLayer(w, [100, 10], layerSpec({ pruneRatio: 0.5, clusters: 4, bits: 32 }));
  const lost = compressLayer(w, [100, 10], layerSpec({ pruneRatio: 0.5, clusters: 4, bits: 32, preserveSparsity: false }));
  t.not(kept.mask, null);
  t.is(lost.mask, null);
  t.true(zeros(kept.values) >= 500);
});

test('pruning then 4-bit uniform quantization keeps the pruned weights at exactly 0', (t) => {
  const w = weights(576);
  const c = compressLayer(w, [3, 3, 4, 16], layerSpec({ pruneRatio: 0.7, bits: 4, bucket: 'channel' }));
  // k = roundHalfEven(576 * 0.3) = roundHalfEven(172.8) = 173
  t.is(c.mask!.reduce((a, m) => a + m, 0), 173);
  t.true(c.mask!.every((m, i) => m || Object.is(c.values[i], 0)));
  t.is(c.scales!.length, 2 * 16);
});

test('the pipeline keeps exactly the rule count even when weights tie at the threshold', (t) => {
  const w = Float32Array.from([0, 0, 0, 0, 1, 2, 3, 4, 5, 6]);
  // tfmot at 0.5 keeps k = 5: threshold |w| = 1 -> exactly 5 kept; at 0.3 keeps 7: threshold 0 -> tfmot keeps all 10
  t.is(pruneMask(w, [10], layerSpec({ pruneRatio: 0.3 }))!.reduce((a, m) => a + m, 0), 7);
  t.deepEqual([...pruneMask(w, [10], layerSpec({ pruneRatio: 0.3 }))!], [1, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
});

test('identity spec returns the weights unchanged with no structure', (t) => {
  const w = weights(50);
  const c = compressLayer(w, [5, 10], layerSpec({}));
  t.deepEqual(c.values, w);
  t.is(c.mask, null);
  t.is(c.centroids, null);
  t.is(c.indices, null);
});

test('compression is deterministic for a seed', (t) => {
  const w = weights(500);
  const spec = layerSpec({ pruneRatio: 0.3, clusters: 16, clusterInit: 'kmeans++', bits: 6 });
  t.deepEqual(compressLayer(w, [50, 10], spec, { seed: 3 }), compressLayer(w, [50, 10], spec, { seed: 3 }));
});

test('finalizeLayer re-quantizes trained centroids, keeps the assignments, and holds the zero centroid at 0', (t) => {
  const w = weights(400);
  const spec = layerSpec({ pruneRatio: 0.5, clusters: 6, bits: 32 });
  const c = compressLayer(w, [40, 10], spec);
  const trained = Float32Array.from(c.centroids!, (x) => (x === 0 ? 0 : x + 0.01));
  const f = finalizeLayer([40, 10], spec, { centroids: trained, indices: c.indices, mask: c.mask });
  t.deepEqual(f.indices, c.indices);
  t.deepEqual(f.mask, c.mask);
  t.deepEqual(f.centroids, trained);
  t.true(f.values.every((v, i) => v === trained[c.indices![i]]));
  t.true(c.mask!.every((m, i) => m || f.values[i] === 0));
});

test('finalizeLayer re-quantizes trained weights under the fixed mask', (t) => {
  const w = weights(400);
  const spec = layerSpec({ pruneRatio: 0.5, bits: 3 });
  const c = compressLayer(w, [40, 10], spec);
  // training moved the kept weights; the mask must not be recomputed from them
  const trained = Float32Array.from(w, (x, i) => (c.mask![i] ? x * 0.1 : 0));
  const f = finalizeLayer([40, 10], spec, { weights: trained, mask: c.mask });
  t.deepEqual(f.mask, c.mask);
  t.true(new Set(f.values).size <= 9);
});

test('a mask that does not keep the spec count is refused', (t) => {
  const w = weights(100);
  const mask = new Uint8Array(100).fill(1, 0, 60);
  t.throws(() => compressLayer(w, [10, 10], layerSpec({ pruneRatio: 0.5, bits: 4 }), { mask }), { instanceOf: ConfigError, message: /keeps 60 weights where the spec keeps exactly 50/ });
});

test('specs that cannot apply are refused with a ConfigError naming the field', (t) => {
  const w = weights(20);
  const bad: Array<[Parameters<typeof layerSpec>[0], RegExp]> = [
    [{ clusters: 1 }, /clusters >= 2/],
    [{ clusters: 4, quantKind: 'nonuniform', bits: 4 }, /nonuniform quantization is itself a codebook/],
    [{ bits: 12 }, /bits must be 1\.\.8/],
    [{ pruneRatio: 1 }, /pruneRatio must be in \[0, 1\)/],
    [{ bits: 4, bucket: 'split' }, /bucketSize/],
    [{ clusters: 2.5 }, /clusters must be an integer/],
  ];
  for (const [partial, message] of bad) t.throws(() => compressLayer(w, [4, 5], layerSpec(partial)), { instanceOf: ConfigError, message });
  t.throws(() => compressLayer(w, [4, 4], layerSpec({})), { instanceOf: ConfigError, message: /holds 16 weights but 20/ });
});
