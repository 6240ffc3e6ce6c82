/**
 * The in-memory dataset every loader produces, and seeded splits into train / validation / test.
 *
 * Images are float32 NHWC in [0, 1]; labels are class indices. Validation is carved out of the TRAINING data and is
 * what search rewards are measured on; the test split is only for final reports (PocketFlow's quantization learner
 * rewarded on the test set, a defect we do not repeat). The holdout split is carved from the training data too,
 * disjoint from validation and test and never trained on: it scores choices made AMONG the strategies validation
 * ranked (the re-rank), so the images that ranked a strategy are not the ones that confirm it (the winner's curse).
 */
import seedrandom from 'seedrandom';
import { DataError } from '../../errors.js';

export interface DataSplit {
  /** Images, NHWC, float32 in [0, 1]. */
  x: Float32Array;
  /** Class index per image. */
  y: Int32Array;
  count: number;
}

export interface Dataset {
  /** Stable identifier, e.g. "mnist-bundled" or "idx:/data/mnist"; part of cache keys. */
  id: string;
  /** Short human name for headers. */
  name: string;
  /** One example's shape: [height, width, channels] for images, until `fitModelInput` gives the data the model's
   * input shape ([d] for a vector, [steps, features] for a sequence, [length] for token ids, ...). */
  inputShape: number[];
  numClasses: number;
  train: DataSplit;
  validation: DataSplit;
  /** Held out of training, validation and test: the re-rank's own images. Absent or empty: none (a hand-built
   * dataset need not have one). */
  holdout?: DataSplit;
  test: DataSplit;
  /** The images came flat ([n, d]): `inputShape` is [1, 1, d] until `fitModelInput` gives them the model's shape. */
  flat?: boolean;
}

/** A loader's raw output, before the validation split is carved. `test` is null when the source has no test set. */
export interface RawDataset {
  id: string;
  name: string;
  inputShape: number[];
  numClasses: number;
  train: DataSplit;
  test: DataSplit | null;
  flat?: boolean;
}

export interface SplitOptions {
  /** Seed of the shuffle that decides which images go where. */
  seed: number;
  /** Images moved from train into validation. */
  validationSize: number;
  /** Images moved from train into test when the source has no test set of its own. */
  testSize: number;
  /** Images moved from train into the holdout split (0 = none); `auto`: autoHoldoutSize. */
  holdoutSize?: number | 'auto';
  /** Keep at most this many training images (after the split); 0 = all. */
  trainLimit?: number;
}

/** Fisher-Yates with seedrandom: the same seed gives the same order on every machine. */
export function seededPermutation(n: number, seed: number | string): Int32Array {
  const rng = seedrandom(String(seed));
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Copy the rows `idx[from..to)` of a split into a new split. */
export function takeRows(split: DataSplit, idx: Int32Array, from = 0, to = idx.length): DataSplit {
  const size = split.x.length / split.count;
  const count = Math.max(0, to - from);
  const x = new Float32Array(count * size);
  const y = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    const src = idx[from + r];
    x.set(split.x.subarray(src * size, (src + 1) * size), r * size);
    y[r] = split.y[src];
  }
  return { x, y, count };
}

/** The most images `auto` holds out. */
export const MAX_AUTO_HOLDOUT = 1000;

/**
 * The holdout `auto` takes from `left` training images: a sixth, at most MAX_AUTO_HOLDOUT (1000 of the bundled
 * MNIST's 6000). The re-rank compares a few strategies on the SAME images (paired), so it needs fewer images than the
 * validation split that ranks hundreds, and a small dataset keeps five sixths of its images training.
 */
export function autoHoldoutSize(left: number): number {
  return Math.max(0, Math.min(MAX_AUTO_HOLDOUT, Math.floor(left / 6)));
}

/**
 * Carve test (if the source has none), validation and holdout, in that order, out of the shuffled training data; the
 * rest trains. The order keeps a split's test and validation images what they were before holdouts existed: a holdout
 * only takes images that trained.
 */
