/**
 * `--data npz:FILE` and `--data npy:DIR`: arrays written by the test itself in NumPy's formats (.npy version 1.0, ZIP
 * stored as numpy.savez writes it or deflated as savez_compressed does), read back with uint8 scaled by 1/255, floats
 * as they are, int64 or one-hot labels; flat images take the model's input shape; every malformed file is a one-line
 * DataError, and the CLI exits 2 on it before any training.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { DataError } from '../../errors.js';
import { fitModelInput } from '../../env/data/dataset.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { encodeNpy } from '../../env/data/npy.js';
import { encodeZip } from '../../env/data/zip.js';
import { saveModel } from '../../env/models/model-io.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
type Arrays = Record<string, Uint8Array>;

/** 40 (or `train`) train and 10 test images of 4x4x1, uint8 pixel i % 256 of the whole array, labels i % 3 as int64. */
function digits(opts: { flat?: boolean; train?: number } = {}): Arrays {
  const images = (n: number, from: number) => encodeNpy('|u1', opts.flat ? [n, 16] : [n, 4, 4, 1], Uint8Array.from({ length: n * 16 }, (_, i) => (from + i) % 256));
  const labels = (n: number) => encodeNpy('<i8', [n], bytesOf(BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 3))));
  const n = opts.train ?? 40;
  return { x_train: images(n, 0), y_train: labels(n), x_test: images(10, 7), y_test: labels(10) };
}

function npz(t: Parameters<typeof tmpDir>[0], arrays: Arrays, compressed = false): string {
  const path = join(tmpDir(t), 'data.npz');
  writeFileSync(path, encodeZip(Object.entries(arrays).map(([name, data]) => ({ name: `${name}.npy`, data, ...(compressed ? { deflated: deflateRawSync(data) } : {}) }))));
  return path;
}

function npyDir(t: Parameters<typeof tmpDir>[0], arrays: Arrays): string {
  const dir = tmpDir(t);
  for (const [name, data] of Object.entries(arrays)) writeFileSync(join(dir, `${name}.npy`), data);
  return dir;
}

const opts = { seed: 1, validationSize: 10, testSize: 0 };

for (const compressed of [false, true]) {
  test(`an .npz (${compressed ? 'deflated, as savez_compressed' : 'stored, as savez'}) of uint8 NHWC images and int64 labels loads scaled by 1/255, 40 training images as 10 validation + 5 holdout + 25 train`, (t) => {
    const data = loadDataset(`npz:${npz(t, digits(), compressed)}`, opts);
    t.deepEqual(data.inputShape, [4, 4, 1]);
    t.is(data.numClasses, 3);
    // the holdout (auto) takes a sixth of the 40 - 10 = 30 images validation leaves: 5
    t.deepEqual([data.validation.count, data.holdout?.count, data.train.count], [10, 5, 25]);
    t.is(data.test.count, 10);
    // the test split is x_test as written: its first pixel is 7 / 255, its 10th label 9 % 3 = 0
    t.is(data.test.x[0], Math.fround(7 / 255));
    t.is(data.test.y[9], 0);
    t.is(data.id.slice(0, 4), 'npz:');
  });
}

test('an npy: folder of float64 [n, h, w] images and one-hot float32 labels loads as [h, w, 1] with class indices', (t) => {
  const x = (n: number) => encodeNpy('<f8', [n, 2, 3], bytesOf(Float64Array.from({ length: n * 6 }, (_, i) => i / 1000)));
  const oneHot = (n: number) => encodeNpy('<f4', [n, 4], bytesOf(Float32Array.from({ length: n * 4 }, (_, i) => (i % 4 === Math.floor(i / 4) % 4 ? 1 : 0))));
  const data = loadDataset(`npy:${npyDir(t, { x_train: x(20), y_train: oneHot(20), x_test: x(6), y_test: oneHot(6) })}`, { ...opts, validationSize: 4 });
  t.deepEqual(data.inputShape, [2, 3, 1]);
  t.is(data.numClasses, 4);
  // row 5 of y_test is one-hot at 5 % 4 = 1; pixel 7 of x_test is 7 / 1000
  t.is(data.test.y[5], 1);
  t.is(data.test.x[7], Math.fround(0.007));
});

