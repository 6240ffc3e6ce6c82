/**
 * A built-in baseline trained once and cached in the work directory (env/models/baseline-cache keys and stores it),
 * for `autoshrink baseline` and for the search that trains a missing baseline before its live view starts. The same
 * data split and cache key as a run's own load, so the run finds what was trained here.
 */
import { ConfigError } from '../errors.js';
import { type BaselineMeta, findCachedBaseline, loadOrTrainBaseline } from '../env/models/baseline-cache.js';
import { BUILTIN_MODELS, isBuiltinModel } from '../env/models/zoo.js';
import type { TrainProgress } from '../env/train.js';
import { type DataRequest, loadData } from './setup.js';
import { checkWorkdir } from './workdir.js';

export { BUILTIN_MODELS, isBuiltinModel };
export type { BaselineMeta, TrainProgress };

export interface BaselineRequest extends DataRequest {
  /** A built-in model name. */
  model: string;
  workdir: string;
  /** Training epochs (default: the model's recipe). */
  epochs?: number;
  /** Train again even if a cached model exists. */
  retrain?: boolean;
}

export interface BaselineHooks {
  /** Called once before training starts; not called when the baseline is cached. */
  onTrainStart?: (what: { model: string; dataset: string }) => void;
  onProgress?: (p: TrainProgress) => void;
}

export interface BaselineReport {
  meta: BaselineMeta;
  cached: boolean;
  /** The cache folder (model.json, weights.bin, meta.json). */
  dir: string;
  dataset: { id: string; name: string };
}

export async function cacheBaseline(req: BaselineRequest, hooks: BaselineHooks = {}): Promise<BaselineReport> {
  if (!isBuiltinModel(req.model)) throw new ConfigError(`'${req.model}' is not a built-in model; choose one of ${BUILTIN_MODELS.join(', ')}`);
  checkWorkdir(req.workdir);
  const data = loadData(req);
  const opts = { workdir: req.workdir, dataSeed: req.dataSeed, epochs: req.epochs, retrain: req.retrain };
  if (req.retrain || !findCachedBaseline(req.model, data, opts)) hooks.onTrainStart?.({ model: req.model, dataset: data.name });
  const { model, meta, cached, dir } = await loadOrTrainBaseline(req.model, data, { ...opts, onProgress: hooks.onProgress });
  model.dispose();
  return { meta, cached, dir, dataset: { id: data.id, name: data.name } };
}
