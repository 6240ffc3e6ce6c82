/**
 * What every command that touches a model needs: the dataset, the model (a built-in baseline, trained once and
 * cached, or a tfjs model.json), and a check that they fit each other.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../errors.js';
import type { Dataset } from '../env/data/dataset.js';
import { loadDataset } from '../env/data/load-dataset.js';
import { loadOrTrainBaseline } from '../env/models/baseline-cache.js';
import { loadModel } from '../env/models/model-io.js';
import { buildModel, isBuiltinModel } from '../env/models/zoo.js';
import type { TrainProgress } from '../env/train.js';

export interface Workbench {
  data: Dataset;
  model: tf.LayersModel;
  /** Display name: the built-in name or the model.json path. */
  modelName: string;
}

export async function prepare(
  opts: { model: string; data: string; dataSeed: number; validationSize?: number; workdir: string },
  onTrain?: (p: TrainProgress) => void,
  /** Checks on the architecture, run before a built-in baseline is trained (so a refusal costs no training). */
  precheck?: (model: tf.LayersModel) => void,
): Promise<Workbench> {
  const data = loadDataset(opts.data, { seed: opts.dataSeed, validationSize: opts.validationSize });
  if (precheck && isBuiltinModel(opts.model)) {
    const architecture = buildModel(opts.model, data.inputShape, data.numClasses);
    try {
      precheck(architecture);
    } finally {
      architecture.dispose();
    }
  }
  const model = isBuiltinModel(opts.model)
    ? (await loadOrTrainBaseline(opts.model, data, { workdir: opts.workdir, dataSeed: opts.dataSeed, onProgress: onTrain })).model
    : await loadModel(opts.model);
  checkFits(model, data, opts.model);
  return { data, model, modelName: opts.model };
}

/** A model must take the dataset's images and output one score per class. */
export function checkFits(model: tf.LayersModel, data: Dataset, name: string): void {
  const input = model.inputs[0].shape.slice(1);
  const output = model.outputs[0].shape;
  const want = data.inputShape;
  const inputOk = input.length === 3 && input.every((d, i) => d === null || d === want[i]);
  if (!inputOk) {
    throw new ModelError(`model ${name} takes inputs of shape [${input.join(', ')}] but ${data.name} has images of [${want.join(', ')}]; use a model built for this dataset`);
  }
  if (output.length !== 2 || output[1] !== data.numClasses) {
    throw new ModelError(`model ${name} outputs ${output.slice(1).join('x')} scores but ${data.name} has ${data.numClasses} classes; use a model built for this dataset`);
  }
}
