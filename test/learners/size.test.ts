import test from 'ava';
import { ConfigError } from '../../errors.js';
import { fullPrecisionBits, indexBits, keptWeights, sizeBits, storageLayout } from '../../learners/size.js';
import { FULL_PRECISION, layerSpec } from '../../learners/types.js';

test('full precision is 32 bits a weight: [784, 300] is 7,526,400 bits, whatever the spec says when it compresses nothing', (t) => {
  t.is(fullPrecisionBits([784, 300]), 7_526_400);
  t.is(sizeBits([784, 300], FULL_PRECISION), 7_526_400);
});

test('8-bit uniform, one bucket: 8 bits a weight plus one fp32 (alpha, beta) pair', (t) => {
  t.is(sizeBits([784, 300], layerSpec({ bits: 8 })), 235_200 * 8 + 64);
});

test('4-bit uniform per channel: 4 bits a weight plus 64 bits for each of the 300 output channels', (t) => {
  t.is(sizeBits([784, 300], layerSpec({ bits: 4, bucket: 'channel' })), 235_200 * 4 + 300 * 64);
});

test('16 bits is fp16 storage: 16 bits a weight, no scales', (t) => {
  t.is(sizeBits([100, 10], layerSpec({ bits: 16 })), 16_000);
});

test('16 clusters keeping zeros with an 8-bit codebook: 4-bit indices, a 4-bit zero index, 15 8-bit entries and one scale pair', (t) => {
  // 1000 * 4 + (4 + 15 * 8) + 64
  t.is(sizeBits([100, 10], layerSpec({ clusters: 16, bits: 8 })), 4188);
  // without the reserved zero: 16 entries, no zero index
  t.is(sizeBits([100, 10], layerSpec({ clusters: 16, bits: 8, preserveSparsity: false })), 4000 + 16 * 8 + 64);
});

test('per-channel clusters store one codebook per output channel', (t) => {
  // 1000 * 4 + 10 * (4 + 15 * 32)
  t.is(sizeBits([100, 10], layerSpec({ clusters: 16, bits: 32, clusterPerChannel: true })), 8840);
});

test('cluster indices take ceil(log2 k) bits', (t) => {
  t.deepEqual([1, 2, 3, 4, 5, 16, 17, 256, 257].map(indexBits), [0, 1, 2, 2, 3, 4, 5, 8, 9]);
});

test('90% magnitude pruning of 1000 fp32 weights: 100 kept, positions in Elias-Fano (525 bits), 3725 in all', (t) => {
  // Elias-Fano with 3 low bits: 100 * 3 + 100 + (999 >> 3) + 1 = 525 < the 1000-bit bitmask
  const layout = storageLayout([100, 10], layerSpec({ pruneRatio: 0.9 }));
  t.deepEqual(layout.positions, { kind: 'elias-fano', universe: 1000, count: 100, lowBits: 3, bits: 525 });
  t.is(layout.bits.total, 525 + 100 * 32);
});

test('50% pruning stores a bitmask (Elias-Fano would take 1500 bits) and only the kept half of the codes', (t) => {
  const layout = storageLayout([100, 10], layerSpec({ pruneRatio: 0.5, bits: 4 }));
  t.is(layout.positions!.kind, 'bitmask');
  t.is(layout.bits.total, 1000 + 500 * 4 + 64);
});

test('2:4 keeps 4 of 6 input channels per output channel: [6, 4] stores 16 weights and a 24-bit mask', (t) => {
  t.is(sizeBits([6, 4], layerSpec({ pruneRatio: 0.5, pruneKind: '2:4' })), 24 + 16 * 32);
});

test('block pruning stores one bit per block and whole kept blocks, edge padding included', (t) => {
  // [10, 8] in [1, 4] blocks: 20 blocks, 10 kept, 40 weights stored
  t.is(sizeBits([10, 8], layerSpec({ pruneRatio: 0.5, pruneKind: 'block' })), 20 + 40 * 32);
  // [3, 6] in [2, 4] blocks: 2 x 2 blocks, 2 kept, 2 * 8 entries; 8-bit codes and a scale pair
  t.is(sizeBits([3, 6], layerSpec({ pruneRatio: 0.5, pruneKind: 'block', blockShape: [2, 4], bits: 8 })), 4 + 16 * 8 + 64);
});

test('non-uniform 3 bits per channel: 8 fp32 points for each of 4 channels and 3 bits a weight', (t) => {
  t.is(sizeBits([50, 4], layerSpec({ bits: 3, quantKind: 'nonuniform', bucket: 'channel' })), 4 * 8 * 32 + 200 * 3);
});

test('clustering without preserveSparsity stores no positions: the pruned zeros were clustered away', (t) => {
  t.is(sizeBits([100, 10], layerSpec({ pruneRatio: 0.5, clusters: 4, bits: 32, preserveSparsity: false })), 1000 * 2 + 4 * 32);
});

test('at 95% sparsity Elias-Fano takes 0.313 bits a weight where a bitmask takes 1', (t) => {
  t.is(storageLayout([1000], layerSpec({ pruneRatio: 0.95 })).positions!.bits, 313);
});

test('size grows with bits, clusters and kept weights (what the budget walls rely on)', (t) => {
  const shape = [3, 3, 16, 32];
  const bits = [1, 2, 3, 4, 5, 6, 7, 8, 16, 32].map((b) => sizeBits(shape, layerSpec({ bits: b })));
  t.true(bits.every((s, i) => i === 0 || s > bits[i - 1]));
  const clusters = [2, 4, 8, 16, 32, 64].map((k) => sizeBits(shape, layerSpec({ clusters: k, bits: 8 })));
  t.true(clusters.every((s, i) => i === 0 || s > clusters[i - 1]));
  const prunes = [0.95, 0.9, 0.8, 0.5, 0.3, 0.1].map((p) => sizeBits(shape, layerSpec({ pruneRatio: p, bits: 4 })));
  t.true(prunes.every((s, i) => i === 0 || s > prunes[i - 1]));
});

test('a spec that cannot apply is refused before costing', (t) => {
  t.throws(() => sizeBits([10, 10], layerSpec({ bits: 0 })), { instanceOf: ConfigError });
  t.throws(() => sizeBits([], layerSpec({})), { instanceOf: ConfigError, message: /shape/ });
  t.throws(() => sizeBits([10, 0], layerSpec({})), { instanceOf: ConfigError, message: /shape/ });
});

test('keptWeights: magnitude keeps its count, 2:4 half of the input channels whatever the ratio, a depthwise [3, 3, 1, 8] all under 2:4', (t) => {
  t.is(keptWeights([8, 4], layerSpec({ pruneRatio: 0.75 })), 8);
  t.is(keptWeights([8, 4], layerSpec({ pruneRatio: 0.9, pruneKind: '2:4' })), 16);
  t.is(keptWeights([3, 3, 1, 8], layerSpec({ pruneRatio: 0.9, pruneKind: '2:4' })), 72);
  t.is(keptWeights([8, 4], layerSpec({ pruneRatio: 0 })), 32);
});