export function splitDataset(raw: RawDataset, opts: SplitOptions): Dataset {
  const needTest = raw.test === null ? opts.testSize : 0;
  const minTrain = 1;
  if (raw.train.count < opts.validationSize + needTest + minTrain) {
    throw new DataError(
      `${raw.name} has ${raw.train.count} training images, too few for a validation split of ${opts.validationSize}` +
        (needTest ? ` and a test split of ${needTest}` : '') +
        '; lower --validation-size or point --data at a larger dataset',
    );
  }
  const left = raw.train.count - opts.validationSize - needTest;
  const holdoutSize = opts.holdoutSize === 'auto' ? autoHoldoutSize(left) : (opts.holdoutSize ?? 0);
  if (holdoutSize > left - minTrain) {
    throw new DataError(
      `--holdout-size ${holdoutSize} is too large: ${raw.name} leaves ${left} training images after validation` +
        (needTest ? ' and test' : '') +
        `, and at least ${minTrain} must train; use --holdout-size ${Math.max(0, left - minTrain)} or less`,
    );
  }
  const perm = seededPermutation(raw.train.count, `split:${opts.seed}`);
  let at = 0;
  const test = raw.test ?? takeRows(raw.train, perm, at, (at += needTest));
  const validation = takeRows(raw.train, perm, at, (at += opts.validationSize));
  const holdout = takeRows(raw.train, perm, at, (at += holdoutSize));
  const limit = opts.trainLimit && opts.trainLimit > 0 ? Math.min(opts.trainLimit, perm.length - at) : perm.length - at;
  const train = takeRows(raw.train, perm, at, at + limit);
  return { id: raw.id, name: raw.name, inputShape: raw.inputShape, numClasses: raw.numClasses, train, validation, holdout, test, ...(raw.flat ? { flat: true } : {}) };
}

/** Counts of each class in a split (used by tests and reports). */
export function classCounts(split: DataSplit, numClasses: number): number[] {
  const c = new Array<number>(numClasses).fill(0);
  for (const label of split.y) c[label]++;
  return c;
}

const product = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** Whether `shape` is what a model input of `want` (null: any size) takes: same rank, every known size equal. */
function fits(shape: number[], want: Array<number | null>): boolean {
  return shape.length === want.length && want.every((d, i) => d === null || d === shape[i]);
}

/**
 * Give the data the shape of a model's input when the values are the model's input in the same order, and return
 * whether the data now has it. In turn:
 * - the shape as it is ([h, w, c] for [h, w, c]);
 * - the array's own shape before the loaders read it as images: flat rows [n, d] as [d] (a Dense model's vector,
 *   an Embedding's token ids), [n, h, w] as [h, w] (a sequence of `h` steps of `w` features for a Conv1D or an LSTM,
 *   whose input may leave the steps open: [null, w]);
 * - a reshape that keeps the values in order, only where no order is in doubt: flat rows into any input of the same
 *   size (a [n, 784] array feeds a [28, 28, 1] input), images into a flat input (a [n, 12, 12, 1] array feeds a
 *   [144] input, as a Flatten would).
 * A shape with axes in another order ([c, h, w] for [h, w, c]) is never produced: those are refused by the caller.
 */
export function fitModelInput(data: Dataset, modelInput: Array<number | null>): boolean {
  const have = data.inputShape;
  const size = product(have);
  const own = data.flat ? [size] : have.length === 3 && have[2] === 1 ? [have[0], have[1]] : have;
  const known = modelInput.every((d) => d !== null) ? (modelInput as number[]) : null;
  const adopt = (shape: number[]) => {
    data.inputShape = shape;
    data.flat = false;
    return true;
  };
  if (fits(have, modelInput)) return adopt(have);
  if (fits(own, modelInput)) return adopt(own);
  if (known && product(known) === size && (data.flat || known.length === 1)) return adopt(known);
  return false;
}
