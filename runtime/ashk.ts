/**
 * model.ashk where tfjs runs, a web page included: `tf.loadLayersModel(ashk(url or bytes))`. An IOHandler (tfjs's
 * loading interface) that fetches or takes the file, checks it exactly as the Node reader does (the shared
 * learners/pack-reader.ts and pack-topology.ts: header cap, schema, offsets, weight cap, topology against the tensor
 * table), decodes the kernels and hands tfjs the topology and fp32 weights. It imports no `node:` module and no tfjs
 * code (only its types): tfjs-core and tfjs-layers are the page's own, so the runtime stays a few kilobytes.
 */
import type { io } from '@tensorflow/tfjs-core';
import { ModelError } from '../errors.js';
import { checkPackedHeader, DEFAULT_READ_LIMITS, type PackedHeader, type ReadLimits, splitPackPrefix, type UnpackedTensor, unpackTensors } from '../learners/pack-reader.js';
import { checkPackedTopology } from '../learners/pack-topology.js';
import { type InflateChoice, inflateHeader } from './inflate.js';

export interface AshkOptions extends ReadLimits {
  /** The fetch to use for a URL. Default: the global fetch. */
  fetch?: (url: string) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
  /** 'fallback' always uses the hand-written inflate (for tests); default 'auto'. */
  inflate?: InflateChoice;
}

/** A model.ashk as a URL (string or URL) or its bytes. */
export type AshkSource = string | { href: string } | ArrayBuffer | Uint8Array;

/** A decoded model.ashk: its checked header and every tensor's fp32 values. */
export interface AshkModel {
  header: PackedHeader;
  tensors: UnpackedTensor[];
}

async function bytesOf(source: AshkSource, opts: AshkOptions): Promise<{ bytes: Uint8Array; label: string }> {
  if (source instanceof Uint8Array) return { bytes: source, label: '(bytes)' };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), label: '(bytes)' };
  const url = typeof source === 'string' ? source : source.href;
  const get = opts.fetch ?? (globalThis as { fetch?: AshkOptions['fetch'] }).fetch;
  if (!get) throw new ModelError(`cannot fetch ${url}: this runtime has no fetch; pass the file's bytes instead`);
  let response;
  try {
    response = await get(url);
  } catch (e) {
    throw new ModelError(`cannot fetch packed model ${url} (${(e as Error).message}); check the address`);
  }
  if (!response.ok) throw new ModelError(`cannot fetch packed model ${url}: HTTP ${response.status}; check the address`);
  return { bytes: new Uint8Array(await response.arrayBuffer()), label: url };
}

/** Check and decode a model.ashk's bytes; throws ModelError naming the first problem, as the Node reader does. */
export async function readAshk(bytes: Uint8Array, opts: AshkOptions = {}, label = '(bytes)'): Promise<AshkModel> {
  const limits = { ...DEFAULT_READ_LIMITS, ...opts };
  const { version, deflated, payloadStart } = splitPackPrefix(bytes);
  const inflated = await inflateHeader(deflated, limits.maxHeaderBytes, opts.inflate);
  const header = checkPackedHeader(inflated, { version, payloadStart, fileBytes: bytes.length }, limits);
  checkPackedTopology(header, label, limits.maxWeights);
  return { header, tensors: unpackTensors(bytes, header) };
}

type LayerConfig = { name?: unknown; depth_multiplier?: unknown };

/** Every layer config of a topology, wrappers' inner layers included, by name. */
function layerConfigs(topology: unknown): Map<string, LayerConfig> {
  const out = new Map<string, LayerConfig>();
  const visit = (l: unknown) => {
    const c = (l as { config?: LayerConfig & { layer?: unknown; layers?: unknown } } | null)?.config;
    if (!c || typeof c !== 'object') return;
    if (typeof c.name === 'string') out.set(c.name, c);
    if (c.layer) visit(c.layer);
    if (Array.isArray(c.layers)) c.layers.forEach(visit);
  };
  visit(topology);
  return out;
}

/**
 * The shape tfjs loads a tensor in: its stored shape, except a compressed depthwise kernel, stored [kh, kw, 1, c * m]
 * (the learners' storage shape), which loads as the layer's [kh, kw, c, m] (the same values in the same order).
 */
function loadShape(t: UnpackedTensor, configs: Map<string, LayerConfig>): number[] {
  const slash = t.name.lastIndexOf('/');
  if (t.shape.length !== 4 || t.shape[2] !== 1 || !t.name.endsWith('depthwise_kernel') || slash < 0) return t.shape;
  const owner = t.name.slice(0, slash).split('/').pop()!;
  const m = Number(configs.get(owner)?.depth_multiplier ?? 1);
  return [t.shape[0], t.shape[1], t.shape[3] / m, m];
}

/** The topology and weights tfjs's loadLayersModel takes, from a decoded model.ashk. */
export function ashkArtifacts(model: AshkModel): io.ModelArtifacts {
  const configs = layerConfigs(model.header.topology);
  const total = model.tensors.reduce((s, t) => s + t.values.length, 0);
  const data = new Float32Array(total);
  const weightSpecs: io.WeightsManifestEntry[] = [];
  let at = 0;
  for (const t of model.tensors) {
    data.set(t.values, at);
    at += t.values.length;
    weightSpecs.push({ name: t.name, shape: loadShape(t, configs), dtype: 'float32' });
  }
  const activations = model.header.activations ? { activations: model.header.activations } : undefined;
  return {
    modelTopology: model.header.topology as io.ModelArtifacts['modelTopology'],
    format: 'layers-model',
    generatedBy: 'autoshrink',
    weightSpecs,
    weightData: data.buffer,
    ...(activations ? { userDefinedMetadata: activations } : {}),
  };
}

/** A tfjs IOHandler for a model.ashk: `await tf.loadLayersModel(ashk('model.ashk'))`. */
export function ashk(source: AshkSource, opts: AshkOptions = {}): io.IOHandler {
  return {
    load: async () => {
      const { bytes, label } = await bytesOf(source, opts);
      return ashkArtifacts(await readAshk(bytes, opts, label));
    },
  };
}
