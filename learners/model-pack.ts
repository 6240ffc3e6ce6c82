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
 * for; a file that fails is a ModelError naming what is wrong. Those checks live in pack-reader.ts, which the browser
 * runtime (runtime/) shares: this file adds only what needs Node (node:zlib) and the writing.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ConfigError } from '../errors.js';
import type { LayerSpec } from './types.js';
import type { EntryCoding } from './coded-entries.js';
import { type CompressedLayer, compressLayer } from './compress-layer.js';
import { encodeLayer } from './layer-codec.js';
import {
  type ActivationRecord,
  checkPackedHeader,
  type HeaderTensor,
  headerNotDeflatedJson,
  headerTooLarge,
  PACK_FORMAT_VERSION,
  PACK_MAGIC,
  type PackedHeader,
  PREFIX_BYTES,
  type ReadLimits,
  DEFAULT_READ_LIMITS,
  splitPackPrefix,
  type UnpackedTensor,
  unpackTensors,
} from './pack-reader.js';
import { storageLayout } from './size.js';

export { type ActivationRecord, DEFAULT_READ_LIMITS, type HeaderTensor, PACK_FORMAT_VERSION, type PackedHeader, type ReadLimits, type UnpackedTensor, unpackTensors };

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

export interface PackOptions {
  /** Entropy-code each kernel's entries where that is smaller (rANS, coded-entries.ts). Default false: fixed width. */
  entropy?: boolean;
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
  out.set(new TextEncoder().encode(PACK_MAGIC), 0);
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

/**
 * Read and check a packed model's header, allocating nothing the header asks for: see the file head for the checks.
 * Throws ModelError naming the first problem.
 */
export function readPackedHeader(bytes: Uint8Array, limits: ReadLimits = {}): PackedHeader {
  const { maxHeaderBytes } = { ...DEFAULT_READ_LIMITS, ...limits };
  const { version, deflated, payloadStart } = splitPackPrefix(bytes);
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(deflated, { maxOutputLength: maxHeaderBytes });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw headerTooLarge(maxHeaderBytes);
    throw headerNotDeflatedJson();
  }
  return checkPackedHeader(inflated, { version, payloadStart, fileBytes: bytes.length }, limits);
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
