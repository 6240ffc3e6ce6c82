/**
 * `--data` specs: `mnist` (the bundled 10k digits, default), `idx:DIR`, `cifar10:DIR`, and NumPy arrays `npz:FILE`
 * or `npy:DIR` (numpy-dataset.ts).
 */
import { DataError } from '../../errors.js';
import { loadCifar10Dataset } from './cifar10.js';
import { type Dataset, splitDataset } from './dataset.js';
import { loadIdxDataset } from './idx.js';
import { loadBundledMnist } from './mnist-bundled.js';
import { loadInMemoryData } from './in-memory.js';
import { loadNumpyDataset } from './numpy-dataset.js';

export interface DataOptions {
  seed: number;
  /** Validation images carved from the training data (rewards are measured on these). */
  validationSize?: number;
  /** Test images carved from the training data when the source has no test set (the bundled MNIST). */
  testSize?: number;
  /** Images held out of training for the re-rank (Dataset.holdout); 0 = none; default `auto` (autoHoldoutSize). */
  holdoutSize?: number | 'auto';
  /** Keep at most this many training images; 0 = all. */
  trainLimit?: number;
}

export const DEFAULT_VALIDATION_SIZE = 2000;
export const DEFAULT_TEST_SIZE = 2000;


export function loadDataset(spec: string, opts: DataOptions): Dataset {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  let raw;
  switch (kind) {
    case 'mnist':
      if (arg) throw new DataError(`--data mnist takes no path; for MNIST files on disk use --data idx:${arg}`);
      raw = loadBundledMnist();
      break;
    case 'idx':
      if (!arg) throw new DataError('--data idx: needs a folder, e.g. --data idx:./data/mnist');
      raw = loadIdxDataset(arg);
      break;
    case 'cifar10':
      if (!arg) throw new DataError('--data cifar10: needs a folder, e.g. --data cifar10:./cifar-10-batches-bin');
      raw = loadCifar10Dataset(arg);
      break;
    case 'npz':
    case 'npy':
      if (!arg) throw new DataError(kind === 'npz' ? '--data npz: needs a file, e.g. --data npz:./data.npz' : '--data npy: needs a folder, e.g. --data npy:./arrays');
      raw = loadNumpyDataset(kind, arg);
      break;
    case 'memory':
      raw = loadInMemoryData(spec);
      break;
    default:
      throw new DataError(`unknown dataset '${spec}'; use mnist, idx:DIR, cifar10:DIR, npz:FILE or npy:DIR`);
  }
  return splitDataset(raw, {
    seed: opts.seed,
    validationSize: opts.validationSize ?? DEFAULT_VALIDATION_SIZE,
    testSize: opts.testSize ?? DEFAULT_TEST_SIZE,
    holdoutSize: opts.holdoutSize ?? 'auto',
    trainLimit: opts.trainLimit,
  });
}