test('flat [n, 16] images take a model input of [4, 4, 1] (same values, same order) and are refused by a [5, 5, 1] one', (t) => {
  const data = loadDataset(`npz:${npz(t, digits({ flat: true }))}`, opts);
  t.deepEqual(data.inputShape, [1, 1, 16]);
  t.true(data.flat);
  t.false(fitModelInput({ ...data }, [5, 5, 1]), '25 values are not 16');
  t.true(fitModelInput(data, [4, 4, 1]));
  t.deepEqual(data.inputShape, [4, 4, 1]);
});

test('int32 token ids [n, 5] load as they are (not divided by 255) and take an input of [5]', (t) => {
  // token i of the whole x_train array is i % 50
  const ids = (n: number) => encodeNpy('<i4', [n, 5], bytesOf(Int32Array.from({ length: n * 5 }, (_, i) => i % 50)));
  const data = loadDataset(`npz:${npz(t, { ...digits(), x_train: ids(40), x_test: ids(10) })}`, opts);
  t.deepEqual(data.inputShape, [1, 1, 5]);
  t.true(fitModelInput(data, [5]));
  t.deepEqual(data.inputShape, [5]);
  // test row 1 is ids 5..9 of x_test
  t.deepEqual([...data.test.x.subarray(5, 10)], [5, 6, 7, 8, 9]);
});

const i32 = (n: number, f: (i: number) => number) => encodeNpy('<i4', [n], bytesOf(Int32Array.from({ length: n }, (_, i) => f(i))));
const malformed: Array<[string, (a: Arrays) => Arrays | Uint8Array, RegExp]> = [
  ['a file that is not a ZIP', () => new TextEncoder().encode('x_train = [1, 2, 3]'), /is not a readable \.npz \(no ZIP end-of-directory record\)/],
  ['a missing y_test array', ({ y_test: _, ...rest }) => rest, /has no array 'y_test' \(it holds x_train, y_train, x_test\)/],
  ['an array that is not .npy', (a) => ({ ...a, x_test: new TextEncoder().encode('not numpy at all') }), /x_test is not a NumPy \.npy file/],
  ['a truncated array', (a) => ({ ...a, x_train: a.x_train.subarray(0, a.x_train.length - 1) }), /x_train declares shape \(40, 4, 4, 1\) of '\|u1' = 640 bytes but holds 639/],
  ['float16 images', (a) => ({ ...a, x_test: encodeNpy('<f2', [10, 4, 4, 1], new Uint8Array(320)) }), /x_test holds '<f2' values; use uint8, float32 or float64/],
  ['big-endian int32 labels', (a) => ({ ...a, y_train: encodeNpy('>i4', [40], new Uint8Array(160)) }), /y_train holds '>i4' values/],
  ['float labels that are not one-hot', (a) => ({ ...a, y_test: encodeNpy('<f4', [10], new Uint8Array(40)) }), /y_test holds f4 values; labels must be int32 or int64/],
  ['one-hot rows with two 1s', (a) => ({ ...a, y_test: encodeNpy('<i4', [10, 2], bytesOf(new Int32Array(20).fill(1))) }), /y_test row 0 is not one-hot/],
  ['a negative label', (a) => ({ ...a, y_train: i32(40, (i) => (i === 3 ? -1 : 0)) }), /y_train has label -1 at position 3/],
  ['30 labels for 40 images', (a) => ({ ...a, y_train: i32(30, () => 0) }), /has 40 images but .*y_train has 30 labels/],
  ['test images of another shape', (a) => ({ ...a, x_test: encodeNpy('|u1', [10, 5, 5, 1], new Uint8Array(250)) }), /train images are \[4,4,1\] but test images are \[5,5,1\]/],
  ['images of shape [n]', (a) => ({ ...a, x_train: encodeNpy('|u1', [40], new Uint8Array(40)) }), /has shape \(40\); images must be \[n, h, w, c\]/],
  ['a NaN pixel', (a) => ({ ...a, x_test: encodeNpy('<f4', [10, 4, 4, 1], bytesOf(new Float32Array(160).fill(NaN))) }), /x_test holds NaN at position 0; images must be finite/],
];

