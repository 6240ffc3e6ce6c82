/**
 * IDX files, the format MNIST and Fashion-MNIST ship in (LeCun et al.): a big-endian header
 * `0x00 0x00 <type> <ndims>`, one uint32 per dimension, then the data. We read unsigned-byte data (type 0x08):
 * images with 3 dimensions (magic 0x00000803) and labels with 1 (magic 0x00000801). Files may be raw or gzip.
 *
 * `--data idx:DIR` expects the four standard files in DIR:
 *   train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte
 * each optionally ending in `.gz` (the `train-images.idx3-ubyte` spelling of some mirrors is accepted too).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../../errors.js';
import type { DataSplit, RawDataset } from './dataset.js';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parse one IDX buffer of unsigned bytes. `what` names the file in errors. */
export function parseIdx(buf: Uint8Array, expectedMagic: number, what: string): IdxArray {
  if (buf.length < 4) throw new DataError(`${what} is ${buf.length} bytes, too short for an IDX header; re-download it`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    throw new DataError(
      `${what} has magic number 0x${magic.toString(16).padStart(8, '0')}, expected ` +
        `0x${expectedMagic.toString(16).padStart(8, '0')} (${expectedMagic === IDX_IMAGES_MAGIC ? 'images' : 'labels'}); ` +
        'is it the right file, and not corrupted?',
    );
  }
  const ndims = magic & 0xff;
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) throw new DataError(`${what} ends inside its IDX header; re-download it`);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const have = buf.length - headerBytes;
  if (have !== expected) {
    throw new DataError(
      `${what} declares ${dims.join('x')} = ${expected} values but holds ${have}; the file is truncated or corrupt, re-download it`,
    );
  }
  return { dims, data: buf.subarray(headerBytes) };
}

function readMaybeGzip(path: string): Uint8Array {
  const raw = readFileSync(path);
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (e) {
      throw new DataError(`${path} is not a valid gzip file (${(e as Error).message}); re-download it`);
    }
  }
  return raw;
}

function findFile(dir: string, base: string): string {
  const dotted = base.replace(/-(idx\d-ubyte)$/, '.$1');
  for (const name of [base, `${base}.gz`, dotted, `${dotted}.gz`]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new DataError(`missing ${base}(.gz) in ${dir}; an idx: dataset needs the four standard MNIST-format files`);
}

function loadPair(dir: string, prefix: 'train' | 't10k'): { split: DataSplit; shape: [number, number] } {
  const imagesPath = findFile(dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = findFile(dir, `${prefix}-labels-idx1-ubyte`);
  const images = parseIdx(readMaybeGzip(imagesPath), IDX_IMAGES_MAGIC, imagesPath);
  const labels = parseIdx(readMaybeGzip(labelsPath), IDX_LABELS_MAGIC, labelsPath);
  const [count, h, w] = images.dims;
  if (labels.dims[0] !== count) {
    throw new DataError(`${imagesPath} has ${count} images but ${labelsPath} has ${labels.dims[0]} labels; the files do not belong together`);
  }
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) y[i] = labels.data[i];
  return { split: { x, y, count }, shape: [h, w] };
}

export function loadIdxDataset(dirArg: string): RawDataset {
  const dir = resolve(dirArg);
  if (!existsSync(dir)) throw new DataError(`dataset folder ${dir} does not exist; check the path after idx:`);
  const train = loadPair(dir, 'train');
  const test = loadPair(dir, 't10k');
  if (train.shape[0] !== test.shape[0] || train.shape[1] !== test.shape[1]) {
    throw new DataError(`train images are ${train.shape.join('x')} but test images are ${test.shape.join('x')} in ${dir}`);
  }
  let maxLabel = 0;
  for (const s of [train.split, test.split]) for (const l of s.y) maxLabel = Math.max(maxLabel, l);
  return {
    id: `idx:${dir}`,
    name: `IDX ${dir}`,
    inputShape: [train.shape[0], train.shape[1], 1],
    numClasses: Math.max(maxLabel + 1, 2),
    train: train.split,
    test: test.split,
  };
}

/** Serialise an IDX file (used by tests and by anyone preparing data). */
export function encodeIdx(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
