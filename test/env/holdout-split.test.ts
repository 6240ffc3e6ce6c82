import test from 'ava';
import { DataError } from '../../errors.js';
import { autoHoldoutSize, type DataSplit, type RawDataset, splitDataset } from '../../env/data/dataset.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { baselineDir } from '../../env/models/baseline-cache.js';

/** `n` one-pixel images whose pixel is the image's index, so a split's images name themselves. */
function indexed(n: number, withTest = false): RawDataset {
  const split = (from: number, count: number): DataSplit => ({ x: Float32Array.from({ length: count }, (_, i) => from + i), y: new Int32Array(count), count });
  return { id: 'indexed', name: 'indexed', inputShape: [1, 1, 1], numClasses: 2, train: split(0, n), test: withTest ? split(1000, 10) : null };
}

const ids = (s: DataSplit | undefined) => Array.from(s?.x ?? []);

test('50 images, 10 test, 10 validation, 5 holdout: 25 train, the four splits disjoint by image index and together every image once', (t) => {
  const d = splitDataset(indexed(50), { seed: 1, validationSize: 10, testSize: 10, holdoutSize: 5 });
  t.deepEqual([d.train.count, d.validation.count, d.holdout!.count, d.test.count], [25, 10, 5, 10]);
  const all = [...ids(d.train), ...ids(d.validation), ...ids(d.holdout), ...ids(d.test)];
  t.is(new Set(all).size, 50, 'no image in two splits');
  t.deepEqual(all.sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
});

test('the holdout only takes training images: test and validation are the same images with holdout 0 and 5', (t) => {
  const none = splitDataset(indexed(50), { seed: 3, validationSize: 10, testSize: 10, holdoutSize: 0 });
  const some = splitDataset(indexed(50), { seed: 3, validationSize: 10, testSize: 10, holdoutSize: 5 });
  t.deepEqual(ids(some.test), ids(none.test));
  t.deepEqual(ids(some.validation), ids(none.validation));
  t.is(none.holdout!.count, 0);
  // the 5 held out are the first 5 of the 30 images that trained without a holdout
  t.deepEqual(ids(some.holdout), ids(none.train).slice(0, 5));
  t.deepEqual(ids(some.train), ids(none.train).slice(5));
});

test('a source with its own test set: the holdout comes out of its training images, the test set untouched', (t) => {
  const d = splitDataset(indexed(20, true), { seed: 1, validationSize: 5, testSize: 99, holdoutSize: 4 });
  t.deepEqual([d.train.count, d.validation.count, d.holdout!.count, d.test.count], [11, 5, 4, 10]);
  t.deepEqual(ids(d.test), Array.from({ length: 10 }, (_, i) => 1000 + i));
});

test('a holdout larger than the training data leaves is a DataError naming the largest that fits: 50 - 10 - 10 = 30 left, 29 at most', (t) => {
  const e = t.throws(() => splitDataset(indexed(50), { seed: 1, validationSize: 10, testSize: 10, holdoutSize: 30 }), { instanceOf: DataError });
  t.is(e!.message, '--holdout-size 30 is too large: indexed leaves 30 training images after validation and test, and at least 1 must train; use --holdout-size 29 or less');
  t.notThrows(() => splitDataset(indexed(50), { seed: 1, validationSize: 10, testSize: 10, holdoutSize: 29 }));
});

test('auto holds out a sixth of the training images left, at most 1000: 6000 -> 1000, 26 -> 4, 58000 -> 1000, 5 -> 0', (t) => {
  t.deepEqual([6000, 26, 58000, 5].map(autoHoldoutSize), [1000, 4, 1000, 0]);
  const d = splitDataset(indexed(50), { seed: 1, validationSize: 10, testSize: 10, holdoutSize: 'auto' });
  t.is(d.holdout!.count, 5, '30 left / 6');
});

test('the baseline cache key holds the holdout size; a split without one keeps the key it had before holdouts', (t) => {
  const held = loadDataset('mnist', { seed: 1 });
  const none = loadDataset('mnist', { seed: 1, holdoutSize: 0 });
  t.regex(baselineDir('lenet5', held, { workdir: '/w', dataSeed: 1 }), /-split1v2000t2000h1000-e12$/);
  t.regex(baselineDir('lenet5', none, { workdir: '/w', dataSeed: 1 }), /-split1v2000t2000-e12$/);
});
