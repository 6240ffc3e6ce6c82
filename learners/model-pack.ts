/**
 * The packed model file: a really smaller file, not a simulated size.
 *
 *   bytes 0..3   magic 'ASHK'
 *   bytes 4..5   format version, uint16 little-endian (2; version 1 files are still read)
 *   bytes 6..9   header length H in bytes, uint32 little-endian
 *   10..10+H     header, UTF-8 JSON compressed with raw deflate (RFC 1951): {format, version, topology, payloadBytes,
 *                tensors: [...]}, each tensor {name, shape, kind: 'compressed', spec, offset, bytes, bits, coding} or
 *                {name, shape, kind: 'fp32', offset, bytes}, offsets relative to the payload, tensors back to back;
 *                optional `activations`: [{layer, bits, min, max}], the abits knob's activation bits and frozen range
 *                per layer input (a record of how the model was scored: the weights carry no activation quantizer)
 *   payload      the tensors in order, each starting on a byte boundary: compressed kernels as their bit stream
 *                (layer-codec.ts; ceil(bits / 8) bytes), other tensors (biases, batch-norm statistics, anything
 *                not compressed) as float32 little-endian, 4 bytes a value
 *
 * `coding` (version 2) says how a kernel's entries are written: 'fixed' (every entry at its width: the stream is
 * exactly `sizeBits(shape, spec)` bits, as in version 1), or 'rans' / 'rans-per-group' (entropy-coded, frequency
 * tables in the stream, coded-entries.ts): then `bits` is below `sizeBits`. So at fixed width `payloadBytes = sum over
 * kernels of ceil(sizeBits / 8) + sum over other tensors of 4 N`, and entropy coding only makes it smaller.
 *
 * Reading trusts nothing in the file: the header's inflated size is capped, it is checked against a schema, every
 * spec against its shape, every tensor's bits and bytes against its spec and the payload, the offsets must lay the
 * tensors back to back, and the weights counted by the shapes are capped, all before any allocation the header asks
 * for; a file that fails is a ModelError naming what is wrong.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { ConfigError, ModelError } from '../errors.js';
import type { LayerSpec } from './types.js';
import { ENTRY_CODINGS, type EntryCoding, entryAlphabet } from './coded-entries.js';
import { type CompressedLayer, compressLayer } from './compress-layer.js';
import { decodeLayer, encodeLayer } from './layer-codec.js';
import { storageLayout } from './size.js';

const MAGIC = 'ASHK';
export const PACK_FORMAT_VERSION = 2;
const READABLE_VERSIONS = [1, 2];
const PREFIX_BYTES = 10;

/** What a reader accepts from an untrusted file. */
export interface ReadLimits {
  /** Bytes the deflated header may inflate to. Default 16 MiB (lenet5's is 5 kB). */
  maxHeaderBytes?: number;
  /** Weights all tensors together may hold (each becomes 4 bytes of fp32). Default 2^26 (256 MiB of fp32). */
  maxWeights?: number;
}
export const DEFAULT_READ_LIMITS: Required<ReadLimits> = { maxHeaderBytes: 16 << 20, maxWeights: 2 ** 26 };

export interface PackLayer {
  name: string;
  shape: number[];
  spec: LayerSpec;
  /** The weights to compress with `spec` (compressed here), or ... */
  weights?: Float32Array;
  /** ... an already compressed layer (e.g. after fine-tuning), stored as it is. */
  compressed?: CompressedLayer;
  /** Seed for compressing `weights`. Default 0. */
  seed?: number | string;
}

export interface PackTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface PackInput {
  /** The model's topology (e.g. `model.toJSON(null, false)`) or any JSON value. */
  topology: unknown;
  /** Compressed kernels. */
  layers: PackLayer[];
  /** Tensors stored uncompressed in fp32: biases, batch-norm statistics, layers left alone. */
  extra?: PackTensor[];
  /** Activation bits and frozen ranges per layer input (the abits knob); absent or empty: none recorded. */
  activations?: ActivationRecord[];
}

/** One layer input's activation quantization: its bits and the range [min, max] frozen after the fine-tune. */
export interface ActivationRecord {
  layer: string;
  bits: number;
  min: number;
  max: number;
}

