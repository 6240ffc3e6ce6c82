/**
 * The contract every compression learner keeps, as one ava macro run over each learner/spec combination:
 * shape kept, zeros kept where promised, no more unique values than promised, stored size equal to the accounting,
 * unpack(pack(x)) bit-exact, no tensor leaked.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import seedrandom from 'seedrandom';
import { compressLayer } from '../../learners/compress-layer.js';
import { decodeLayer, encodeLayer } from '../../learners/layer-codec.js';
import { packModel, packedSizeReport, unpackModel } from '../../learners/model-pack.js';
import { sizeBits, storageLayout } from '../../learners/size.js';
import type { LayerSpec } from '../../learners/types.js';
import { bucketsOf } from '../../learners/buckets.js';

export interface ContractCase {
  shape: number[];
  spec: LayerSpec;
  /** Defaults to `contractWeights(shape)`. */
  weights?: Float32Array;
}

/**
 * Seeded test weights with the awkward parts of real kernels: a few exact zeros (and a -0), a repeated value, and a
 * spread of magnitudes.
 */
export function contractWeights(shape: number[], seed = 'contract'): Float32Array {
  const rng = seedrandom(`${seed}:${shape.join('x')}`);
  const n = shape.reduce((a, b) => a * b, 1);
  const w = Float32Array.from({ length: n }, () => (rng() - 0.5) * (rng() < 0.1 ? 4 : 1));
  for (let i = 0; i < n; i += 11) w[i] = 0;
  if (n > 3) w[3] = -0;
  for (let i = 5; i < n; i += 13) w[i] = 0.25;
  return w;
}

export function describeSpec(spec: LayerSpec): string {
  const parts: string[] = [];
  if (spec.pruneRatio > 0) parts.push(`${spec.pruneKind} prune ${spec.pruneRatio}${spec.pruneKind === 'block' ? ` [${spec.blockShape ?? [1, 4]}] ${spec.blockPooling ?? 'avg'}` : ''}`);
  if (spec.clusters > 0) {
    parts.push(`${spec.clusters} ${spec.clusterInit} clusters${spec.clusterPerChannel ? ' per channel' : ''}${spec.preserveSparsity ? ' keeping zeros' : ''}`);
  }
  const quant = spec.bits >= 16 ? `fp${spec.bits}` : `${spec.quantKind} ${spec.bits}-bit${spec.clusters > 0 ? ' codebook' : ` ${spec.bucket}${spec.bucket === 'split' ? spec.bucketSize : ''} buckets`}${spec.quantRange ? ` ${spec.quantRange}` : ''}`;
  parts.push(quant);
  return parts.join(', ');
}

function uniqueCount(values: ArrayLike<number>, members: ArrayLike<number>): number {
  const s = new Set<number>();
  for (let j = 0; j < members.length; j++) s.add(values[members[j]]);
  return s.size;
}

