/**
 * A user's own data as NumPy writes it: `--data npz:FILE` (numpy.savez or savez_compressed with arrays `x_train`,
 * `y_train`, `x_test`, `y_test`) or `--data npy:DIR` (the four arrays as DIR/x_train.npy ...).
 *
 * Images: uint8 (scaled to [0, 1] by 1/255, as the IDX loader does), float32 or float64 (taken as they are, and
 * refused if not finite), or signed integers and uint16/uint32 (taken as they are: token ids for an Embedding); NHWC
 * [n, h, w, c], [n, h, w] (one channel, or a sequence of h steps of w features) or flat [n, d]. The values keep their
 * order and take the shape of the model's input when the search checks the model (run/setup.ts, `fitModelInput`):
 * a [n, 784] array feeds a model whose input is [28, 28, 1], a [n, 24, 3] array a Conv1D or LSTM input [24, 3]. Labels: int32 or int64 class indices [n] (or [n, 1]), or one-hot
 * rows [n, k] of any type with exactly one 1 each. Each way a file can be wrong is a one-line DataError.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataError } from '../../errors.js';
import type { DataSplit, RawDataset } from './dataset.js';
import { type NpyArray, parseNpy } from './npy.js';
import { readZip } from './zip.js';

const ARRAYS = ['x_train', 'y_train', 'x_test', 'y_test'] as const;
type ArrayName = (typeof ARRAYS)[number];

/** A NumPy dataset's arrays, from an .npz file or a folder of .npy files. */
function readArrays(kind: 'npz' | 'npy', path: string): Record<ArrayName, NpyArray> {
  const out = {} as Record<ArrayName, NpyArray>;
  if (kind === 'npz') {
    if (!existsSync(path) || !statSync(path).isFile()) throw new DataError(`${path} does not exist or is not a file; give an .npz written by numpy.savez after npz:`);
    const files = readZip(readFileSync(path), path);
    for (const name of ARRAYS) {
      const bytes = files.get(`${name}.npy`);
      if (!bytes) throw new DataError(`${path} has no array '${name}' (it holds ${[...files.keys()].map((k) => k.replace(/\.npy$/, '')).join(', ') || 'nothing'}); save it with numpy.savez(FILE, x_train=..., y_train=..., x_test=..., y_test=...)`);
      out[name] = parseNpy(bytes, `${path}:${name}`);
    }
    return out;
  }
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new DataError(`${path} is not a folder; give the folder holding x_train.npy, y_train.npy, x_test.npy and y_test.npy after npy:`);
  for (const name of ARRAYS) {
    const file = join(path, `${name}.npy`);
    if (!existsSync(file)) throw new DataError(`missing ${name}.npy in ${path}; an npy: folder needs x_train.npy, y_train.npy, x_test.npy and y_test.npy`);
    out[name] = parseNpy(readFileSync(file), file);
  }
  return out;
}

const IMAGE_TYPES = ['u1', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u2', 'u4'];
const LABEL_TYPES = ['i4', 'i8', 'u1', 'i1', 'u2', 'i2', 'u4', 'u8'];

/** Images as float32 in NHWC order, and their per-image shape ([h, w, c], or [1, 1, d] for flat ones). */
function images(a: NpyArray, what: string): { x: Float32Array; shape: [number, number, number]; flat: boolean } {
  if (!IMAGE_TYPES.includes(a.type)) throw new DataError(`${what} holds ${a.type} values; inputs must be uint8 (images), float32, float64 or int32 / int64 (token ids)`);
  const [n, ...rest] = a.shape;
  if (a.shape.length < 2 || a.shape.length > 4 || n === 0 || rest.includes(0)) {
    throw new DataError(`${what} has shape (${a.shape.join(', ')}); images must be [n, h, w, c], [n, h, w] or flat [n, d] with n > 0`);
  }
  const x = new Float32Array(a.size);
  if (a.type === 'u1') for (let i = 0; i < x.length; i++) x[i] = a.bytes[i] / 255;
  else {
    for (let i = 0; i < x.length; i++) x[i] = a.get(i);
    const bad = x.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new DataError(`${what} holds ${x[bad]} at position ${bad}; images must be finite numbers`);
  }
  const shape: [number, number, number] = rest.length === 3 ? [rest[0], rest[1], rest[2]] : rest.length === 2 ? [rest[0], rest[1], 1] : [1, 1, rest[0]];
  return { x, shape, flat: rest.length === 1 };
}

/** Class indices from int labels [n] / [n, 1] or one-hot rows [n, k]; also the classes the labels say there are. */
function labels(a: NpyArray, what: string): { y: Int32Array; classes: number } {
  const n = a.shape[0];
  const oneHot = a.shape.length === 2 && a.shape[1] > 1;
  if (!(a.shape.length === 1 || (a.shape.length === 2 && (a.shape[1] === 1 || oneHot)))) {
    throw new DataError(`${what} has shape (${a.shape.join(', ')}); labels must be class indices [n] or one-hot rows [n, classes]`);
  }
  const y = new Int32Array(n);
  if (oneHot) {
    const k = a.shape[1];
    for (let i = 0; i < n; i++) {
      let hot = -1;
      for (let j = 0; j < k; j++) {
        const v = a.get(i * k + j);
        if (v === 1 && hot < 0) hot = j;
        else if (v !== 0) throw new DataError(`${what} row ${i} is not one-hot (one 1, the rest 0); give one-hot rows or int class indices`);
      }
      if (hot < 0) throw new DataError(`${what} row ${i} has no 1; give one-hot rows or int class indices`);
      y[i] = hot;
    }
    return { y, classes: k };
  }
  if (!LABEL_TYPES.includes(a.type)) throw new DataError(`${what} holds ${a.type} values; labels must be int32 or int64 class indices (or one-hot rows)`);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = a.get(i);
    if (!Number.isInteger(v) || v < 0 || v > 2 ** 20) throw new DataError(`${what} has label ${v} at position ${i}; labels must be class indices 0, 1, 2, ...`);
    y[i] = v;
    max = Math.max(max, v);
  }
  return { y, classes: max + 1 };
}

/** Load `--data npz:FILE` or `--data npy:DIR`. */
export function loadNumpyDataset(kind: 'npz' | 'npy', pathArg: string): RawDataset {
  const path = resolve(pathArg);
  const arrays = readArrays(kind, path);
  const name = (a: ArrayName) => (kind === 'npz' ? `${path}:${a}` : join(path, `${a}.npy`));
  const split = (xs: ArrayName, ys: ArrayName) => {
    const img = images(arrays[xs], name(xs));
    const lab = labels(arrays[ys], name(ys));
    if (lab.y.length !== arrays[xs].shape[0]) {
      throw new DataError(`${name(xs)} has ${arrays[xs].shape[0]} images but ${name(ys)} has ${lab.y.length} labels; the arrays do not belong together`);
    }
    return { ...img, ...lab, split: { x: img.x, y: lab.y, count: lab.y.length } as DataSplit };
  };
  const train = split('x_train', 'y_train');
  const test = split('x_test', 'y_test');
  if (train.shape.join() !== test.shape.join()) {
    throw new DataError(`train images are [${arrays.x_train.shape.slice(1)}] but test images are [${arrays.x_test.shape.slice(1)}] in ${path}; both must have one shape`);
  }
  return {
    id: `${kind}:${path}`,
    name: `${kind === 'npz' ? 'NumPy' : 'NumPy folder'} ${path}`,
    inputShape: train.shape,
    numClasses: Math.max(train.classes, test.classes, 2),
    train: train.split,
    test: test.split,
    ...(train.flat ? { flat: true } : {}),
  };
}
