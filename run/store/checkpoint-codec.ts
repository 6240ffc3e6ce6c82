/**
 * A compact binary encoding for checkpoints: a JSON-like tree whose leaves may be typed arrays (network weights,
 * optimizer moments, the replay buffer). JSON alone would write every float as ~20 characters of decimal text and
 * lose -0, NaN and the distinction between a Float32Array and a number[]; this format keeps the tree as JSON and the
 * arrays as raw bytes, and round-trips both bit-exactly.
 *
 * Layout (all integers little-endian):
 *
 *   offset 0   4 bytes  magic "ASCK"
 *   offset 4   uint32   format version (1)
 *   offset 8   uint32   H, the byte length of the header
 *   offset 12  H bytes  UTF-8 JSON header: {"value": <tree>, "arrays": [{"dtype", "offset", "length"}, ...]}
 *   then zero padding up to a multiple of 8 bytes: the data section starts there
 *   data       each array's elements, little-endian, at `offset` bytes from the start of the data section
 *              (offsets are multiples of 8), `length` elements of `dtype`
 *
 * In the header's tree, a typed array is replaced by `{"$a": i}` (its index in `arrays`), a number JSON cannot
 * spell (NaN, Infinity, -Infinity, -0) by `{"$n": "NaN"}` etc. So that no stored object can be mistaken for one
 * of these markers, every object key that starts with "$" is written with one more "$" in front, and loses it on
 * decoding.
 *
 * What can be stored: null, booleans, numbers, strings, arrays, plain objects, and Float32Array, Float64Array,
 * Int32Array, Uint8Array (a Node Buffer is a Uint8Array and decodes as a plain Uint8Array). Like JSON.stringify,
 * object properties whose value is undefined are left out. Anything else (functions, bigints, Maps, class
 * instances, other typed arrays, undefined inside an array, cycles) makes `encodeCheckpoint` throw a TypeError
 * naming the path of the offending value: a programming error, caught when the checkpoint is written, not when a
 * resume needs it.
 *
 * The data section is copied with the host's byte order, so the codec refuses to run on a big-endian host rather
 * than write or read swapped bytes.
 */

/** The typed arrays a checkpoint may hold. */
export type CheckpointArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** A decoded checkpoint: JSON values plus typed-array leaves. */
export type CheckpointValue =
  | null
  | boolean
  | number
  | string
  | CheckpointArray
  | CheckpointValue[]
  | { [key: string]: CheckpointValue };

/** A blob that is not a checkpoint of a format this code reads (truncated, corrupt, or from a newer version). */
export class CheckpointFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export const CHECKPOINT_FORMAT_VERSION = 1;

const MAGIC = [0x41, 0x53, 0x43, 0x4b]; // "ASCK"
const PREFIX_BYTES = 12;
const ALIGN = 8;

type DType = 'float32' | 'float64' | 'int32' | 'uint8';

const DTYPES: Record<DType, { bytes: number; make: (length: number) => CheckpointArray }> = {
  float32: { bytes: 4, make: (n) => new Float32Array(n) },
  float64: { bytes: 8, make: (n) => new Float64Array(n) },
  int32: { bytes: 4, make: (n) => new Int32Array(n) },
  uint8: { bytes: 1, make: (n) => new Uint8Array(n) },
};

interface ArrayEntry {
  dtype: DType;
  /** Byte offset from the start of the data section. */
  offset: number;
  /** Number of elements. */
  length: number;
}

interface Header {
  value: unknown;
  arrays: ArrayEntry[];
}

const STORABLE = 'a checkpoint holds only JSON values and Float32Array, Float64Array, Int32Array or Uint8Array';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function requireLittleEndianHost(): void {
  if (!LITTLE_ENDIAN_HOST) throw new Error('checkpoint encoding needs a little-endian host');
}

function dtypeOf(value: ArrayBufferView): DType | null {
  if (value instanceof Float32Array) return 'float32';
  if (value instanceof Float64Array) return 'float64';
  if (value instanceof Int32Array) return 'int32';
  if (value instanceof Uint8Array) return 'uint8';
  return null;
}

const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

function specialNumber(n: number): string | null {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Object.is(n, -0)) return '-0';
  return null;
}

const SPECIAL_NUMBERS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

