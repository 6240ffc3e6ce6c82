/**
 * The files a compressed model is written as, and read back from:
 *   <out>/tfjs/model.json + weights.bin   the weights in the standard tfjs format with tfjs's own weight quantization
 *                                        (`quantization: {dtype, min, scale}`), so plain tf.loadLayersModel reads it:
 *                                        uint8 per tensor where the VALIDATION accuracy stays within 0.1 point
 *                                        of model.ashk's, float16 for the tensors that need more
 *   <out>/model.ashk                      the bit-packed model (learners/model-pack.ts), entropy-coded: really smaller
 * with the sizes side by side: analytic bits, packed bytes at fixed width and as coded, gzip of the packed file, and
 * the fp32 model and its gzip. Reading a model.ashk checks the file against its own topology before building it.
 */
import * as tf from '../../tfjs.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ModelError } from '../../errors.js';
import { formatBytes } from '../../units.js';
import { kernelVariable, type LayerInfo } from '../../env/layers.js';
import type { DataSplit } from '../../env/data/dataset.js';
import { evaluateAccuracy } from '../../env/evaluate.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../learners/rounding.js';
import type { CompressedLayer } from '../../learners/compress-layer.js';
import { type ActivationRecord, DEFAULT_READ_LIMITS, type PackedHeader, packedSizeReport, packModel, type ReadLimits, readPackedHeader, unpackTensors } from '../../learners/model-pack.js';
import { checkPackedTopology } from '../../learners/pack-topology.js';
import { sizeBits } from '../../learners/size.js';

export interface SizeReport {
  /** Bytes of model.ashk, as written (kernels entropy-coded where that is smaller). */
  packedBytes: number;
  /** Of which the header (magic, version, topology JSON, tensor table). */
  headerBytes: number;
  /** The payload with every kernel at fixed width: what the budget counts, the guaranteed upper bound. */
  payloadBytes: number;
  /** The payload as written; at most `payloadBytes`. */
  codedPayloadBytes: number;
  /** The file had every kernel been written at fixed width: `headerBytes + payloadBytes`. */
  fixedPackedBytes: number;
  /** The analytic accounting: kernels at ceil(sizeBits / 8) plus fp32 tensors; equals payloadBytes. */
  analyticPayloadBytes: number;
  gzipBytes: number;
  /** The uncompressed model: 4 bytes a weight, and its gzip. */
  fp32Bytes: number;
  fp32GzipBytes: number;
  /** Compression ratio fp32 / packed file. */
  ratio: number;
  /** Bytes of model.ashk holding fp32 tensors (biases, normalisation, kernels left at full precision), and their share
   * of the file. */
  fp32TensorBytes: number;
  fp32Share: number;
}

/**
 * One line for the final report, e.g. "model.ashk 25.80 kB: fp32 tensors 1.20 kB (4.7%: biases, normalisation,
 * layers left at full precision), header 1.02 kB (4.0%), compressed kernels the rest".
 */
export function describeFp32Share(sizes: Pick<SizeReport, 'fp32TensorBytes' | 'packedBytes' | 'fp32Share' | 'headerBytes'>): string {
  const pct = (n: number) => `${((100 * n) / sizes.packedBytes).toFixed(1)}%`;
  return (
    `model.ashk ${formatBytes(sizes.packedBytes)}: fp32 tensors ${formatBytes(sizes.fp32TensorBytes)} (${pct(sizes.fp32TensorBytes)}: biases, ` +
    `normalisation, layers left at full precision), header ${formatBytes(sizes.headerBytes)} (${pct(sizes.headerBytes)}), compressed kernels the rest`
  );
}

function weightName(v: tf.LayerVariable): string {
  return v.originalName ?? v.name;
}

/**
 * Pack a model whose `compressed` layers hold compressed kernels (everything else stays fp32). Kernels are
 * entropy-coded where that is smaller, unless `entropy` is false.
 */
export function packCompressedModel(model: tf.LayersModel, compressed: Array<{ layer: LayerInfo; compressed: CompressedLayer }>, opts: { entropy?: boolean; activations?: ActivationRecord[] } = {}): Uint8Array {
  const kernelOf = new Map(compressed.map((c) => [weightName(kernelVariable(model, c.layer)), c]));
  const layers = [];
  const extra = [];
  for (const w of model.weights) {
    const name = weightName(w);
    const c = kernelOf.get(name);
    if (c) layers.push({ name, shape: c.compressed.shape, spec: c.compressed.spec, compressed: c.compressed });
    else extra.push({ name, shape: w.shape as number[], values: w.read().dataSync() as Float32Array });
  }
  return packModel({ topology: model.toJSON(null, false), layers, extra, activations: opts.activations }, { entropy: opts.entropy ?? true });
}