export interface PackOptions {
  /** Entropy-code each kernel's entries where that is smaller (rANS, coded-entries.ts). Default false: fixed width. */
  entropy?: boolean;
}

const int = z.number().int();
const SpecSchema = z
  .object({
    pruneRatio: z.number(),
    pruneKind: z.enum(['magnitude', 'block', '2:4']),
    clusters: int.min(0),
    clusterInit: z.enum(['linear', 'random', 'density', 'kmeans++']),
    preserveSparsity: z.boolean(),
    bits: int,
    quantKind: z.enum(['uniform', 'nonuniform']),
    bucket: z.enum(['none', 'split', 'channel']),
    bucketSize: int.positive().optional(),
    quantRange: z.enum(['mse', 'minmax']).optional(),
    blockShape: z.tuple([int.positive(), int.positive()]).optional(),
    blockPooling: z.enum(['avg', 'max']).optional(),
    clusterPerChannel: z.boolean().optional(),
  })
  .strict();
const Shape = z.array(int.min(1).max(2 ** 31)).max(8);
const Place = { name: z.string().min(1), shape: Shape, offset: int.min(0), bytes: int.min(0) };
const TensorSchema = z.discriminatedUnion('kind', [
  z.object({ ...Place, kind: z.literal('compressed'), spec: SpecSchema, bits: int.min(0), coding: z.enum(ENTRY_CODINGS as [EntryCoding, ...EntryCoding[]]).optional() }).strict(),
  z.object({ ...Place, kind: z.literal('fp32') }).strict(),
]);
const HeaderSchema = z
  .object({
    format: z.literal('autoshrink-packed-model'),
    version: int,
    topology: z.unknown(),
    payloadBytes: int.min(0),
    tensors: z.array(TensorSchema),
    activations: z
      .array(z.object({ layer: z.string().min(1), bits: int.min(2).max(8), min: z.number().finite(), max: z.number().finite() }).strict().refine((a) => a.min <= a.max, 'min must not exceed max'))
      .optional(),
  })
  .strict();

export type HeaderTensor = z.infer<typeof TensorSchema>;

export interface PackedHeader {
  version: number;
  topology: unknown;
  payloadBytes: number;
  tensors: HeaderTensor[];
  /** Activation bits and frozen ranges per layer input, when the model was scored with them. */
  activations?: ActivationRecord[];
  /** Where the payload starts in the file. */
  payloadStart: number;
}

