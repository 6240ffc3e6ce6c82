/**
 * Sizes side by side for several strategies on the cached lenet5: the analytic bits (sizeBits of every kernel +
 * 32 per fp32 tensor), the packed file (model.ashk, header included) at fixed width and entropy-coded, gzip of the
 * packed file, gzip of the fp32 model, and the quantized tfjs export with its test accuracy beside model.ashk's.
 * No fine-tuning: sizes do not depend on it.
 *   npx tsx bench/sizes.ts [--workdir .autoshrink]
 */
import { gzipSync } from 'node:zlib';
import { selectBackend } from '../env/backend.js';
import { compressModel, OriginalWeights } from '../env/compress-model.js';
import { compressibleLayers } from '../env/layers.js';
import { packedSizeReport } from '../learners/model-pack.js';
import { sizeBits } from '../learners/size.js';
import { layerSpec, type LayerSpec } from '../learners/types.js';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { evaluateAccuracy } from '../env/evaluate.js';
import { exportQuantizedTfjs, packCompressedModel } from '../run/final/model-files.js';
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
const tfjsRows: Array<Array<string | number>> = [];
const scratch = mkdtempSync(join(tmpdir(), 'autoshrink-sizes-'));
const baselineTest = await evaluateAccuracy(model, data.test, data.inputShape);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
for (const [name, specOf] of strategies) {
  const plan = layers.map((layer, i) => ({ layer, spec: layerSpec({ bucket: 'channel', ...specOf(i) }) }));
  const compressed = await compressModel(model, originals, plan, data, { steps: 0, batchSize: 64, learningRate: 1e-3, seed: 1 });
  const analyticBits = plan.reduce((s, p) => s + sizeBits(p.layer.storageShape, p.spec), 0) + 32 * otherParams;
  const fixed = packCompressedModel(model, compressed, { entropy: false });
  const packed = packCompressedModel(model, compressed);
  const report = packedSizeReport(packed);
  const gz = gzipSync(packed, { level: 9 }).length;
  const saved = 1 - report.payloadBytes / report.fixedPayloadBytes;
  rows.push([name, analyticBits, Math.ceil(analyticBits / 8), report.fixedPayloadBytes, report.payloadBytes, `${(100 * saved).toFixed(1)}%`, report.headerBytes, fixed.length, packed.length, gz, fp32.length, fp32Gzip, `${(fp32.length / fixed.length).toFixed(1)}x`, `${(fp32.length / packed.length).toFixed(1)}x`]);
  process.stdout.write(`${rows[rows.length - 1].join('  ')}\n`);
  const test = await evaluateAccuracy(model, data.test, data.inputShape);
  // the export's storage types are chosen on validation; the test split only reports
  const validation = await evaluateAccuracy(model, data.validation, data.inputShape);
  const tfjs = await exportQuantizedTfjs(model, join(scratch, 'tfjs'), { choose: data.validation, targetAccuracy: validation, report: data.test, inputShape: data.inputShape });
  tfjsRows.push([name, packed.length, pct(test), tfjs.bytes, `${tfjs.uint8} / ${tfjs.float16}`, pct(tfjs.testAccuracy), `${(100 * (tfjs.testAccuracy - test)).toFixed(2)}`]);
  process.stdout.write(`${tfjsRows[tfjsRows.length - 1].join('  ')}\n`);
}
rmSync(scratch, { recursive: true, force: true });
writeResults(
  'bench/results/sizes.md',
  'Sizes of lenet5 under several strategies: analytic, packed, gzip',
  'npx tsx bench/sizes.ts',
  'Analytic bits = sizeBits of every kernel + 32 bits per other tensor value (biases); the fixed-width payload of model.ashk ' +
    'rounds each kernel up to whole bytes, so it is sum of ceil(kernel bits / 8) + 4 per fp32 value (at most 5 bytes above ' +
    'ceil(analytic / 8) for lenet5\'s 5 kernels): the size budget counts this. The coded payload is what model.ashk (format ' +
    'version 2) holds: each kernel\'s entries rANS-coded where that is smaller. The header is the deflated topology and ' +
    'tensor table. gzip is of the coded file.\n\n' +
    table(['strategy', 'analytic bits', 'ceil(analytic / 8)', 'fixed payload', 'coded payload', 'saved', 'header bytes', 'model.ashk fixed', 'model.ashk coded', 'gzip of model.ashk', 'fp32 bytes', 'gzip of fp32', 'fp32 / fixed', 'fp32 / coded'], rows) +
    `\n\nThe quantized tfjs export of the same weights (tfjs/model.json + weights.bin, uint8 per tensor unless validation accuracy ` +
    `drops more than 0.1 point below model.ashk's, then float16), loaded back with plain tf.loadLayersModel; no fine-tuning, ` +
    `so accuracies are those of the raw compressed weights. fp32 lenet5: ${fp32.length} bytes of weights, test ${pct(baselineTest)}.\n\n` +
    table(['strategy', 'model.ashk bytes', 'model.ashk test', 'tfjs bytes', 'uint8 / float16 tensors', 'tfjs test', 'change (points)'], tfjsRows),
);
originals.dispose();
