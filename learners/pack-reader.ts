/**
 * Reading model.ashk (format in model-pack.ts), all but the inflating: split the prefix, check the inflated header,
 * decode the tensors. Pure and free of `node:` modules, so the Node reader (model-pack.ts, node:zlib) and the browser
 * runtime (runtime/, DecompressionStream) run the same checks with the same limits and the same messages; each
 * brings its own inflate, capped at `maxHeaderBytes`, and calls `headerTooLarge` past it.
 */
import { ConfigError, ModelError } from '../errors.js';
import type { LayerSpec } from './types.js';
import { type EntryCoding, entryAlphabet } from './coded-entries.js';
import type { CompressedLayer } from './compress-layer.js';
import { decodeLayer } from './layer-codec.js';
import { checkHeaderShape } from './pack-schema.js';
import { storageLayout } from './size.js';

export const PACK_MAGIC = 'ASHK';
export const PACK_FORMAT_VERSION = 2;
export const READABLE_VERSIONS = [1, 2];
export const PREFIX_BYTES = 10;

/** What a reader accepts from an untrusted file. */
export interface ReadLimits {
  /** Bytes the deflated header may inflate to. Default 16 MiB (lenet5's is 5 kB). */
  maxHeaderBytes?: number;
  /** Weights all tensors together may hold (each becomes 4 bytes of fp32). Default 2^26 (256 MiB of fp32). */
  maxWeights?: number;
}
export const DEFAULT_READ_LIMITS: Required<ReadLimits> = { maxHeaderBytes: 16 << 20, maxWeights: 2 ** 26 };

/** One layer input's activation quantization: its bits and the range [min, max] frozen after the fine-tune. */
export interface ActivationRecord {
  layer: string;
  bits: number;
  min: number;
  max: number;
}

interface Place {
  name: string;
  shape: number[];
  offset: number;
  bytes: number;
}
export type HeaderTensor = (Place & { kind: 'compressed'; spec: LayerSpec; bits: number; coding?: EntryCoding }) | (Place & { kind: 'fp32' });

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

export interface UnpackedTensor {
  name: string;
  shape: number[];
  /** The weights to load: dequantized kernels (bit-exact with `compressLayer`) or the stored fp32 values. */
  values: Float32Array;
  /** For a compressed kernel, its full structure (mask, codebooks, indices). */
  layer?: CompressedLayer;
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const corrupt = (what: string) => new ModelError(`packed model ${what}: the file is corrupt or not written by autoshrink`);

/** The error of a header that inflates past the cap. */
export const headerTooLarge = (maxHeaderBytes: number) => corrupt(`header inflates past ${maxHeaderBytes} bytes`);
/** The error of a header that is not raw deflate of UTF-8 JSON. */
export const headerNotDeflatedJson = () => new ModelError('packed model header is not valid deflated JSON: the file is corrupt');

/** The file's version and its deflated header, after checking the magic, the version and the header's length. */
export function splitPackPrefix(bytes: Uint8Array): { version: number; deflated: Uint8Array; payloadStart: number } {
  if (bytes.length < PREFIX_BYTES || String.fromCharCode(...bytes.subarray(0, 4)) !== PACK_MAGIC) {
    throw new ModelError("not an autoshrink packed model: the file does not start with 'ASHK'");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (!READABLE_VERSIONS.includes(version)) {
    throw new ModelError(`packed model format version ${version} is not supported (this autoshrink reads versions ${READABLE_VERSIONS.join(' and ')}); upgrade autoshrink`);
  }
  const length = view.getUint32(6, true);
  if (PREFIX_BYTES + length > bytes.length) throw new ModelError('packed model is truncated: its header runs past the end of the file');
  return { version, deflated: bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + length), payloadStart: PREFIX_BYTES + length };
}

/**
 * Check an inflated header against the file it came from, allocating nothing the header asks for: its shape, its
 * version, the payload length, tensor names, offsets back to back, the weight cap, every spec and every tensor's
 * bits and bytes. Throws ModelError naming the first problem.
 */
export function checkPackedHeader(inflated: Uint8Array, file: { version: number; payloadStart: number; fileBytes: number }, limits: ReadLimits = {}): PackedHeader {
  const { maxWeights } = { ...DEFAULT_READ_LIMITS, ...limits };
  const { version, payloadStart } = file;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(inflated));
  } catch {
    throw headerNotDeflatedJson();
  }
  const problem = checkHeaderShape(json);
  if (problem) throw corrupt(`header field ${problem}`);
  const header = json as Omit<PackedHeader, 'payloadStart'>;
  if (header.version !== version) throw corrupt(`header says version ${header.version} where the file says ${version}`);
  if (file.fileBytes !== payloadStart + header.payloadBytes) {
    throw new ModelError(`packed model payload is ${file.fileBytes - payloadStart} bytes where the header says ${header.payloadBytes}: the file is truncated or corrupt`);
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
      layout = storageLayout(t.shape, t.spec);
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

/** Decode the tensors of a file whose header `checkPackedHeader` has checked. */
export function unpackTensors(bytes: Uint8Array, header: PackedHeader): UnpackedTensor[] {
  return header.tensors.map((t): UnpackedTensor => {
    const start = header.payloadStart + t.offset;
    if (t.kind === 'compressed') {
      const layer = decodeLayer(bytes.subarray(start, start + t.bytes), t.shape, t.spec, { coding: t.coding ?? 'fixed', bits: t.bits });
      return { name: t.name, shape: t.shape, values: layer.values, layer };
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset + start, t.bytes);
    const values = Float32Array.from({ length: t.bytes / 4 }, (_, i) => view.getFloat32(4 * i, true));
    return { name: t.name, shape: t.shape, values };
  });
}
