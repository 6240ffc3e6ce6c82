/**
 * What every command that touches a model needs: the dataset, the model (a built-in baseline, trained once and
 * cached, or a tfjs model.json), and a check that they fit each other. `preflight` and `autoshrink baseline` /
 * `evaluate` use the same pieces, so a dataset is split and a model is checked the same way everywhere.
 */
import * as tf from '../tfjs.js';
import { ModelError } from '../errors.js';
import { type Dataset, fitFlatImages } from '../env/data/dataset.js';
import { loadDataset } from '../env/data/load-dataset.js';
import { loadOrTrainBaseline } from '../env/models/baseline-cache.js';
import { loadModel } from '../env/models/model-io.js';
import { buildModel, isBuiltinModel } from '../env/models/zoo.js';
import type { TrainProgress } from '../env/train.js';
import { checkWorkdir } from './workdir.js';

export interface Workbench {
  data: Dataset;
  model: tf.LayersModel;
  /** Display name: the built-in name or the model.json path. */
  modelName: string;
}

export interface DataRequest {
  /** `mnist`, `idx:DIR` or `cifar10:DIR`. */
  data: string;
  dataSeed: number;
  validationSize?: number;
  /** Images held out for the re-rank (default `auto`). */
  holdoutSize?: number | 'auto';
}

/** The dataset with its seeded train / validation / test split (the loaders check the files). */
export function loadData(opts: DataRequest): Dataset {
  return loadDataset(opts.data, { seed: opts.dataSeed, validationSize: opts.validationSize, holdoutSize: opts.holdoutSize });
}

/**
 * The model's network without training anything: a built-in's untrained architecture from the zoo, or the model.json
 * loaded (which checks the file, its JSON and its weight shards); either way checked against the dataset.
 */
export async function modelArchitecture(model: string, data: Dataset): Promise<tf.LayersModel> {
  const m = isBuiltinModel(model) ? buildModel(model, data.inputShape, data.numClasses) : await loadModel(model);
  try {
    checkFits(m, data, model);
  } catch (e) {
    m.dispose();
    throw e;
  }
  return m;
}

export async function prepare(
  opts: DataRequest & { model: string; workdir: string },
  onTrain?: (p: TrainProgress) => void,
  /** Checks on the architecture, run before a built-in baseline is trained (so a refusal costs no training). */
  precheck?: (model: tf.LayersModel) => void,
): Promise<Workbench> {
  const data = loadData(opts);
  if (!isBuiltinModel(opts.model)) {
    const model = await loadModel(opts.model);
    checkFits(model, data, opts.model);
    return { data, model, modelName: opts.model };
  }
  // the baseline is cached in the work directory: refuse a bad one before training, not after
  checkWorkdir(opts.workdir);
  if (precheck) {
    const architecture = await modelArchitecture(opts.model, data);
    try {
      precheck(architecture);
    } finally {
      architecture.dispose();
    }
  }
  const { model } = await loadOrTrainBaseline(opts.model, data, { workdir: opts.workdir, dataSeed: opts.dataSeed, onProgress: onTrain });
  checkFits(model, data, opts.model);
  return { data, model, modelName: opts.model };
}

/** A model must take the dataset's images and output one score per class. */
export function checkFits(model: tf.LayersModel, data: Dataset, name: string): void {
  const input = model.inputs[0].shape.slice(1);
  const output = model.outputs[0].shape;
  fitFlatImages(data, input);
  const want = data.inputShape;
  const inputOk = input.length === 3 && input.every((d, i) => d === null || d === want[i]);
  if (!inputOk) {
    const images = data.flat ? `flat images of ${want[2]} values` : `images of [${want.join(', ')}]`;
    throw new ModelError(`model ${name} takes inputs of shape [${input.join(', ')}] but ${data.name} has ${images}; use a model built for this dataset`);
  }
  if (output.length !== 2 || output[1] !== data.numClasses) {
    throw new ModelError(`model ${name} outputs ${output.slice(1).join('x')} scores but ${data.name} has ${data.numClasses} classes; use a model built for this dataset`);
  }
}
