import test from 'ava';
import { type LayerSpec, layerSpec } from '../../learners/types.js';
import { learnerContract } from '../helpers/learner-contract.js';

// dense [in, out]; conv [kh, kw, cin, cout] with cin not a multiple of 4 and cout not a multiple of the block; 1-D
const shapes = [[24, 10], [3, 3, 5, 6], [2, 3]];

const prunings: Array<Partial<LayerSpec>> = [
  { pruneRatio: 0 },
  { pruneRatio: 0.6, pruneKind: 'magnitude' },
  { pruneRatio: 0.95, pruneKind: 'magnitude' },
  { pruneRatio: 0.5, pruneKind: 'block', blockShape: [2, 2], blockPooling: 'max' },
  { pruneRatio: 0.8, pruneKind: 'block' },
  { pruneRatio: 0.5, pruneKind: '2:4' },
];

const quantizations: Array<Partial<LayerSpec>> = [
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

for (const shape of shapes) {
  for (const p of prunings) {
    for (const q of quantizations) test(learnerContract, { shape, spec: layerSpec({ ...p, ...q }) });
  }
}