/** Write model.ashk into `out` and report its sizes (the tfjs export is `exportQuantizedTfjs`). */
export async function writeModelFiles(
  model: tf.LayersModel,
  compressed: Array<{ layer: LayerInfo; compressed: CompressedLayer }>,
  out: string,
  /** The uncompressed model's weights as one fp32 buffer (for the fp32 size and its gzip). */
  fp32: Uint8Array,
  /** Activation bits and frozen ranges to record in the header (the abits knob). */
  activations?: ActivationRecord[],
): Promise<SizeReport> {
  const packed = packCompressedModel(model, compressed, { activations });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'model.ashk'), packed);
  const report = packedSizeReport(packed);
  const byKernel = new Map(compressed.map((c) => [weightName(kernelVariable(model, c.layer)), c.compressed]));
  const analyticPayloadBytes = model.weights.reduce((s, w) => {
    const c = byKernel.get(weightName(w));
    return s + (c ? Math.ceil(sizeBits(c.shape, c.spec) / 8) : 4 * (w.shape as number[]).reduce((a, b) => a * b, 1));
  }, 0);
  return {
    packedBytes: packed.length,
    headerBytes: report.headerBytes,
    payloadBytes: report.fixedPayloadBytes,
    codedPayloadBytes: report.payloadBytes,
    fixedPackedBytes: report.headerBytes + report.fixedPayloadBytes,
    analyticPayloadBytes,
    gzipBytes: gzipSync(packed, { level: 9 }).length,
    fp32Bytes: fp32.length,
    fp32GzipBytes: gzipSync(fp32, { level: 9 }).length,
    ratio: fp32.length / packed.length,
    fp32TensorBytes: report.fp32Bytes,
    fp32Share: report.fp32Bytes / packed.length,
  };
}