function count(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Write a model's compressed kernels and fp32 tensors into one binary file. */
export function packModel(input: PackInput, opts: PackOptions = {}): Uint8Array {
  const names = new Set<string>();
  const tensors: HeaderTensor[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const claim = (name: string) => {
    if (names.has(name)) throw new ConfigError(`tensor name '${name}' appears twice in the model to pack`);
    names.add(name);
  };
  for (const l of input.layers) {
    claim(l.name);
    if ((l.weights === undefined) === (l.compressed === undefined)) {
      throw new ConfigError(`layer '${l.name}': give either its weights or its compressed layer, not ${l.weights ? 'both' : 'neither'}`);
    }
    const layer = l.compressed ?? compressLayer(l.weights!, l.shape, l.spec, { seed: l.seed });
    if (layer.shape.join() !== l.shape.join()) throw new ConfigError(`layer '${l.name}': compressed shape [${layer.shape}] is not [${l.shape}]`);
    const { bytes, bits, coding } = encodeLayer({ ...layer, spec: l.spec }, { entropy: opts.entropy });
    tensors.push({ name: l.name, shape: l.shape, kind: 'compressed', spec: l.spec, offset, bytes: bytes.length, bits, coding });
    chunks.push(bytes);
    offset += bytes.length;
  }
  for (const t of input.extra ?? []) {
    claim(t.name);
    if (t.values.length !== count(t.shape)) throw new ConfigError(`tensor '${t.name}': ${t.values.length} values for shape [${t.shape}]`);
    const bytes = new Uint8Array(4 * t.values.length);
    const view = new DataView(bytes.buffer);
    t.values.forEach((v, i) => view.setFloat32(4 * i, v, true));
    tensors.push({ name: t.name, shape: t.shape, kind: 'fp32', offset, bytes: bytes.length });
    chunks.push(bytes);
    offset += bytes.length;
  }
  const activations = input.activations?.length ? { activations: input.activations } : {};
  const header = { format: 'autoshrink-packed-model', version: PACK_FORMAT_VERSION, topology: input.topology, payloadBytes: offset, tensors, ...activations };
  // the topology JSON is most of the header (4.7 kB raw for lenet5, 20% of a 3-bit model): store it deflated
  const json = deflateRawSync(new TextEncoder().encode(JSON.stringify(header)), { level: 9 });
  const out = new Uint8Array(PREFIX_BYTES + json.length + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint16(4, PACK_FORMAT_VERSION, true);
  view.setUint32(6, json.length, true);
  out.set(json, PREFIX_BYTES);
  let at = PREFIX_BYTES + json.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const corrupt = (what: string) => new ModelError(`packed model ${what}: the file is corrupt or not written by autoshrink`);

/**
 * Read and check a packed model's header, allocating nothing the header asks for: see the file head for the checks.
 * Throws ModelError naming the first problem.
 */
export function readPackedHeader(bytes: Uint8Array, limits: ReadLimits = {}): PackedHeader {
  const { maxHeaderBytes, maxWeights } = { ...DEFAULT_READ_LIMITS, ...limits };
  if (bytes.length < PREFIX_BYTES || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) {
    throw new ModelError("not an autoshrink packed model: the file does not start with 'ASHK'");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (!READABLE_VERSIONS.includes(version)) {
    throw new ModelError(`packed model format version ${version} is not supported (this autoshrink reads versions ${READABLE_VERSIONS.join(' and ')}); upgrade autoshrink`);
  }
  const length = view.getUint32(6, true);
  if (PREFIX_BYTES + length > bytes.length) throw new ModelError('packed model is truncated: its header runs past the end of the file');
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + length), { maxOutputLength: maxHeaderBytes });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw corrupt(`header inflates past ${maxHeaderBytes} bytes`);
    throw new ModelError('packed model header is not valid deflated JSON: the file is corrupt');
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(inflated));
  } catch {
    throw new ModelError('packed model header is not valid deflated JSON: the file is corrupt');
  }
  const parsed = HeaderSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
    throw corrupt(`header field ${field || '(top level)'}: ${issue.message}`);
  }
  const header = parsed.data;
  if (header.version !== version) throw corrupt(`header says version ${header.version} where the file says ${version}`);
  const payloadStart = PREFIX_BYTES + length;
  if (bytes.length !== payloadStart + header.payloadBytes) {
    throw new ModelError(`packed model payload is ${bytes.length - payloadStart} bytes where the header says ${header.payloadBytes}: the file is truncated or corrupt`);
  }
  const names = new Set<string>();
  let at = 0;
  let weights = 0;
  for (const t of header.tensors) {
    if (names.has(t.name)) throw corrupt(`header names tensor '${t.name}' twice`);
    names.add(t.name);
    if (t.offset !== at || t.offset + t.bytes > header.payloadBytes) throw corrupt(`tensor '${t.name}' lies at bytes ${t.offset}..${t.offset + t.bytes}, not ${at}.. of the payload`);
    at += t.bytes;
    const n = count(t.shape);
    weights += n;
    if (weights > maxWeights) throw corrupt(`header's shapes hold more than ${maxWeights} weights (tensor '${t.name}' is [${t.shape}])`);
    if (t.kind === 'fp32') {
      if (t.bytes !== 4 * n) throw corrupt(`tensor '${t.name}' has ${t.bytes} bytes for fp32 shape [${t.shape}]`);
      continue;
    }
    const coding = t.coding ?? 'fixed';
    if (version === 1 && t.coding !== undefined) throw corrupt(`tensor '${t.name}' has a coding, which version 1 files do not`);
    let layout;
    try {
      layout = storageLayout(t.shape, t.spec as LayerSpec);
    } catch (e) {
      if (e instanceof ConfigError) throw corrupt(`tensor '${t.name}' has an invalid spec (${e.message})`);
      throw e;
    }
    const fixed = layout.bits.total;
    if (coding === 'fixed' ? t.bits !== fixed : t.bits > fixed || entryAlphabet(layout) === 0) {
      throw corrupt(`tensor '${t.name}' claims ${t.bits} bits ${coding === 'fixed' ? 'where its spec takes' : 'coded, beyond the fixed-width'} ${fixed}`);
    }
    if (Math.ceil(t.bits / 8) !== t.bytes) throw corrupt(`tensor '${t.name}': ${t.bits} bits do not fill ${t.bytes} bytes`);
  }
  if (at !== header.payloadBytes) throw corrupt(`tensors fill ${at} of ${header.payloadBytes} payload bytes`);
  return { version, topology: header.topology, payloadBytes: header.payloadBytes, tensors: header.tensors, ...(header.activations ? { activations: header.activations } : {}), payloadStart };
}

