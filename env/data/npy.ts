/**
 * NumPy's `.npy` format (numpy.lib.format, versions 1.0 to 3.0): the magic `\x93NUMPY`, a version, a header length
 * (uint16 in version 1, uint32 after), a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (60000,
 * 28, 28), }` and the array's bytes in C order. We read the little-endian numeric types a dataset holds: uint8, int8,
 * int32, int64, float32, float64 (and bool/uint16/int16/uint32 for labels); anything else is a DataError naming the fix.
 */
import { DataError } from '../../errors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** The element types read, by NumPy's `descr` without its byte order. */
const TYPES = { u1: 1, i1: 1, b1: 1, u2: 2, i2: 2, u4: 4, i4: 4, i8: 8, u8: 8, f4: 4, f8: 8 } as const;
export type NpyType = keyof typeof TYPES;

export interface NpyArray {
  type: NpyType;
  shape: number[];
  /** Element count: the product of `shape`. */
  size: number;
  /** Element i as a number (int64 through BigInt, exact up to 2^53). */
  get(i: number): number;
  /** The raw little-endian bytes. */
  bytes: Uint8Array;
}

/** Parse one .npy file's bytes; `what` names it in errors. */
export function parseNpy(buf: Uint8Array, what: string): NpyArray {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) throw new DataError(`${what} is not a NumPy .npy file (no \\x93NUMPY magic); save it with numpy.save`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const major = buf[6];
  if (major < 1 || major > 3) throw new DataError(`${what} is .npy format version ${major}.${buf[7]}, which this reader does not know; save it with numpy.save`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = (major === 1 ? 10 : 12) + headerLength;
  if (start > buf.length) throw new DataError(`${what} ends inside its .npy header: the file is truncated`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(major === 1 ? 10 : 12, start));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new DataError(`${what} has a .npy header without descr, fortran_order and shape: the file is corrupt`);
  if (fortran === 'True') throw new DataError(`${what} is stored in Fortran order; save numpy.ascontiguousarray(x) instead`);
  const order = descr[0];
  const type = descr.slice(1) as NpyType;
  if (!(type in TYPES) || (order === '>' && TYPES[type] > 1)) {
    throw new DataError(`${what} holds '${descr}' values; use uint8, float32 or float64 for images and int32 or int64 for labels (little-endian)`);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DataError(`${what} has shape (${shapeText}) in its header: the file is corrupt`);
  const size = shape.reduce((a, b) => a * b, 1);
  const width = TYPES[type];
  if (buf.length - start !== size * width) {
    throw new DataError(`${what} declares shape (${shape.join(', ')}) of '${descr}' = ${size * width} bytes but holds ${buf.length - start}: the file is truncated or corrupt`);
  }
  const bytes = buf.subarray(start);
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const readers: Record<NpyType, (i: number) => number> = {
    u1: (i) => bytes[i],
    b1: (i) => bytes[i],
    i1: (i) => data.getInt8(i),
    u2: (i) => data.getUint16(2 * i, true),
    i2: (i) => data.getInt16(2 * i, true),
    u4: (i) => data.getUint32(4 * i, true),
    i4: (i) => data.getInt32(4 * i, true),
    u8: (i) => Number(data.getBigUint64(8 * i, true)),
    i8: (i) => Number(data.getBigInt64(8 * i, true)),
    f4: (i) => data.getFloat32(4 * i, true),
    f8: (i) => data.getFloat64(8 * i, true),
  };
  return { type, shape, size, get: readers[type], bytes };
}

/** Write a C-order little-endian .npy (version 1.0): for tests and for anyone preparing data without NumPy. */
export function encodeNpy(descr: string, shape: number[], bytes: Uint8Array): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  // NumPy pads the header with spaces and a newline so the data starts on a multiple of 64 bytes
  header += `${' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64)}\n`;
  const out = new Uint8Array(10 + header.length + bytes.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(bytes, 10 + header.length);
  return out;
}