for (const [what, make, message] of malformed) {
  test(`an .npz with ${what} is a one-line DataError`, (t) => {
    const made = make(digits());
    const path = made instanceof Uint8Array ? join(tmpDir(t), 'bad.npz') : npz(t, made);
    if (made instanceof Uint8Array) writeFileSync(path, made);
    const error = t.throws(() => loadDataset(`npz:${path}`, opts), { instanceOf: DataError, message });
    t.false(error!.message.includes('\n'));
  });
}

test('an array in Fortran order, a missing npy file, and a missing npz path are one-line DataErrors that say the fix', (t) => {
  const head = String.fromCharCode(...digits().x_train.subarray(0, 128)).replace("'fortran_order': False", "'fortran_order': True ");
  const fortran = Uint8Array.from(head, (c) => c.charCodeAt(0));
  const arrays = digits();
  const x = new Uint8Array(arrays.x_train);
  x.set(fortran, 0);
  t.throws(() => loadDataset(`npy:${npyDir(t, { ...arrays, x_train: x })}`, opts), { instanceOf: DataError, message: /Fortran order; save numpy\.ascontiguousarray\(x\) instead/ });
  const { y_test: _, ...three } = digits();
  t.throws(() => loadDataset(`npy:${npyDir(t, three)}`, opts), { instanceOf: DataError, message: /missing y_test\.npy in .*; an npy: folder needs/ });
  t.throws(() => loadDataset('npz:/nonexistent/data.npz', opts), { instanceOf: DataError, message: /does not exist or is not a file/ });
  t.throws(() => loadDataset('npz:', opts), { instanceOf: DataError, message: /--data npz: needs a file/ });
});

const repo = fileURLToPath(new URL('../..', import.meta.url));
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
  });
}

test('the CLI evaluates a model.json on flat npz data, and refuses data that does not fit the model in one line with exit 2', async (t) => {
  const dir = tmpDir(t);
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
  await saveModel(model, join(dir, 'model'));
  model.dispose();
  // evaluate carves its default 2000 validation images from the training set
  const good = npz(t, digits({ flat: true, train: 2100 }));
  const ok = await cli(['evaluate', join(dir, 'model', 'model.json'), '--data', `npz:${good}`, '--backend', 'cpu', '--json']);
  t.is(ok.code, 0, ok.stderr);
  t.like(JSON.parse(ok.stdout.trim().split('\n').pop()!), { type: 'evaluation' });
  const five = npz(t, { ...digits({ train: 2100 }), y_train: i32(2100, (i) => i % 5), y_test: i32(10, (i) => i % 5) });
  const bad = await cli(['evaluate', join(dir, 'model', 'model.json'), '--data', `npz:${five}`, '--backend', 'cpu']);
  t.is(bad.code, 2);
  // one error line and no stack (tfjs's own banner aside)
  const lines = bad.stderr.trim().split('\n').filter((l) => l.startsWith('error') || /^\s+at /.test(l));
  t.is(lines.length, 1, bad.stderr);
  t.regex(lines[0], /^error: model .* outputs 3 scores but NumPy .* has 5 classes/);
  mkdirSync(join(dir, 'empty'));
  const missing = await cli(['evaluate', join(dir, 'model', 'model.json'), '--data', `npy:${join(dir, 'empty')}`, '--backend', 'cpu']);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /error: missing x_train\.npy in /);
});
