/**
 * The files of a ZIP archive (PKWARE APPNOTE 4.3), as NumPy's `savez` (stored) and `savez_compressed` (deflate)
 * write them: the end-of-central-directory record, the central directory's entries, each entry's local header for
 * where its data starts. Stored and deflated entries; ZIP64 only as far as NumPy uses it (a local header's ZIP64
 * sizes, which the central directory repeats as 32-bit values for files under 4 GiB). Every offset and size is checked
 * against the file, and inflating stops at the size the directory declares.
 */
import { inflateRawSync } from 'node:zlib';
import { DataError } from '../../errors.js';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Every file of the archive by name, inflated. `what` names the archive in errors. */
export function readZip(buf: Uint8Array, what: string): Map<string, Uint8Array> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const corrupt = (why: string) => new DataError(`${what} is not a readable .npz (${why}); write it with numpy.savez or numpy.savez_compressed`);
  let eocd = -1;
  // the record is 22 bytes plus a comment of at most 65535
  for (let at = buf.length - 22; at >= Math.max(0, buf.length - 22 - 65535); at--) {
    if (u32(at) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw corrupt('no ZIP end-of-directory record');
  const entries = u16(eocd + 10);
  const dirSize = u32(eocd + 12);
  const dirStart = u32(eocd + 16);
  if (dirStart === 0xffffffff || entries === 0xffff) throw corrupt('a ZIP64 archive over 4 GiB');
  if (dirStart + dirSize > eocd) throw corrupt('its directory lies outside the file');
  const files = new Map<string, Uint8Array>();
  let at = dirStart;
  for (let i = 0; i < entries; i++) {
    if (at + 46 > eocd || u32(at) !== CENTRAL) throw corrupt(`directory entry ${i} is damaged`);
    const method = u16(at + 10);
    const packed = u32(at + 20);
    const size = u32(at + 24);
    const nameLength = u16(at + 28);
    const skip = nameLength + u16(at + 30) + u16(at + 32);
    const local = u32(at + 42);
    const name = new TextDecoder().decode(buf.subarray(at + 46, at + 46 + nameLength));
    at += 46 + skip;
    if (packed === 0xffffffff || size === 0xffffffff || local === 0xffffffff) throw corrupt(`${name} is over 4 GiB`);
    if (local + 30 > buf.length || u32(local) !== LOCAL) throw corrupt(`${name}'s local header is missing`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + packed > buf.length) throw corrupt(`${name} runs past the end of the file`);
    const data = buf.subarray(start, start + packed);
    if (method === 0) {
      if (packed !== size) throw corrupt(`${name} is stored with two different sizes`);
      files.set(name, data);
    } else if (method === 8) {
      let out: Uint8Array;
      try {
        out = inflateRawSync(data, { maxOutputLength: Math.max(size, 1) });
      } catch {
        throw corrupt(`${name} does not inflate to its ${size} bytes`);
      }
      if (out.length !== size) throw corrupt(`${name} inflates to ${out.length} bytes, not ${size}`);
      files.set(name, out);
    } else throw corrupt(`${name} uses compression method ${method}; only stored and deflate are read`);
  }
  return files;
}

/** Write a ZIP of stored or deflated entries (no ZIP64), as numpy.savez / savez_compressed do for small arrays: for
 * tests and for anyone preparing data without NumPy. CRCs are written as 0, which this reader does not check. */
export function encodeZip(files: Array<{ name: string; data: Uint8Array; deflated?: Uint8Array }>): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = new TextEncoder().encode(f.name);
    const body = f.deflated ?? f.data;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, LOCAL, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, f.deflated ? 8 : 0, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, f.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const entry = new Uint8Array(46 + name.length);
    const cv = new DataView(entry.buffer);
    cv.setUint32(0, CENTRAL, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, f.deflated ? 8 : 0, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, f.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    entry.set(name, 46);
    parts.push(local, body);
    central.push(entry);
    offset += local.length + body.length;
  }
  const dirSize = central.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, EOCD, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, dirSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + dirSize + 22);
  let at = 0;
  for (const p of [...parts, ...central, end]) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
