/**
 * What every command that touches a model needs: the dataset, the model (a built-in baseline, trained once and
 * cached, or a tfjs model.json), and a check that they fit each other. `preflight` and `autoshrink baseline` /
 * `evaluate` use the same pieces, so a dataset is split and a model is checked the same way everywhere.
 */
import * as tf from '../tfjs.js';
import { DataError, ModelError } from '../errors.js';
import { type Dataset, fitModelInput } from '../env/data/dataset.js';
import { inputEmbedding } from '../env/layers.js';
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

/** A model must take the dataset's examples and output one score per class. */
export function checkFits(model: tf.LayersModel, data: Dataset, name: string): void {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ModelError(`model ${name} has ${model.inputs.length} inputs and ${model.outputs.length} outputs; autoshrink compresses classifiers with one input and one output`);
  }
  const input = model.inputs[0].shape.slice(1);
  const output = model.outputs[0].shape;
  if (!fitModelInput(data, input)) {
    const want = data.inputShape;
    const examples = data.flat ? `flat rows of ${want[2]} values` : `examples of shape [${want.join(', ')}]`;
    throw new ModelError(`model ${name} takes inputs of shape [${input.join(', ')}] but ${data.name} has ${examples}; use a model built for this dataset`);
  }
  // one column: a binary classifier's probability (or logit) of class 1
  if (output.length !== 2 || (output[1] !== data.numClasses && !(output[1] === 1 && data.numClasses === 2))) {
    throw new ModelError(`model ${name} outputs ${output.slice(1).join('x')} scores but ${data.name} has ${data.numClasses} classes; use a model built for this dataset`);
  }
  checkTokenIds(model, data, name);
}

/**
 * An Embedding fed by the model's input looks its values up as rows of its table: they must be whole numbers below
 * the table's size. uint8 arrays are read as images (divided by 255), which would silently feed it row 0.
 */
function checkTokenIds(model: tf.LayersModel, data: Dataset, name: string): void {
  const embedding = inputEmbedding(model);
  if (!embedding) return;
  const { rows } = embedding;
  for (const [what, split] of [['train', data.train], ['validation', data.validation], ['test', data.test]] as const) {
    const bad = split.x.findIndex((v) => !Number.isInteger(v) || v < 0 || v >= rows);
    if (bad >= 0) {
      throw new DataError(
        `model ${name} feeds its input to Embedding layer ${embedding.name} (${rows} rows), but ${data.name} holds ${split.x[bad]} in its ${what} examples; ` +
          'token ids must be whole numbers from 0 to the table size less one, saved as int32 or int64 (uint8 arrays are read as images and divided by 255)',
      );
    }
  }
}
