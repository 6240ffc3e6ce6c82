/**
 * CIFAR-10 binary version (Krizhevsky, "CIFAR-10 binary version (suitable for C programs)"): `data_batch_1.bin` ..
 * `data_batch_5.bin` and `test_batch.bin`, each a sequence of 3073-byte records: 1 label byte (0..9) then
 * 3x32x32 pixels, channel-major (all red, then green, then blue), row-major within a channel. We convert to NHWC
 * float32 in [0, 1].
 *
 * `--data cifar10:DIR` needs `test_batch.bin` and at least `data_batch_1.bin`; any of batches 2..5 present are used
 * (a partial download still works, and says so nowhere silently: the dataset name lists the batches).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataError } from '../../errors.js';
import type { DataSplit, RawDataset } from './dataset.js';

const SIDE = 32;
const PIXELS = SIDE * SIDE;
export const CIFAR_RECORD_BYTES = 1 + 3 * PIXELS;

export function parseCifarBatch(buf: Uint8Array, what: string): DataSplit {
  if (buf.length === 0 || buf.length % CIFAR_RECORD_BYTES !== 0) {
    throw new DataError(
      `${what} is ${buf.length} bytes, not a whole number of ${CIFAR_RECORD_BYTES}-byte CIFAR-10 records; ` +
        'it is truncated or not the binary version (use the "binary version" archive, not python/matlab)',
    );
  }
  const count = buf.length / CIFAR_RECORD_BYTES;
  const x = new Float32Array(count * 3 * PIXELS);
  const y = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    const base = r * CIFAR_RECORD_BYTES;
    const label = buf[base];
    if (label > 9) throw new DataError(`${what} record ${r} has label ${label}; CIFAR-10 labels are 0..9, the file is corrupt`);
    y[r] = label;
    const out = r * 3 * PIXELS;
    for (let p = 0; p < PIXELS; p++) {
      for (let c = 0; c < 3; c++) x[out + p * 3 + c] = buf[base + 1 + c * PIXELS + p] / 255;
    }
  }
  return { x, y, count };
}

function concat(splits: DataSplit[]): DataSplit {
  const count = splits.reduce((n, s) => n + s.count, 0);
  const x = new Float32Array(splits.reduce((n, s) => n + s.x.length, 0));
  const y = new Int32Array(count);
  let xo = 0;
  let yo = 0;
  for (const s of splits) {
    x.set(s.x, xo);
    y.set(s.y, yo);
    xo += s.x.length;
    yo += s.count;
  }
  return { x, y, count };
}

export function loadCifar10Dataset(dirArg: string): RawDataset {
  const dir = resolve(dirArg);
  if (!existsSync(dir)) throw new DataError(`dataset folder ${dir} does not exist; check the path after cifar10:`);
  for (const required of ['data_batch_1.bin', 'test_batch.bin']) {
    if (!existsSync(join(dir, required))) {
      throw new DataError(`missing ${required} in ${dir}; cifar10: needs the binary batches (data_batch_1..5.bin, test_batch.bin)`);
    }
  }
  const batches: DataSplit[] = [];
  const used: number[] = [];
  for (let b = 1; b <= 5; b++) {
    const p = join(dir, `data_batch_${b}.bin`);
    if (!existsSync(p)) continue;
    batches.push(parseCifarBatch(readFileSync(p), p));
    used.push(b);
  }
  const testPath = join(dir, 'test_batch.bin');
  return {
    id: `cifar10:${dir}`,
    name: used.length === 5 ? `CIFAR-10 ${dir}` : `CIFAR-10 ${dir} (batches ${used.join(',')})`,
    inputShape: [SIDE, SIDE, 3],
    numClasses: 10,
    train: concat(batches),
    test: parseCifarBatch(readFileSync(testPath), testPath),
  };
}
