/**
 * The learners on the cached lenet5 (bundled MNIST): uniform 8/4/2-bit, 50/75/90% sparsity, 16/8/4 clusters and
 * combined prune+cluster+quantize settings, each applied to every layer. For each: validation accuracy right after
 * compression and after a short fine-tune, and the real bytes of the packed file against the fp32 model.
 *   npx tsx bench/learners.ts [--steps 300] [--workdir .autoshrink]
 */
import { gzipSync } from 'node:zlib';
import { selectBackend } from '../env/backend.js';
import { compressModel, OriginalWeights } from '../env/compress-model.js';
import { evaluateAccuracy } from '../env/evaluate.js';
import { compressibleLayers } from '../env/layers.js';
import { layerSpec, type LayerSpec } from '../learners/types.js';
import { packCompressedModel } from '../run/final/model-files.js';
import { prepare } from '../run/setup.js';
import { arg, table, writeResults } from './common.js';

const steps = Number(arg('steps', '300'));
const workdir = arg('workdir', '.autoshrink');
await selectBackend('wasm');
const { model, data } = await prepare({ model: 'lenet5', data: 'mnist', dataSeed: 1, workdir });
const layers = compressibleLayers(model);
const originals = new OriginalWeights(model, layers);
const fp32 = originals.fp32Bytes().length;
const fp32Gzip = gzipSync(originals.fp32Bytes(), { level: 9 }).length;
const base = await evaluateAccuracy(model, data.validation, data.inputShape);

const settings: Array<[string, Partial<LayerSpec>]> = [
  ['uniform 8-bit', { bits: 8, bucket: 'channel' }],
  ['uniform 4-bit', { bits: 4, bucket: 'channel' }],
  ['uniform 2-bit', { bits: 2, bucket: 'channel' }],
  ['50% sparsity', { pruneRatio: 0.5 }],
  ['75% sparsity', { pruneRatio: 0.75 }],
  ['90% sparsity', { pruneRatio: 0.9 }],
  ['16 clusters', { clusters: 16 }],
  ['8 clusters', { clusters: 8 }],
  ['4 clusters', { clusters: 4 }],
  ['75% prune + 16 clusters + 8-bit codebook', { pruneRatio: 0.75, clusters: 16, bits: 8 }],
  ['90% prune + 8 clusters + 8-bit codebook', { pruneRatio: 0.9, clusters: 8, bits: 8 }],
  ['90% prune + 4-bit channel', { pruneRatio: 0.9, bits: 4, bucket: 'channel' }],
];

const rows: Array<Array<string | number>> = [];
for (const [name, partial] of settings) {
  const spec = layerSpec({ clusterInit: 'kmeans++', preserveSparsity: true, ...partial });
  const plan = layers.map((layer) => ({ layer, spec }));
  await compressModel(model, originals, plan, data, { steps: 0, batchSize: 64, learningRate: 5e-4, seed: 1 });
  const before = await evaluateAccuracy(model, data.validation, data.inputShape);
  const compressed = await compressModel(model, originals, plan, data, { steps, batchSize: 64, learningRate: 5e-4, seed: 1 });
  const after = await evaluateAccuracy(model, data.validation, data.inputShape);
  const packed = packCompressedModel(model, compressed);
  const gz = gzipSync(packed, { level: 9 }).length;
  rows.push([name, `${(before * 100).toFixed(2)}%`, `${(after * 100).toFixed(2)}%`, packed.length, gz, `${(fp32 / packed.length).toFixed(1)}x`]);
  process.stdout.write(`${rows[rows.length - 1].join('  ')}\n`);
}

writeResults(
  'bench/results/learners.md',
  'Learners on lenet5 (every layer the same setting)',
  `npx tsx bench/learners.ts --steps ${steps}`,
  `Baseline validation accuracy ${(base * 100).toFixed(2)}% (1000 validation images); fp32 model ${fp32} bytes (gzip ${fp32Gzip}).\n` +
    `"after" = after ${steps} fine-tune steps (batch 64, Adam 5e-4, straight-through estimator, masks and clusters kept).\n` +
    'Packed bytes include the file header (topology JSON and tensor table); biases are fp32.\n\n' +
    table(['setting', 'acc before fine-tune', `acc after ${steps} steps`, 'packed bytes', 'gzip of packed', 'fp32 / packed'], rows),
);
originals.dispose();