export const learnerContract = test.macro({
  exec(t, c: ContractCase) {
    const tensorsBefore = tf.memory().numTensors;
    const { shape, spec } = c;
    const n = shape.reduce((a, b) => a * b, 1);
    const weights = c.weights ?? contractWeights(shape);
    const layer = compressLayer(weights, shape, spec, { seed: 7 });
    const layout = storageLayout(shape, spec);

    // shape kept
    t.deepEqual(layer.shape, shape);
    t.is(layer.values.length, n);
    t.true(layer.values.every((v) => Number.isFinite(v)));

    // zeros kept where promised: pruned weights are exactly +0, and the spec's count is kept
    const sparsityKept = spec.pruneRatio > 0 && (spec.clusters === 0 || spec.preserveSparsity);
    if (layer.mask) {
      t.true(sparsityKept, 'a mask is only kept when the sparsity is');
      t.true(layer.mask.every((m, i) => m === 1 || Object.is(layer.values[i], 0)), 'pruned weights are exactly +0');
      if (!layout.blocks) t.is(layer.mask.reduce((a, m) => a + m, 0), layout.entries, 'exactly the spec count is kept');
    } else if (sparsityKept) {
      t.is(layout.positions, null, 'no mask only when the spec prunes nothing');
    }
    if (spec.clusters > 0 && spec.preserveSparsity) {
      t.true(weights.every((w, i) => w !== 0 || layer.values[i] === 0), 'exact zeros stay zero through clustering');
    }

    // unique values: at most k per codebook; at most 2^bits (+ the pruned zero) per bucket
    if (spec.clusters > 0) {
      const groups = bucketsOf(n, shape, spec.clusterPerChannel ? 'channel' : 'none');
      const members = groups.ids ? Array.from({ length: groups.count }, (_, g) => Array.from({ length: n }, (_, i) => i).filter((i) => groups.ids![i] === g)) : [Array.from({ length: n }, (_, i) => i)];
      for (const m of members) t.true(uniqueCount(layer.values, m) <= spec.clusters, `at most ${spec.clusters} unique values per codebook`);
    } else if (spec.bits <= 8) {
      const groups = bucketsOf(n, shape, spec.bucket, spec.bucketSize);
      for (let g = 0; g < groups.count; g++) {
        const m = Array.from({ length: n }, (_, i) => i).filter((i) => (groups.ids ? groups.ids[i] : 0) === g);
        t.true(uniqueCount(layer.values, m) <= 2 ** spec.bits + (layer.mask ? 1 : 0), `at most 2^${spec.bits} levels per bucket`);
      }
    }

    // stored size equals the accounting, to the bit
    const encoded = encodeLayer(layer);
    t.is(encoded.bits, sizeBits(shape, spec));
    t.is(encoded.bytes.length, Math.ceil(sizeBits(shape, spec) / 8));
    t.deepEqual(decodeLayer(encoded.bytes, shape, spec), layer, 'the decoded layer is the compressed layer');

    // the file: header + ceil(bits / 8) + fp32 bias; unpack gives back the same bits
    const bias = Float32Array.from({ length: shape[shape.length - 1] }, (_, i) => i / 7 - 0.5);
    const topology = { class_name: 'Sequential', config: { name: 'contract' } };
    const file = packModel({ topology, layers: [{ name: 'kernel', shape, spec, compressed: layer }], extra: [{ name: 'bias', shape: [bias.length], values: bias }] });
    const report = packedSizeReport(file);
    t.is(report.payloadBytes, Math.ceil(sizeBits(shape, spec) / 8) + 4 * bias.length);
    t.is(report.totalBytes, report.headerBytes + report.payloadBytes);
    t.is(file.length, report.totalBytes);
    const unpacked = unpackModel(file);
    t.deepEqual(unpacked.topology, topology);
    t.deepEqual(new Uint32Array(unpacked.tensors[0].values.buffer), new Uint32Array(layer.values.buffer), 'unpack(pack(x)) is x, bit for bit');
    t.deepEqual(unpacked.tensors[1].values, bias);
    // packing from the raw weights compresses the same way (deterministic for a seed)
    t.deepEqual(packModel({ topology, layers: [{ name: 'kernel', shape, spec, weights, seed: 7 }], extra: [{ name: 'bias', shape: [bias.length], values: bias }] }), file);

    t.is(tf.memory().numTensors, tensorsBefore, 'no tensor leaked');
  },
  title(provided, c: ContractCase) {
    return provided ?? `${describeSpec(c.spec)} on [${c.shape}]: shape, zeros, unique values, exact size and round trip hold`;
  },
});

/** The contract's pruning settings, crossed with CONTRACT_QUANTIZATIONS (every learner combination). */
export const CONTRACT_PRUNINGS: Array<Partial<LayerSpec>> = [
  { pruneRatio: 0 },
  { pruneRatio: 0.6, pruneKind: 'magnitude' },
  { pruneRatio: 0.95, pruneKind: 'magnitude' },
  { pruneRatio: 0.5, pruneKind: 'block', blockShape: [2, 2], blockPooling: 'max' },
  { pruneRatio: 0.8, pruneKind: 'block' },
  { pruneRatio: 0.5, pruneKind: '2:4' },
];

/** The contract's quantization and clustering settings. */
export const CONTRACT_QUANTIZATIONS: Array<Partial<LayerSpec>> = [
  { bits: 32 },
  { bits: 16 },
  { bits: 1 },
  { bits: 1, bucket: 'channel' },
  { bits: 2, bucket: 'split', bucketSize: 16, quantRange: 'minmax' },
  { bits: 3, bucket: 'channel', quantRange: 'mse' },
  { bits: 4, bucket: 'split', bucketSize: 16 },
  { bits: 8, bucket: 'channel' },
  { bits: 2, quantKind: 'nonuniform' },
  { bits: 3, quantKind: 'nonuniform', bucket: 'channel', clusterInit: 'linear' },
  { clusters: 2, clusterInit: 'linear', bits: 32 },
  { clusters: 8, clusterInit: 'kmeans++', bits: 4, clusterPerChannel: true },
  { clusters: 8, clusterInit: 'density', bits: 8, preserveSparsity: false },
  { clusters: 5, clusterInit: 'random', bits: 16 },
  { clusters: 3, clusterInit: 'kmeans++', bits: 2, preserveSparsity: false, clusterPerChannel: true },
  { clusters: 4, clusterInit: 'kmeans++', bits: 1, clusterPerChannel: true },
  { clusters: 6, clusterInit: 'linear', bits: 3, quantRange: 'minmax' },
];
