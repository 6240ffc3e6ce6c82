/**
 * Save and load tfjs LayersModels as a folder (`model.json` + weight shards) with plain `node:fs`, so it works on
 * every backend (tfjs-node's `file://` handler is not always installed). The format is the standard tfjs
 * "layers-model" format: anything tfjs.loadLayersModel reads, we read, and what tensorflowjs_converter writes from
 * tf.keras 2 and Keras 3 (keras-topology.ts); anything we write, tfjs reads.
 */
import * as tf from '../../tfjs.js';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ModelError } from '../../errors.js';
import { normalizeKerasTopology, normalizeWeightNames } from './keras-topology.js';
import { inlineNestedSequentials } from './nested-models.js';

interface ModelJson {
  modelTopology: object;
  format?: string;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  [key: string]: unknown;
}

function weightBytes(specs: tf.io.WeightsManifestEntry[]): number {
  const size: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };
  return specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * (size[s.quantization?.dtype ?? s.dtype] ?? 4), 0);
}

/** Write `dir/model.json` and `dir/weights.bin`. Returns the bytes written. */
export async function saveModel(model: tf.LayersModel, dirArg: string): Promise<{ modelJson: string; weightsBytes: number }> {
  const dir = resolve(dirArg);
  mkdirSync(dir, { recursive: true });
  let weightsBytes = 0;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const buffer = data === undefined ? new ArrayBuffer(0) : Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
      weightsBytes = buffer.byteLength;
      const json: ModelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: 'autoshrink',
        modelTopology: artifacts.modelTopology as object,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(buffer));
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return { modelJson: join(dir, 'model.json'), weightsBytes };
}

/** Load a LayersModel from a `model.json` path (or the folder holding one). Errors are one line and name the file. */
export async function loadModel(pathArg: string): Promise<tf.LayersModel> {
  let path = resolve(pathArg);
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'model.json');
  if (!existsSync(path)) throw new ModelError(`model file ${path} does not exist; pass a tfjs model.json or a built-in name (lenet5, mlp, mobilenet-tiny)`);
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as ModelJson;
  } catch (e) {
    throw new ModelError(`${path} is not valid JSON (${(e as Error).message}); re-export the model with model.save()`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelError(`${path} is not a tfjs layers model (no modelTopology/weightsManifest); graph models are not supported`);
  }
  // converter output from tf.keras 2 and Keras 3 (keras-topology.ts); tfjs's own model.json passes unchanged
  let modelTopology: object;
  try {
    modelTopology = inlineNestedSequentials(normalizeKerasTopology(json.modelTopology)) as object;
  } catch (e) {
    if (e instanceof ModelError) throw new ModelError(`${path}: ${e.message}`);
    throw e;
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    const parts: ArrayBuffer[] = [];
    for (const shard of group.paths) {
      const shardPath = join(dirname(path), shard);
      if (!existsSync(shardPath)) throw new ModelError(`weight shard ${shardPath} named in ${path} is missing; copy it next to model.json`);
      const b = readFileSync(shardPath);
      parts.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    }
    const joined = tf.io.concatenateArrayBuffers(parts);
    const expected = weightBytes(group.weights);
    if (joined.byteLength !== expected) {
      throw new ModelError(`weight shards of ${path} hold ${joined.byteLength} bytes but the manifest needs ${expected}; a shard is truncated or from another model`);
    }
    buffers.push(joined);
  }
  const names = normalizeWeightNames(specs.map((s) => s.name), modelTopology);
  const renamed = specs.map((s, i) => ({ ...s, name: names[i] }));
  try {
    return await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology, weightSpecs: renamed, weightData: tf.io.concatenateArrayBuffers(buffers) }),
    );
  } catch (e) {
    // tfjs's unknown-class error goes on to list reasons on further lines: keep its first sentence and say the fix
    const first = (e as Error).message.split('\n')[0].replace(/\.?\s*This may be due to one of the following reasons:\s*$/, '');
    const fix = /^Unknown (layer|activation|initializer|regularizer|constraint)/.test(first) ? "; autoshrink builds tfjs-layers' own classes only: rebuild the model without the custom class" : '';
    throw new ModelError(`cannot build the model in ${path}: ${first}${fix}`);
  }
}
