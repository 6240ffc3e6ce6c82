/**
 * Packed model files for the reader tests: lenet5 packed as autoshrink writes it (3-bit, 50% pruned, entropy-coded
 * kernels, not fine-tuned), and the forger's tool that rewrites a file's header.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { compressModel, OriginalWeights } from '../../env/compress-model.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { compressibleLayers } from '../../env/layers.js';
import { buildModel } from '../../env/models/zoo.js';
import { layerSpec } from '../../learners/types.js';
import { packCompressedModel } from '../../run/final/model-files.js';

/** Rewrite a packed file's header (and optionally its prefix): the forger's tool. */
export function forge(file: Uint8Array, edit: (header: any) => void, raw?: Uint8Array): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const length = view.getUint32(6, true);
  const header = JSON.parse(inflateRawSync(file.subarray(10, 10 + length)).toString('utf8'));
  edit(header);
  const json = raw ?? deflateRawSync(Buffer.from(JSON.stringify(header)));
  const out = new Uint8Array(10 + json.length + file.length - 10 - length);
  out.set(file.subarray(0, 10));
  new DataView(out.buffer).setUint32(6, json.length, true);
  out.set(json, 10);
  out.set(file.subarray(10 + length), 10 + json.length);
  return out;
}

let lenet5: Promise<Uint8Array> | null = null;
/** A packed lenet5 (3-bit, 50% pruned, not fine-tuned), built once per process. */
export function lenet5File(): Promise<Uint8Array> {
  lenet5 ??= packLenet5();
  return lenet5;
}

async function packLenet5(): Promise<Uint8Array> {
  const model = buildModel('lenet5', [28, 28, 1], 10);
  const layers = compressibleLayers(model);
  const originals = new OriginalWeights(model, layers);
  const data = loadDataset('mnist', { seed: 1 });
  const compressed = await compressModel(model, originals, layers.map((layer) => ({ layer, spec: layerSpec({ bits: 3, pruneRatio: 0.5 }) })), data, { steps: 0, batchSize: 8, learningRate: 1e-3, seed: 1 });
  const file = packCompressedModel(model, compressed);
  originals.dispose();
  model.dispose();
  return file;
}