/** Load a model.ashk back into a tfjs LayersModel (dequantized weights). Nothing the file claims is trusted. */
export async function loadPackedModel(path: string, limits: ReadLimits = {}): Promise<tf.LayersModel> {
  const maxWeights = limits.maxWeights ?? DEFAULT_READ_LIMITS.maxWeights;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new ModelError(`cannot read packed model ${path}; pass the model.ashk written by autoshrink apply`);
  }
  const header = readPackedHeader(bytes, limits);
  checkPackedTopology(header, path, maxWeights);
  let model: tf.LayersModel;
  try {
    model = await tf.models.modelFromJSON({ modelTopology: header.topology as tf.io.ModelArtifacts['modelTopology'] } as never);
  } catch (e) {
    throw new ModelError(`packed model ${path}: tfjs cannot build its topology (${(e as Error).message.split('\n')[0]})`);
  }
  try {
    const byName = new Map(header.tensors.map((t) => [t.name, t]));
    const names = new Set(model.weights.map(weightName));
    for (const w of model.weights) {
      const t = byName.get(weightName(w));
      if (!t) throw new ModelError(`packed model ${path} lacks tensor ${weightName(w)}`);
      // a depthwise kernel is stored as [kh, kw, 1, c * m] (env/layers.ts storageShape), the same flat order as the
      // layer's [kh, kw, c, m]: it is loaded in the layer's own shape
      const shape = w.shape as number[];
      const same = t.shape.join() === shape.join() || (shape.length === 4 && t.shape.join() === [shape[0], shape[1], 1, shape[2] * shape[3]].join());
      if (!same) throw new ModelError(`packed model ${path}: tensor ${t.name} is [${t.shape}] where the model's weight is [${shape}]`);
    }
    const stray = header.tensors.find((t) => !names.has(t.name));
    if (stray) throw new ModelError(`packed model ${path} holds tensor ${stray.name}, which its topology has no weight for`);
    const byTensor = new Map(unpackTensors(bytes, header).map((t) => [t.name, t]));
    const values = model.weights.map((w) => tf.tensor(byTensor.get(weightName(w))!.values, w.shape as number[]));
    model.setWeights(values);
    values.forEach((v) => v.dispose());
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** A tensor in tfjs's weight-quantization format: uint8 codes on one affine grid, or float16. */
type TfjsDtype = 'uint8' | 'float16';

interface QuantizedTensor {
  dtype: TfjsDtype;
  bytes: Uint8Array;
  /** What tf.loadLayersModel will load: `code * scale + min`, or the float16 value. */
  values: Float32Array;
  quantization: { dtype: TfjsDtype; min?: number; scale?: number };
}

/**
 * uint8 on the tensor's [min, max] with zero exactly on the grid (as tfjs's converter nudges it), so pruned weights
 * load as exact zeros; tfjs dequantizes `code * scale + min`.
 */
function uint8Tensor(v: Float32Array): QuantizedTensor {
  let lo = 0;
  let hi = 0;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const min = -Math.round(-lo / scale) * scale;
  const codes = Uint8Array.from(v, (x) => Math.max(0, Math.min(255, Math.round((x - min) / scale))));
  return { dtype: 'uint8', bytes: codes, values: Float32Array.from(codes, (c) => c * scale + min), quantization: { dtype: 'uint8', min, scale } };
}

function float16Tensor(v: Float32Array): QuantizedTensor {
  const bits = Uint16Array.from(v, (x) => float32ToFloat16Bits(x));
  return { dtype: 'float16', bytes: new Uint8Array(bits.buffer), values: Float32Array.from(bits, (h) => float16BitsToFloat32(h)), quantization: { dtype: 'float16' } };
}

export interface TfjsExport {
  /** model.json plus weights.bin. */
  bytes: number;
  weightsBytes: number;
  /** Test accuracy of the export as plain tf.loadLayersModel loads it (measured after its storage types were chosen
   * on validation). */
  testAccuracy: number;
  /** Tensors per storage type. */
  uint8: number;
  float16: number;
}

export interface TfjsExportOptions {
  /** The images the storage types are chosen on: validation, never test (choosing on the test split and then
   * reporting test accuracy would report a choice fitted to the test images). */
  choose: DataSplit;
  /** model.ashk's accuracy on `choose`: the export keeps within 0.1 point of it. */
  targetAccuracy: number;
  /** The images the export's accuracy is reported on, after the choice (the test split). */
  report: DataSplit;
  inputShape: number[];
}

/**
 * Write `<dir>/model.json` and `weights.bin` of `model` in tfjs's quantized weight format. Every tensor starts at
 * uint8; while the accuracy on `choose` is more than 0.1 point below `targetAccuracy` (model.ashk's), the tensors that
 * lose most to uint8 (relative squared error) move to float16, 1, 2, 4, ... of them. Only then is the written export
 * scored on `report`. The model's weights are left as given.
 */
export async function exportQuantizedTfjs(model: tf.LayersModel, dir: string, opts: TfjsExportOptions): Promise<TfjsExport> {
  const { choose: chooseOn, targetAccuracy, report, inputShape } = opts;
  const originals = model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  const u8 = originals.map(uint8Tensor);
  const error = originals.map((v, i) => {
    let e = 0;
    let norm = 1e-30;
    for (let j = 0; j < v.length; j++) {
      e += (u8[i].values[j] - v[j]) ** 2;
      norm += v[j] ** 2;
    }
    return e / norm;
  });
  const order = originals.map((_, i) => i).sort((a, b) => error[b] - error[a]);
  const choose = (wide: number) => {
    const f16 = new Set(order.slice(0, wide));
    return originals.map((v, i) => (f16.has(i) ? float16Tensor(v) : u8[i]));
  };
  const accuracyOf = async (tensors: QuantizedTensor[]) => {
    const values = tensors.map((t, i) => tf.tensor(t.values, model.weights[i].shape as number[]));
    model.setWeights(values);
    values.forEach((v) => v.dispose());
    return evaluateAccuracy(model, chooseOn, inputShape);
  };
  let chosen = choose(0);
  try {
    for (let wide = 0; ; wide = Math.min(originals.length, Math.max(1, 2 * wide))) {
      chosen = choose(wide);
      if (wide === originals.length || (await accuracyOf(chosen)) >= targetAccuracy - 0.001) break;
    }
  } finally {
    const back = originals.map((v, i) => tf.tensor(v, model.weights[i].shape as number[]));
    model.setWeights(back);
    back.forEach((v) => v.dispose());
  }
  mkdirSync(dir, { recursive: true });
  const weightsBin = new Uint8Array(chosen.reduce((n, t) => n + t.bytes.length, 0));
  let at = 0;
  for (const t of chosen) {
    weightsBin.set(t.bytes, at);
    at += t.bytes.length;
  }
  const weightSpecs = model.weights.map((w, i) => ({ name: weightName(w), shape: w.shape as number[], dtype: 'float32' as const, quantization: chosen[i].quantization }));
  const json = JSON.stringify({
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: 'autoshrink',
    modelTopology: model.toJSON(null, false),
    weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }],
  });
  writeFileSync(join(dir, 'weights.bin'), weightsBin);
  writeFileSync(join(dir, 'model.json'), json);
  // measured as any tfjs user loads it: the files read back, dequantized by tfjs itself
  const written = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
  const bin = readFileSync(join(dir, 'weights.bin'));
  const loaded = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: written.modelTopology, weightSpecs: written.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer }),
  );
  try {
    return {
      bytes: Buffer.byteLength(json) + weightsBin.length,
      weightsBytes: weightsBin.length,
      testAccuracy: await evaluateAccuracy(loaded, report, inputShape),
      uint8: chosen.filter((t) => t.dtype === 'uint8').length,
      float16: chosen.filter((t) => t.dtype === 'float16').length,
    };
  } finally {
    loaded.dispose();
  }
}