/** Sets an own property, even one named "__proto__" (plain assignment would replace the prototype instead). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Encodes `value` (see the file head for what it may contain). Throws a TypeError on anything else. */
export function encodeCheckpoint(value: unknown): Uint8Array {
  requireLittleEndianHost();
  const arrays: ArrayEntry[] = [];
  const views: ArrayBufferView[] = [];
  let dataBytes = 0;
  const ancestors = new Set<object>();

  const walk = (v: unknown, path: string): unknown => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') {
      const special = specialNumber(v);
      return special === null ? v : { $n: special };
    }
    if (typeof v !== 'object') throw new TypeError(`checkpoint value at ${path} is a ${typeof v}; ${STORABLE}`);
    if (ArrayBuffer.isView(v)) {
      const dtype = dtypeOf(v);
      if (dtype === null) throw new TypeError(`checkpoint value at ${path} is a ${v.constructor.name}; ${STORABLE}`);
      const offset = alignUp(dataBytes);
      arrays.push({ dtype, offset, length: v.byteLength / DTYPES[dtype].bytes });
      views.push(v);
      dataBytes = offset + v.byteLength;
      return { $a: arrays.length - 1 };
    }
    if (ancestors.has(v)) throw new TypeError(`checkpoint value at ${path} refers back to one of its parents (a cycle)`);
    ancestors.add(v);
    try {
      if (Array.isArray(v)) {
        return v.map((item, i) => {
          if (item === undefined) throw new TypeError(`checkpoint value at ${path}[${i}] is undefined; ${STORABLE}`);
          return walk(item, `${path}[${i}]`);
        });
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(`checkpoint value at ${path} is a ${v.constructor?.name ?? 'class instance'}; ${STORABLE}`);
      }
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(v)) {
        if (item === undefined) continue;
        setOwn(out, key.startsWith('$') ? `$${key}` : key, walk(item, `${path}.${key}`));
      }
      return out;
    } finally {
      ancestors.delete(v);
    }
  };

  const header: Header = { value: walk(value, 'checkpoint'), arrays };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = alignUp(PREFIX_BYTES + headerBytes.byteLength);
  const out = new Uint8Array(dataStart + dataBytes);
  out.set(MAGIC, 0);
  const prefix = new DataView(out.buffer);
  prefix.setUint32(4, CHECKPOINT_FORMAT_VERSION, true);
  prefix.setUint32(8, headerBytes.byteLength, true);
  out.set(headerBytes, PREFIX_BYTES);
  arrays.forEach((entry, i) => {
    const view = views[i];
    out.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), dataStart + entry.offset);
  });
  return out;
}

/** Decodes what `encodeCheckpoint` wrote. Every typed array in the result owns its own, fresh ArrayBuffer. */
export function decodeCheckpoint(bytes: Uint8Array): CheckpointValue {
  requireLittleEndianHost();
  if (bytes.byteLength < PREFIX_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new CheckpointFormatError('not an autoshrink checkpoint (bad magic bytes)');
  }
  const prefix = new DataView(bytes.buffer, bytes.byteOffset, PREFIX_BYTES);
  const version = prefix.getUint32(4, true);
  if (version !== CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointFormatError(
      `checkpoint format v${version}; this autoshrink reads v${CHECKPOINT_FORMAT_VERSION}` +
        (version > CHECKPOINT_FORMAT_VERSION ? ' (written by a newer autoshrink)' : ''),
    );
  }
  const headerLength = prefix.getUint32(8, true);
  if (PREFIX_BYTES + headerLength > bytes.byteLength) throw new CheckpointFormatError('checkpoint header is truncated');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)));
  } catch (e) {
    throw new CheckpointFormatError(`checkpoint header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || !Array.isArray(header.arrays)) {
    throw new CheckpointFormatError('checkpoint header has no array table');
  }
  const dataStart = alignUp(PREFIX_BYTES + headerLength);
  const decoded = header.arrays.map((entry, i) => {
    const { dtype, offset, length } = entry ?? {};
    const spec = typeof dtype === 'string' && Object.hasOwn(DTYPES, dtype) ? DTYPES[dtype] : undefined;
    if (spec === undefined || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new CheckpointFormatError(`checkpoint array ${i} has a malformed entry`);
    }
    const start = dataStart + offset;
    const end = start + length * spec.bytes;
    if (end > bytes.byteLength) throw new CheckpointFormatError(`checkpoint array ${i} runs past the end of the data`);
    const array = spec.make(length);
    new Uint8Array(array.buffer).set(bytes.subarray(start, end));
    return array;
  });

  const rebuild = (v: unknown): CheckpointValue => {
    if (v === null || typeof v !== 'object') return v as CheckpointValue;
    if (Array.isArray(v)) return v.map(rebuild);
    const keys = Object.keys(v);
    const record = v as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === '$a') {
      const index = record.$a;
      const array = Number.isInteger(index) ? decoded[index as number] : undefined;
      if (array === undefined) throw new CheckpointFormatError(`checkpoint refers to a missing array ${String(record.$a)}`);
      return array;
    }
    if (keys.length === 1 && keys[0] === '$n') {
      const name = record.$n;
      const n = typeof name === 'string' && Object.hasOwn(SPECIAL_NUMBERS, name) ? SPECIAL_NUMBERS[name] : undefined;
      if (n === undefined) throw new CheckpointFormatError(`checkpoint holds an unknown number ${String(record.$n)}`);
      return n;
    }
    const out: Record<string, CheckpointValue> = {};
    for (const key of keys) setOwn(out, key.startsWith('$') ? key.slice(1) : key, rebuild(record[key]));
    return out;
  };
  return rebuild(header.value);
}
