/**
 * Built-in baselines are trained once and cached in the work directory:
 *   <workdir>/models/<model>-<dataset kind>-<dataset hash>-split<seed>v<validation>t<test>[h<holdout>]-e<epochs>/{...}
 * ({model.json, weights.bin, meta.json}). Later commands reuse the cache. The key holds the data split seed and sizes
 * because the split decides which images are test and holdout images: a model cached under another split may have
 * trained on them. A split without a holdout keeps the key it had before holdouts existed.
 */
import * as tf from '../../tfjs.js';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { evaluateAccuracy } from '../evaluate.js';
import { trainModel, type TrainProgress } from '../train.js';
import { loadModel, saveModel } from './model-io.js';
import { buildModel } from './zoo.js';

export interface BaselineMeta {
  model: string;
  dataset: string;
  dataSeed: number;
  epochs: number;
  validationAccuracy: number;
  testAccuracy: number;
  params: number;
  backend: string;
  seconds: number;
  trainedAt: string;
}

export interface BaselineOptions {
  workdir: string;
  dataSeed: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Train again even if a cached model exists. */
  retrain?: boolean;
  onProgress?: (p: TrainProgress) => void;
}

/** Epochs that bring each built-in model to its usual accuracy on the bundled MNIST. */
export const DEFAULT_EPOCHS: Record<string, number> = { lenet5: 12, mlp: 12, 'mobilenet-tiny': 12 };

/** The cache folder of a dataset split: model, dataset, split seed and sizes decide which images a model trained on. */
function splitKey(name: string, data: Dataset, dataSeed: number): string {
  const hash = createHash('sha256').update(data.id).digest('hex').slice(0, 8);
  const dataSlug = data.id.split(':')[0];
  const holdout = data.holdout?.count ? `h${data.holdout.count}` : '';
  return `${name}-${dataSlug}-${hash}-split${dataSeed}v${data.validation.count}t${data.test.count}${holdout}`;
}

export function baselineDir(name: string, data: Dataset, opts: Pick<BaselineOptions, 'workdir' | 'dataSeed' | 'epochs'>): string {
  const epochs = opts.epochs ?? DEFAULT_EPOCHS[name] ?? 10;
  return join(resolve(opts.workdir), 'models', `${splitKey(name, data, opts.dataSeed)}-e${epochs}`);
}

/**
 * The cached baseline to reuse: with `epochs` given, exactly that one; without, the default recipe's if cached, else
 * the most recently trained one for this split (e.g. from `autoshrink baseline --epochs 3`).
 */
export function findCachedBaseline(name: string, data: Dataset, opts: Pick<BaselineOptions, 'workdir' | 'dataSeed' | 'epochs'>): string | null {
  const exact = baselineDir(name, data, opts);
  if (readBaselineMeta(exact)) return exact;
  if (opts.epochs !== undefined) return null;
  const root = join(resolve(opts.workdir), 'models');
  if (!existsSync(root)) return null;
  const prefix = `${splitKey(name, data, opts.dataSeed)}-e`;
  const candidates = readdirSync(root)
    .filter((d) => d.startsWith(prefix))
    .map((d) => ({ dir: join(root, d), meta: readBaselineMeta(join(root, d)) }))
    .filter((c): c is { dir: string; meta: BaselineMeta } => c.meta !== null)
    .sort((a, b) => b.meta.trainedAt.localeCompare(a.meta.trainedAt));
  return candidates[0]?.dir ?? null;
}

export function readBaselineMeta(dir: string): BaselineMeta | null {
  const p = join(dir, 'meta.json');
  if (!existsSync(p) || !existsSync(join(dir, 'model.json'))) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as BaselineMeta;
  } catch {
    return null;
  }
}

export async function loadOrTrainBaseline(
  name: string,
  data: Dataset,
  opts: BaselineOptions,
): Promise<{ model: tf.LayersModel; meta: BaselineMeta; cached: boolean; dir: string }> {
  const cachedDir = opts.retrain ? null : findCachedBaseline(name, data, opts);
  const existing = cachedDir ? readBaselineMeta(cachedDir) : null;
  if (cachedDir && existing) return { model: await loadModel(cachedDir), meta: existing, cached: true, dir: cachedDir };
  const dir = baselineDir(name, data, opts);

  const epochs = opts.epochs ?? DEFAULT_EPOCHS[name] ?? 10;
  const model = buildModel(name, data.inputShape, data.numClasses, opts.dataSeed);
  const start = performance.now();
  await trainModel(model, data, {
    epochs,
    batchSize: opts.batchSize ?? 64,
    learningRate: opts.learningRate ?? 1e-3,
    seed: opts.dataSeed,
    decayAt: 2 / 3,
    onProgress: opts.onProgress,
  });
  const meta: BaselineMeta = {
    model: name,
    dataset: data.id,
    dataSeed: opts.dataSeed,
    epochs,
    validationAccuracy: await evaluateAccuracy(model, data.validation, data.inputShape),
    testAccuracy: await evaluateAccuracy(model, data.test, data.inputShape),
    params: model.countParams(),
    backend: tf.getBackend(),
    seconds: (performance.now() - start) / 1000,
    trainedAt: new Date().toISOString(),
  };
  await saveModel(model, dir);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta, null, 2));
  return { model, meta, cached: false, dir };
}
