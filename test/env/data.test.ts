import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../errors.js';
import { CIFAR_RECORD_BYTES } from '../../env/data/cifar10.js';
import { classCounts } from '../../env/data/dataset.js';
import { encodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from '../../env/data/idx.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { tmpDir } from '../helpers/tmp-dir.js';

/** Write a tiny IDX dataset: `n` 4x3 images whose every pixel is the image index, labels i % 3. */
function writeIdx(dir: string, prefix: string, n: number, gzip = false) {
  const pixels = new Uint8Array(n * 12);
  for (let i = 0; i < n; i++) pixels.fill(i, i * 12, (i + 1) * 12);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  const images = encodeIdx(IDX_IMAGES_MAGIC, [n, 4, 3], pixels);
  const labelFile = encodeIdx(IDX_LABELS_MAGIC, [n], labels);
  const z = (b: Uint8Array) => (gzip ? gzipSync(b) : b);
  const ext = gzip ? '.gz' : '';
  writeFileSync(join(dir, `${prefix}-images-idx3-ubyte${ext}`), z(images));
  writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte${ext}`), z(labelFile));
}

test('bundled MNIST gives 10,000 real digits split 5000 train / 2000 validation / 1000 holdout / 2000 test with every class in each split', (t) => {
  const data = loadDataset('mnist', { seed: 1 });
  t.deepEqual(data.inputShape, [28, 28, 1]);
  t.is(data.numClasses, 10);
  t.is(data.train.count + data.validation.count + data.holdout!.count + data.test.count, 10000);
  t.is(data.train.count, 5000);
  t.is(data.validation.count, 2000);
  t.is(data.holdout!.count, 1000);
  t.is(data.test.count, 2000);
  for (const split of [data.train, data.validation, data.holdout!, data.test]) {
    t.true(classCounts(split, 10).every((c) => c > 50));
  }
  let max = 0;
  for (const v of data.train.x) max = Math.max(max, v);
  t.true(max <= 1 && max > 0.9);
});

test('the same data seed gives the same split, another seed a different one', (t) => {
  const a = loadDataset('mnist', { seed: 7 });
  const b = loadDataset('mnist', { seed: 7 });
  const c = loadDataset('mnist', { seed: 8 });
  t.deepEqual(a.test.y.slice(0, 50), b.test.y.slice(0, 50));
  t.notDeepEqual(a.test.y.slice(0, 50), c.test.y.slice(0, 50));
});

test('IDX files are read raw or gzipped, scaled to [0, 1], with the t10k files as the test split', (t) => {
  for (const gzip of [false, true]) {
    const dir = tmpDir(t);
    writeIdx(dir, 'train', 30, gzip);
    writeIdx(dir, 't10k', 6, gzip);
    // holdout 0: the 25 training images the loader reads (auto would hold out a sixth: 4)
    const data = loadDataset(`idx:${dir}`, { seed: 1, validationSize: 5, holdoutSize: 0 });
    t.deepEqual(data.inputShape, [4, 3, 1]);
    t.is(data.numClasses, 3);
    t.is(data.train.count, 25);
    t.is(data.validation.count, 5);
    t.is(data.test.count, 6);
    // test image 5 has every pixel 5/255 and label 5 % 3 = 2
    t.is(data.test.x[5 * 12], Math.fround(5 / 255));
    t.is(data.test.y[5], 2);
  }
});

test('a missing IDX folder or file is a one-line DataError naming it', (t) => {
  const dir = tmpDir(t);
  t.throws(() => loadDataset(`idx:${join(dir, 'nope')}`, { seed: 1 }), { instanceOf: DataError, message: /does not exist/ });
  writeIdx(dir, 'train', 10);
  const e = t.throws(() => loadDataset(`idx:${dir}`, { seed: 1, validationSize: 2 }), { instanceOf: DataError });
  t.regex(e!.message, /missing t10k-images-idx3-ubyte/);
  t.false(e!.message.includes('\n'));
});

test('IDX files with a wrong magic number or a truncated body are refused', (t) => {
  const dir = tmpDir(t);
  writeIdx(dir, 'train', 10);
  writeIdx(dir, 't10k', 4);
  // swap: labels where images belong
  const labels = encodeIdx(IDX_LABELS_MAGIC, [4], new Uint8Array(4));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), labels);
  t.throws(() => loadDataset(`idx:${dir}`, { seed: 1, validationSize: 2 }), { instanceOf: DataError, message: /magic number 0x00000801, expected 0x00000803/ });
  const truncated = encodeIdx(IDX_IMAGES_MAGIC, [4, 4, 3], new Uint8Array(40));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), truncated);
  t.throws(() => loadDataset(`idx:${dir}`, { seed: 1, validationSize: 2 }), { instanceOf: DataError, message: /declares 4x4x3 = 48 values but holds 40/ });
});

test('IDX image and label counts must agree', (t) => {
  const dir = tmpDir(t);
  writeIdx(dir, 'train', 10);
  writeIdx(dir, 't10k', 4);
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx(IDX_LABELS_MAGIC, [3], new Uint8Array(3)));
  t.throws(() => loadDataset(`idx:${dir}`, { seed: 1, validationSize: 2 }), { instanceOf: DataError, message: /4 images but .* 3 labels/ });
});

/** A CIFAR-10 binary batch of `n` records: label i % 10, red = i, green = 100, blue = 200. */
function cifarBatch(n: number): Uint8Array {
  const buf = new Uint8Array(n * CIFAR_RECORD_BYTES);
  for (let i = 0; i < n; i++) {
    const base = i * CIFAR_RECORD_BYTES;
    buf[base] = i % 10;
    buf.fill(i, base + 1, base + 1 + 1024);
    buf.fill(100, base + 1 + 1024, base + 1 + 2048);
    buf.fill(200, base + 1 + 2048, base + 1 + 3072);
  }
  return buf;
}

test('CIFAR-10 binary batches become NHWC images in [0, 1] with their labels', (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'data_batch_1.bin'), cifarBatch(20));
  writeFileSync(join(dir, 'data_batch_2.bin'), cifarBatch(10));
  writeFileSync(join(dir, 'test_batch.bin'), cifarBatch(5));
  const data = loadDataset(`cifar10:${dir}`, { seed: 1, validationSize: 4 });
  t.deepEqual(data.inputShape, [32, 32, 3]);
  // 30 - 4 validation = 26 left, of which auto holds out a sixth: 4
  t.is(data.holdout!.count, 4);
  t.is(data.train.count, 22);
  t.is(data.test.count, 5);
  t.regex(data.name, /batches 1,2/);
  // test record 3: first pixel is (3, 100, 200) / 255, label 3
  t.deepEqual(Array.from(data.test.x.subarray(3 * 3072, 3 * 3072 + 3)), [3 / 255, 100 / 255, 200 / 255].map(Math.fround));
  t.is(data.test.y[3], 3);
});

test('CIFAR-10 files that are truncated, carry a bad label or are missing are refused', (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'data_batch_1.bin'), cifarBatch(3).subarray(0, 5000));
  t.throws(() => loadDataset(`cifar10:${dir}`, { seed: 1 }), { instanceOf: DataError, message: /missing test_batch\.bin/ });
  writeFileSync(join(dir, 'test_batch.bin'), cifarBatch(2));
  t.throws(() => loadDataset(`cifar10:${dir}`, { seed: 1 }), { instanceOf: DataError, message: /5000 bytes, not a whole number of 3073-byte/ });
  const bad = cifarBatch(3);
  bad[CIFAR_RECORD_BYTES] = 42;
  writeFileSync(join(dir, 'data_batch_1.bin'), bad);
  t.throws(() => loadDataset(`cifar10:${dir}`, { seed: 1 }), { instanceOf: DataError, message: /record 1 has label 42/ });
});

test('unknown dataset specs and too-small datasets say what to use instead', (t) => {
  t.throws(() => loadDataset('imagenet', { seed: 1 }), { instanceOf: DataError, message: /use mnist, idx:DIR, cifar10:DIR, npz:FILE or npy:DIR/ });
  t.throws(() => loadDataset('idx:', { seed: 1 }), { instanceOf: DataError, message: /needs a folder/ });
  const dir = tmpDir(t);
  writeIdx(dir, 'train', 5);
  writeIdx(dir, 't10k', 2);
  t.throws(() => loadDataset(`idx:${dir}`, { seed: 1 }), { instanceOf: DataError, message: /5 training images, too few for a validation split of 2000/ });
});
