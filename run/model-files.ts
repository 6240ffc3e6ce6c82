/**
 * The files a compressed model is written as, and read back from:
 *   <out>/tfjs/model.json + weights.bin   the dequantized weights in the standard tfjs format (any tfjs user loads it;
 *                                        fp32, so no smaller on disk: it is there for compatibility)
 *   <out>/model.ashk                      the bit-packed model (learners/model-pack.ts), entropy-coded: really smaller
 * with the sizes side by side: analytic bits, packed bytes at fixed width and as coded, gzip of the packed file, and
 * the fp32 model and its gzip. Reading a model.ashk checks the file against its own topology before building it.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ModelError } from '../errors.js';
import type { LayerInfo } from '../env/layers.js';
import { saveModel } from '../env/models/model-io.js';
import type { CompressedLayer } from '../learners/compress-layer.js';
import { DEFAULT_READ_LIMITS, type PackedHeader, packedSizeReport, packModel, type ReadLimits, readPackedHeader, unpackTensors } from '../learners/model-pack.js';
import { sizeBits } from '../learners/size.js';

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
}

function weightName(v: tf.LayerVariable): string {
  return v.originalName ?? v.name;
}

/**
 * Pack a model whose `compressed` layers hold compressed kernels (everything else stays fp32). Kernels are
 * entropy-coded where that is smaller, unless `entropy` is false.
 */
export function packCompressedModel(model: tf.LayersModel, compressed: Array<{ layer: LayerInfo; compressed: CompressedLayer }>, opts: { entropy?: boolean } = {}): Uint8Array {
  const kernelOf = new Map(compressed.map((c) => [weightName(model.getLayer(c.layer.name).weights[0]), c]));
  const layers = [];
  const extra = [];
  for (const w of model.weights) {
    const name = weightName(w);
    const c = kernelOf.get(name);
    if (c) layers.push({ name, shape: c.compressed.shape, spec: c.compressed.spec, compressed: c.compressed });
    else extra.push({ name, shape: w.shape as number[], values: w.read().dataSync() as Float32Array });
  }
  return packModel({ topology: model.toJSON(null, false), layers, extra }, { entropy: opts.entropy ?? true });
}

export async function writeModelFiles(
  model: tf.LayersModel,
  compressed: Array<{ layer: LayerInfo; compressed: CompressedLayer }>,
  out: string,
  /** The uncompressed model's weights as one fp32 buffer (for the fp32 size and its gzip). */
  fp32: Uint8Array,
): Promise<SizeReport> {
  await saveModel(model, join(out, 'tfjs'));
  const packed = packCompressedModel(model, compressed);
  writeFileSync(join(out, 'model.ashk'), packed);
  const report = packedSizeReport(packed);
  const byKernel = new Map(compressed.map((c) => [weightName(model.getLayer(c.layer.name).weights[0]), c.compressed]));
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
  };
}

const MAX_TOPOLOGY_LAYERS = 10000;

type LayerJson = { class_name?: unknown; config?: Record<string, unknown> };

/**
 * The checks of a packed model's topology that need no tfjs model: it lists its layers, every input shape holds at
 * most `maxWeights` values, and every Dense, Conv2D and DepthwiseConv2D layer has its kernel in the tensor table with
 * the units, filters, kernel size and depth multiplier its config names. So a forged topology cannot ask tfjs to build
 * kernels the table does not hold (the exact shapes are compared once the model is built, before any weight is read).
 */
function checkTopology(header: PackedHeader, path: string, maxWeights: number): void {
  const bad = (what: string) => new ModelError(`packed model ${path}: ${what}; the file is corrupt or not written by autoshrink`);
  const topo = header.topology as { class_name?: unknown; config?: unknown } | null;
  const config = topo && typeof topo === 'object' ? topo.config : undefined;
  const layers = Array.isArray(config) ? config : (config as { layers?: unknown } | undefined)?.layers;
  if (!topo || typeof topo.class_name !== 'string' || !Array.isArray(layers)) throw bad('its topology is not a tfjs layers model');
  if (layers.length > MAX_TOPOLOGY_LAYERS) throw bad(`its topology has ${layers.length} layers (at most ${MAX_TOPOLOGY_LAYERS})`);
  const table = new Map(header.tensors.map((t) => [t.name, t.shape]));
  const ints = (x: unknown) => (Array.isArray(x) ? x : [x]).map(Number);
  for (const l of layers as LayerJson[]) {
    const c = l?.config;
    if (!c || typeof c !== 'object' || typeof l.class_name !== 'string') throw bad('a layer of its topology has no class or config');
    const input = c.batch_input_shape ?? c.batchInputShape;
    if (input !== undefined) {
      const dims = Array.isArray(input) ? input.filter((d) => d !== null) : [NaN];
      if (!dims.every((d) => Number.isInteger(d) && d >= 1) || dims.reduce((a: number, d) => a * (d as number), 1) > maxWeights) {
        throw bad(`layer ${String(c.name)} has input shape [${String(input)}]`);
      }
    }
    const cls = l.class_name;
    if (cls !== 'Dense' && cls !== 'Conv2D' && cls !== 'DepthwiseConv2D') continue;
    const kernel = table.get(`${String(c.name)}/${cls === 'DepthwiseConv2D' ? 'depthwise_kernel' : 'kernel'}`);
    if (!kernel) throw bad(`layer ${String(c.name)} has no kernel in the tensor table`);
    const last = kernel[kernel.length - 1];
    const ok =
      cls === 'Dense'
        ? kernel.length === 2 && c.units === last
        : kernel.length === 4 &&
          ints(c.kernel_size).length <= 2 &&
          kernel[0] === ints(c.kernel_size)[0] &&
          kernel[1] === (ints(c.kernel_size)[1] ?? kernel[0]) &&
          (cls === 'Conv2D' ? c.filters === last : kernel[2] === 1 && Number.isInteger(last / Number(c.depth_multiplier ?? 1)));
    if (!ok) throw bad(`layer ${String(c.name)}'s config does not match its kernel [${kernel}] in the tensor table`);
  }
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
  checkTopology(header, path, maxWeights);
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
