/**
 * Sizes side by side for several strategies on the cached lenet5: the analytic bits (sizeBits of every kernel +
 * 32 per fp32 tensor), the packed file (model.ashk, header included), gzip of the packed file, and gzip of the fp32
 * model. No fine-tuning: sizes do not depend on it.
 *   npx tsx bench/sizes.ts [--workdir .autoshrink]
 */
import { gzipSync } from 'node:zlib';
import { selectBackend } from '../env/backend.js';
import { compressModel, OriginalWeights } from '../env/compress-model.js';
import { compressibleLayers } from '../env/layers.js';
import { packedSizeReport } from '../learners/model-pack.js';
import { sizeBits } from '../learners/size.js';
import { layerSpec, type LayerSpec } from '../learners/types.js';
import { packCompressedModel } from '../run/model-files.js';
import { prepare } from '../run/setup.js';
import { arg, table, writeResults } from './common.js';

const workdir = arg('workdir', '.autoshrink');
await selectBackend('wasm');
const { model, data } = await prepare({ model: 'lenet5', data: 'mnist', dataSeed: 1, workdir });
const layers = compressibleLayers(model);
const originals = new OriginalWeights(model, layers);
const fp32 = originals.fp32Bytes();
const fp32Gzip = gzipSync(fp32, { level: 9 }).length;
const kernelParams = layers.reduce((s, l) => s + l.params, 0);
const otherParams = fp32.length / 4 - kernelParams;

const strategies: Array<[string, (i: number) => Partial<LayerSpec>]> = [
  ['uniform 8-bit (channel)', () => ({ bits: 8, bucket: 'channel' })],
  ['uniform 4-bit (channel)', () => ({ bits: 4, bucket: 'channel' })],
  ['uniform 2-bit (tensor)', () => ({ bits: 2, bucket: 'none' })],
  ['16 clusters, fp32 codebook', () => ({ clusters: 16 })],
  ['50% pruned + 4-bit', () => ({ pruneRatio: 0.5, bits: 4, bucket: 'channel' })],
  ['90% pruned + 4-bit', () => ({ pruneRatio: 0.9, bits: 4, bucket: 'channel' })],
  ['75% pruned + 16 clusters + 6-bit codebook', () => ({ pruneRatio: 0.75, clusters: 16, bits: 6 })],
  ['mixed: convs 8-bit, fc1 90% + 3-bit, fc2 75% + 4-bit, fc3 6-bit', (i) => [{ bits: 8 }, { bits: 8 }, { pruneRatio: 0.9, bits: 3 }, { pruneRatio: 0.75, bits: 4 }, { bits: 6 }][i]],
];
const rows: Array<Array<string | number>> = [];
for (const [name, specOf] of strategies) {
  const plan = layers.map((layer, i) => ({ layer, spec: layerSpec({ bucket: 'channel', ...specOf(i) }) }));
  const compressed = await compressModel(model, originals, plan, data, { steps: 0, batchSize: 64, learningRate: 1e-3, seed: 1 });
  const analyticBits = plan.reduce((s, p) => s + sizeBits(p.layer.storageShape, p.spec), 0) + 32 * otherParams;
  const packed = packCompressedModel(model, compressed);
  const report = packedSizeReport(packed);
  const gz = gzipSync(packed, { level: 9 }).length;
  rows.push([name, analyticBits, Math.ceil(analyticBits / 8), report.payloadBytes, report.headerBytes, packed.length, gz, fp32.length, fp32Gzip, `${(fp32.length / packed.length).toFixed(1)}x`]);
  process.stdout.write(`${rows[rows.length - 1].join('  ')}\n`);
}
writeResults(
  'bench/results/sizes.md',
  'Sizes of lenet5 under several strategies: analytic, packed, gzip',
  'npx tsx bench/sizes.ts',
  'Analytic bits = sizeBits of every kernel + 32 bits per other tensor value (biases); the payload of model.ashk rounds each ' +
    'kernel up to whole bytes, so payload bytes = sum of ceil(kernel bits / 8) + 4 per fp32 value (at most 5 bytes above ' +
    'ceil(analytic / 8) for lenet5\'s 5 kernels). The header is the deflated topology and tensor table.\n\n' +
    table(['strategy', 'analytic bits', 'ceil(analytic / 8)', 'payload bytes', 'header bytes', 'model.ashk bytes', 'gzip of model.ashk', 'fp32 bytes', 'gzip of fp32', 'fp32 / model.ashk'], rows),
);
originals.dispose();
