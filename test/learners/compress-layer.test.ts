import test from 'ava';
import seedrandom from 'seedrandom';
import { ConfigError } from '../../errors.js';
import { compressLayer, finalizeLayer, layerProjector, projectLayer, pruneMask, quantizeCodebook } from '../../learners/compress-layer.js';
import { quantizeUniform } from '../../learners/quantization.js';
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
    [{ bits: 2, quantRange: 'max' as 'mse' }, /quantRange must be 'mse' or 'minmax'/],
  ];
  for (const [partial, message] of bad) t.throws(() => compressLayer(w, [4, 5], layerSpec(partial)), { instanceOf: ConfigError, message });
  t.throws(() => compressLayer(w, [4, 4], layerSpec({})), { instanceOf: ConfigError, message: /holds 16 weights but 20/ });
});

test('a 1-bit codebook is binarized over its non-zero centroids, the zero centroid kept: [0, -3, -1, 1, 3] -> [0, -2, -2, 2, 2]', (t) => {
  const q = quantizeCodebook(Float32Array.from([0, -3, -1, 1, 3]), 1, 5, Int32Array.from([0]), 1);
  t.deepEqual([...q.centroids], [0, -2, -2, 2, 2]);
  t.deepEqual([...q.codes!], [0, 0, 0, 1, 1]);
  t.deepEqual([...q.scales!], [4, -2]);
});

test('codebooks and uniform buckets share one range rule: each codebook gets the range quantizeUniform gives its non-zero entries', (t) => {
  const raw = weights(24, 'books');
  const zeroIndices = Int32Array.from([2, 13]); // two codebooks of 12
  raw[2] = 0;
  raw[13] = 0;
  for (const rule of ['mse', 'minmax'] as const) {
    for (const bits of [1, 2, 3]) {
      const q = quantizeCodebook(raw, 2, 12, zeroIndices, bits, rule);
      for (let g = 0; g < 2; g++) {
        const entries = Array.from({ length: 12 }, (_, j) => g * 12 + j).filter((j) => j !== zeroIndices[g]);
        const u = quantizeUniform(Float32Array.from(entries, (j) => raw[j]), bits, { quantRange: rule });
        t.deepEqual([...q.scales!.subarray(2 * g, 2 * g + 2)], [...u.scales]);
        t.deepEqual(entries.map((j) => q.centroids[j]), [...u.values]);
        t.is(q.centroids[zeroIndices[g]], 0);
      }
    }
  }
});

test("the spec's quantRange reaches the quantizer: 'minmax' gives PocketFlow's ranges, the default gives 'mse'", (t) => {
  const w = weights(120, 'spec-range');
  const shape = [12, 10];
  for (const bits of [1, 3]) {
    const opts = { bucket: 'channel' as const, shape };
    t.deepEqual(compressLayer(w, shape, layerSpec({ bits, bucket: 'channel', quantRange: 'minmax' })).values, quantizeUniform(w, bits, { ...opts, quantRange: 'minmax' }).values);
    t.deepEqual(compressLayer(w, shape, layerSpec({ bits, bucket: 'channel' })).values, quantizeUniform(w, bits, { ...opts, quantRange: 'mse' }).values);
  }
  // a clustered layer's codebook too: with 'minmax' its non-zero extremes sit exactly on the grid's ends
  const c = compressLayer(w, shape, layerSpec({ pruneRatio: 0.5, clusters: 6, bits: 2, quantRange: 'minmax' }));
  const nonZero = [...c.centroids!].filter((_, j) => j !== c.zeroIndices![0]);
  t.is(Math.min(...nonZero), c.scales![1]);
});

test('train what you pack: projectLayer of the trained parameters equals what finalizeLayer stores, for every kind of layer', (t) => {
  const shape = [40, 10];
  const start = weights(400, 'project-start');
  const trained = weights(400, 'project-trained');
  const specs = [
    layerSpec({ bits: 1, pruneRatio: 0.5, bucket: 'channel' }),
    layerSpec({ bits: 3, pruneRatio: 0.3, bucket: 'split', bucketSize: 64 }),
    layerSpec({ bits: 2, bucket: 'none', quantRange: 'minmax' }),
    layerSpec({ bits: 4, pruneRatio: 0.5, clusters: 6, preserveSparsity: true }),
    layerSpec({ bits: 3, quantKind: 'nonuniform', bucket: 'channel' }),
  ];
  for (const spec of specs) {
    const c = compressLayer(start, shape, spec, { seed: 1 });
    // a codebook layer trains its entries: perturb them; the others train their weights
    const centroids = c.centroids ? c.centroids.map((v, j) => (v === 0 ? 0 : v * (1 + 0.01 * (j % 3)))) : null;
    const projected = projectLayer(c, centroids ? { centroids } : { weights: trained });
    const stored = finalizeLayer(shape, spec, { weights: centroids ? null : trained, centroids, indices: c.indices, mask: c.mask, zeroIndices: c.zeroIndices });
    t.deepEqual(Array.from(projected), Array.from(stored.values), JSON.stringify(spec));
  }
});

test('layerProjector gives exactly projectLayer values step after step, for every kind of layer and an overriding mask', (t) => {
  const shape = [40, 10];
  const start = weights(400, 'projector-start');
  const specs = [
    layerSpec({ bits: 1, pruneRatio: 0.5, bucket: 'channel' }),
    layerSpec({ bits: 4, pruneRatio: 0.5, bucket: 'channel' }),
    layerSpec({ bits: 8, bucket: 'none' }),
    layerSpec({ bits: 3, pruneRatio: 0.3, bucket: 'split', bucketSize: 64 }),
    layerSpec({ bits: 2, bucket: 'channel', quantRange: 'minmax' }),
    layerSpec({ bits: 16, pruneRatio: 0.5 }),
    layerSpec({ bits: 32, pruneRatio: 0.5 }),
    layerSpec({ bits: 4, pruneRatio: 0.5, clusters: 6, preserveSparsity: true }),
    layerSpec({ bits: 3, quantKind: 'nonuniform', bucket: 'channel' }),
  ];
  for (const spec of specs) {
    const c = compressLayer(start, shape, spec, { seed: 1 });
    // a gradual-pruning mask in force instead of the structure's own (pruning specs only)
    const masks = spec.pruneRatio > 0 && !c.centroids ? [c.mask, pruneMask(weights(400, 'other-mask'), shape, spec)] : [c.mask];
    for (const mask of masks) {
      const project = layerProjector(c, mask);
      for (let step = 0; step < 3; step++) {
        const trained = c.centroids ? { centroids: weights(c.centroids.length, `c${step}`) } : { weights: weights(400, `w${step}`) };
        t.deepEqual(Array.from(project(trained)), Array.from(projectLayer(c, trained, mask)), `${JSON.stringify(spec)} step ${step}`);
      }
    }
  }
});