export interface UnpackedTensor {
  name: string;
  shape: number[];
  /** The weights to load: dequantized kernels (bit-exact with `compressLayer`) or the stored fp32 values. */
  values: Float32Array;
  /** For a compressed kernel, its full structure (mask, codebooks, indices). */
  layer?: CompressedLayer;
}

/** Decode the tensors of a file whose header `readPackedHeader` has checked. */
export function unpackTensors(bytes: Uint8Array, header: PackedHeader): UnpackedTensor[] {
  return header.tensors.map((t): UnpackedTensor => {
    const start = header.payloadStart + t.offset;
    if (t.kind === 'compressed') {
      const layer = decodeLayer(bytes.subarray(start, start + t.bytes), t.shape, t.spec as LayerSpec, { coding: t.coding ?? 'fixed', bits: t.bits });
      return { name: t.name, shape: t.shape, values: layer.values, layer };
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset + start, t.bytes);
    const values = Float32Array.from({ length: t.bytes / 4 }, (_, i) => view.getFloat32(4 * i, true));
    return { name: t.name, shape: t.shape, values };
  });
}

/** Read a packed model back: its topology and every tensor's weights. */
export function unpackModel(bytes: Uint8Array, limits: ReadLimits = {}): { topology: unknown; tensors: UnpackedTensor[] } {
  const header = readPackedHeader(bytes, limits);
  return { topology: header.topology, tensors: unpackTensors(bytes, header) };
}

export interface PackedSizeReport {
  /** The whole file. */
  totalBytes: number;
  /** Magic, version, header length and the JSON header (topology and per-tensor metadata). */
  headerBytes: number;
  /** Tensor data, as written (entropy-coded kernels where they are). */
  payloadBytes: number;
  /** The payload with every kernel at fixed width: ceil(sizeBits / 8) per kernel plus the fp32 tensors. The budget
   * counts this; `payloadBytes` is at most this. */
  fixedPayloadBytes: number;
  /** Of the payload: compressed kernels, and fp32 tensors. */
  compressedBytes: number;
  fp32Bytes: number;
  tensors: Array<{ name: string; kind: 'compressed' | 'fp32'; shape: number[]; offset: number; bytes: number; bits: number; fixedBits: number; coding: EntryCoding }>;
}

/** Where the bytes of a packed model go. */
export function packedSizeReport(bytes: Uint8Array): PackedSizeReport {
  const header = readPackedHeader(bytes);
  const tensors = header.tensors.map((t) => {
    const compressed = t.kind === 'compressed';
    return {
      name: t.name,
      kind: t.kind,
      shape: t.shape,
      offset: t.offset,
      bytes: t.bytes,
      bits: compressed ? t.bits : 8 * t.bytes,
      fixedBits: compressed ? storageLayout(t.shape, t.spec as LayerSpec).bits.total : 8 * t.bytes,
      coding: compressed ? (t.coding ?? 'fixed') : ('fixed' as EntryCoding),
    };
  });
  const sum = (kind: 'compressed' | 'fp32') => tensors.filter((t) => t.kind === kind).reduce((a, t) => a + t.bytes, 0);
  return {
    totalBytes: bytes.length,
    headerBytes: header.payloadStart,
    payloadBytes: header.payloadBytes,
    fixedPayloadBytes: tensors.reduce((a, t) => a + Math.ceil(t.fixedBits / 8), 0),
    compressedBytes: sum('compressed'),
    fp32Bytes: sum('fp32'),
    tensors,
  };
}
