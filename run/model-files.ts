/**
 * The files a compressed model is written as, and read back from:
 *   <out>/tfjs/model.json + weights.bin   the dequantized weights in the standard tfjs format (any tfjs user loads it;
 *                                        fp32, so no smaller on disk: it is there for compatibility)
 *   <out>/model.ashk                      the bit-packed model (learners/model-pack.ts): really smaller
 * with the sizes side by side: analytic bits, packed bytes, gzip of the packed file, and the fp32 model and its gzip.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ModelError } from '../errors.js';
import type { LayerInfo } from '../env/layers.js';
import { saveModel } from '../env/models/model-io.js';
import type { CompressedLayer } from '../learners/compress-layer.js';
import { packedSizeReport, packModel, unpackModel } from '../learners/model-pack.js';
import { sizeBits } from '../learners/size.js';

export interface SizeReport {
  /** Bytes of model.ashk. */
  packedBytes: number;
  /** Of which the header (magic, version, topology JSON, tensor table). */
  headerBytes: number;
  payloadBytes: number;
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

/** Pack a model whose `compressed` layers hold compressed kernels (everything else stays fp32). */
export function packCompressedModel(model: tf.LayersModel, compressed: Array<{ layer: LayerInfo; compressed: CompressedLayer }>): Uint8Array {
  const kernelOf = new Map(compressed.map((c) => [weightName(model.getLayer(c.layer.name).weights[0]), c]));
  const layers = [];
  const extra = [];
  for (const w of model.weights) {
    const name = weightName(w);
    const c = kernelOf.get(name);
    if (c) layers.push({ name, shape: c.compressed.shape, spec: c.compressed.spec, compressed: c.compressed });
    else extra.push({ name, shape: w.shape as number[], values: w.read().dataSync() as Float32Array });
  }
  return packModel({ topology: model.toJSON(null, false), layers, extra });
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
    payloadBytes: report.payloadBytes,
    analyticPayloadBytes,
    gzipBytes: gzipSync(packed, { level: 9 }).length,
    fp32Bytes: fp32.length,
    fp32GzipBytes: gzipSync(fp32, { level: 9 }).length,
    ratio: fp32.length / packed.length,
  };
}

/** Load a model.ashk back into a tfjs LayersModel (dequantized weights). */
export async function loadPackedModel(path: string): Promise<tf.LayersModel> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new ModelError(`cannot read packed model ${path}; pass the model.ashk written by autoshrink apply`);
  }
  const { topology, tensors } = unpackModel(bytes);
  const model = await tf.models.modelFromJSON({ modelTopology: topology as tf.io.ModelArtifacts['modelTopology'] } as never);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const values = model.weights.map((w) => {
    const t = byName.get(weightName(w));
    if (!t) throw new ModelError(`packed model ${path} lacks tensor ${weightName(w)}`);
    // a depthwise kernel is stored as [kh, kw, 1, c * m] (env/layers.ts storageShape), the same flat order as the
    // layer's [kh, kw, c, m]: load it in the layer's own shape
    return tf.tensor(t.values, w.shape as number[]);
  });
  model.setWeights(values);
  values.forEach((v) => v.dispose());
  return model;
}
