/**
 * The packed model file: a really smaller file, not a simulated size.
 *
 *   bytes 0..3   magic 'ASHK'
 *   bytes 4..5   format version, uint16 little-endian (1)
 *   bytes 6..9   header length H in bytes, uint32 little-endian
 *   10..10+H     header, UTF-8 JSON compressed with raw deflate (RFC 1951): {format, version, topology, payloadBytes, tensors: [...]}, each tensor
 *                {name, shape, kind: 'compressed', spec, offset, bytes, bits} or {name, shape, kind: 'fp32', offset,
 *                bytes}, offsets relative to the payload
 *   payload      the tensors in order, each starting on a byte boundary: compressed kernels as their bit stream
 *                (layer-codec.ts; ceil(sizeBits / 8) bytes), other tensors (biases, batch-norm statistics, anything
 *                not compressed) as float32 little-endian, 4 bytes a value
 *
 * So `payloadBytes = sum over kernels of ceil(sizeBits(shape, spec) / 8) + sum over other tensors of 4 N`, and the
 * file is `10 + H + payloadBytes` bytes; `packedSizeReport` reads these numbers back from a file.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ConfigError, ModelError } from '../errors.js';
import type { LayerSpec } from './types.js';
import { type CompressedLayer, compressLayer } from './compress-layer.js';
import { decodeLayer, encodeLayer } from './layer-codec.js';

const MAGIC = 'ASHK';
export const PACK_FORMAT_VERSION = 1;
const PREFIX_BYTES = 10;

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
}

type HeaderTensor =
  | { name: string; shape: number[]; kind: 'compressed'; spec: LayerSpec; offset: number; bytes: number; bits: number }
  | { name: string; shape: number[]; kind: 'fp32'; offset: number; bytes: number };

interface Header {
  format: 'autoshrink-packed-model';
  version: number;
  topology: unknown;
  payloadBytes: number;
  tensors: HeaderTensor[];
}

function count(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Write a model's compressed kernels and fp32 tensors into one binary file. */
export function packModel(input: PackInput): Uint8Array {
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
    const { bytes, bits } = encodeLayer({ ...layer, spec: l.spec });
    tensors.push({ name: l.name, shape: l.shape, kind: 'compressed', spec: l.spec, offset, bytes: bytes.length, bits });
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
  const header: Header = { format: 'autoshrink-packed-model', version: PACK_FORMAT_VERSION, topology: input.topology, payloadBytes: offset, tensors };
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

function readHeader(bytes: Uint8Array): { header: Header; payloadStart: number } {
  if (bytes.length < PREFIX_BYTES || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) {
    throw new ModelError("not an autoshrink packed model: the file does not start with 'ASHK'");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== PACK_FORMAT_VERSION) {
    throw new ModelError(`packed model format version ${version} is not supported (this autoshrink reads version ${PACK_FORMAT_VERSION}); upgrade autoshrink`);
  }
  const length = view.getUint32(6, true);
  if (PREFIX_BYTES + length > bytes.length) throw new ModelError('packed model is truncated: its header runs past the end of the file');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(inflateRawSync(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + length)))) as Header;
  } catch {
    throw new ModelError('packed model header is not valid deflated JSON: the file is corrupt');
  }
  if (!header || !Array.isArray(header.tensors) || typeof header.payloadBytes !== 'number') {
    throw new ModelError('packed model header lacks its tensor list: the file is corrupt');
  }
  const payloadStart = PREFIX_BYTES + length;
  if (bytes.length !== payloadStart + header.payloadBytes) {
    throw new ModelError(`packed model payload is ${bytes.length - payloadStart} bytes where the header says ${header.payloadBytes}: the file is truncated or corrupt`);
  }
  for (const t of header.tensors) {
    if (!(t.offset >= 0 && t.bytes >= 0 && t.offset + t.bytes <= header.payloadBytes)) {
      throw new ModelError(`tensor '${t.name}' lies outside the payload: the file is corrupt`);
    }
  }
  return { header, payloadStart };
}

export interface UnpackedTensor {
  name: string;
  shape: number[];
  /** The weights to load: dequantized kernels (bit-exact with `compressLayer`) or the stored fp32 values. */
  values: Float32Array;
  /** For a compressed kernel, its full structure (mask, codebooks, indices). */
  layer?: CompressedLayer;
}

/** Read a packed model back: its topology and every tensor's weights. */
export function unpackModel(bytes: Uint8Array): { topology: unknown; tensors: UnpackedTensor[] } {
  const { header, payloadStart } = readHeader(bytes);
  const tensors = header.tensors.map((t): UnpackedTensor => {
    const start = payloadStart + t.offset;
    if (t.kind === 'compressed') {
      if (Math.ceil(t.bits / 8) !== t.bytes) throw new ModelError(`tensor '${t.name}': ${t.bits} bits do not fill ${t.bytes} bytes`);
      let layer: CompressedLayer;
      try {
        layer = decodeLayer(bytes.subarray(start, start + t.bytes), t.shape, t.spec);
      } catch (e) {
        if (e instanceof ConfigError) throw new ModelError(`tensor '${t.name}' has an invalid spec in the header: ${e.message}`);
        throw e;
      }
      return { name: t.name, shape: t.shape, values: layer.values, layer };
    }
    if (t.bytes !== 4 * count(t.shape)) throw new ModelError(`tensor '${t.name}': ${t.bytes} bytes for shape [${t.shape}]`);
    const view = new DataView(bytes.buffer, bytes.byteOffset + start, t.bytes);
    const values = Float32Array.from({ length: t.bytes / 4 }, (_, i) => view.getFloat32(4 * i, true));
    return { name: t.name, shape: t.shape, values };
  });
  return { topology: header.topology, tensors };
}

export interface PackedSizeReport {
  /** The whole file. */
  totalBytes: number;
  /** Magic, version, header length and the JSON header (topology and per-tensor metadata). */
  headerBytes: number;
  /** Tensor data. */
  payloadBytes: number;
  /** Of the payload: compressed kernels, and fp32 tensors. */
  compressedBytes: number;
  fp32Bytes: number;
  tensors: Array<{ name: string; kind: 'compressed' | 'fp32'; shape: number[]; offset: number; bytes: number; bits: number }>;
}

/** Where the bytes of a packed model go. */
export function packedSizeReport(bytes: Uint8Array): PackedSizeReport {
  const { header, payloadStart } = readHeader(bytes);
  const tensors = header.tensors.map((t) => ({
    name: t.name,
    kind: t.kind,
    shape: t.shape,
    offset: t.offset,
    bytes: t.bytes,
    bits: t.kind === 'compressed' ? t.bits : 8 * t.bytes,
  }));
  const sum = (kind: 'compressed' | 'fp32') => tensors.filter((t) => t.kind === kind).reduce((a, t) => a + t.bytes, 0);
  return {
    totalBytes: bytes.length,
    headerBytes: payloadStart,
    payloadBytes: header.payloadBytes,
    compressedBytes: sum('compressed'),
    fp32Bytes: sum('fp32'),
    tensors,
  };
}
