/**
 * Data a program holds in memory, for the library's `runSearch`: `{ inputShape, train: { x, y }, test: { x, y } }`
 * with images as float32 NHWC in [0, 1] (flat when `inputShape` is [d]) and class indices as labels. A run names it
 * by content, `memory:<first 16 hex digits of the SHA-256 of shape, images and labels>`, so the store records which
 * data it was and a resume in another process can ask for the same data again. The registry lives in this process
 * only: worker threads get the arrays themselves, queue workers (other machines) cannot, and are refused.
 */
import { createHash } from 'node:crypto';
import { DataError } from '../../errors.js';
import type { DataSplit, RawDataset } from './dataset.js';

export interface InMemorySplit {
  /** Images, NHWC (or flat), float32 in [0, 1]: count x product(inputShape) values. */
  x: Float32Array;
  /** One class index per image. */
  y: Int32Array | number[];
}

export interface InMemoryData {
  /** One image's shape: [h, w, c], [h, w] or flat [d]. */
  inputShape: number[];
  train: InMemorySplit;
  test: InMemorySplit;
}

const registry = new Map<string, RawDataset>();

function split(s: InMemorySplit, size: number, what: string): DataSplit & { classes: number } {
  if (!(s?.x instanceof Float32Array)) throw new DataError(`in-memory data: ${what}.x must be a Float32Array of images`);
  const y = Int32Array.from(s.y ?? []);
  if (y.length === 0 || s.x.length !== y.length * size) {
    throw new DataError(`in-memory data: ${what}.x holds ${s.x.length} values for ${y.length} labels of ${size} values an image; give one label per image`);
  }
  if (y.some((v, i) => v < 0 || v !== Number(s.y[i]))) throw new DataError(`in-memory data: ${what}.y must be class indices 0, 1, 2, ...`);
  if (s.x.some((v) => !Number.isFinite(v))) throw new DataError(`in-memory data: ${what}.x holds a value that is not finite`);
  return { x: s.x, y, count: y.length, classes: Math.max(...y) + 1 };
}

/** Check in-memory data, keep it for this process, and return the `--data` spec that names it. */
export function registerInMemoryData(data: InMemoryData): string {
  const shape = data?.inputShape;
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new DataError('in-memory data: inputShape must be [h, w, c], [h, w] or [d] with whole numbers >= 1');
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const train = split(data.train, size, 'train');
  const test = split(data.test, size, 'test');
  const hash = createHash('sha256').update(JSON.stringify(shape));
  for (const s of [train, test]) hash.update(new Uint8Array(s.x.buffer, s.x.byteOffset, s.x.byteLength)).update(new Uint8Array(s.y.buffer));
  const spec = `memory:${hash.digest('hex').slice(0, 16)}`;
  const inputShape: [number, number, number] = shape.length === 3 ? [shape[0], shape[1], shape[2]] : shape.length === 2 ? [shape[0], shape[1], 1] : [1, 1, shape[0]];
  registry.set(spec, {
    id: spec,
    name: `in-memory data ${spec.slice(7)}`,
    inputShape,
    numClasses: Math.max(train.classes, test.classes, 2),
    train: { x: train.x, y: train.y, count: train.count },
    test: { x: test.x, y: test.y, count: test.count },
    ...(shape.length === 1 ? { flat: true } : {}),
  });
  return spec;
}

/** The in-memory data a `memory:` spec names, if this process holds it. */
export function loadInMemoryData(spec: string): RawDataset {
  const data = registry.get(spec);
  if (!data) {
    throw new DataError(`${spec} is in-memory data this process does not hold; pass the same arrays again (runSearch / resumeSearch option data), or save them with numpy.savez and use --data npz:FILE`);
  }
  // a fresh object: checkFits may give flat images the model's shape
  return { ...data, inputShape: [...data.inputShape] as [number, number, number] };
}
