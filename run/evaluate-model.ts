/**
 * `autoshrink evaluate`: validation and test accuracy of a model (a built-in name, a model.json, or a packed
 * model.ashk) on a dataset split the way a run splits it.
 */
import { statSync } from 'node:fs';
import { evaluateAccuracy } from '../env/evaluate.js';
import { compressibleLayers } from '../env/layers.js';
import { loadPackedModel } from './final/model-files.js';
import { checkFits, type DataRequest, loadData, prepare, type Workbench } from './setup.js';

export interface ModelEvaluation {
  /** The model as given. */
  model: string;
  dataset: { id: string; name: string };
  validation: number;
  test: number;
  /** Size of the model file when `model` names a file (model.json, model.ashk), else null. */
  fileBytes: number | null;
  /** Compressible layers (Dense, Conv2D, DepthwiseConv2D). */
  layers: number;
}

export async function evaluateModel(opts: DataRequest & { model: string; workdir: string }): Promise<ModelEvaluation> {
  const { model, data } = opts.model.endsWith('.ashk') ? await loadPacked(opts) : await prepare(opts);
  try {
    const validation = await evaluateAccuracy(model, data.validation, data.inputShape);
    const test = await evaluateAccuracy(model, data.test, data.inputShape);
    const stat = statSync(opts.model, { throwIfNoEntry: false });
    return {
      model: opts.model,
      dataset: { id: data.id, name: data.name },
      validation,
      test,
      fileBytes: stat?.isFile() ? stat.size : null,
      layers: compressibleLayers(model).length,
    };
  } finally {
    model.dispose();
  }
}

async function loadPacked(opts: DataRequest & { model: string }): Promise<Workbench> {
  const data = loadData(opts);
  const model = await loadPackedModel(opts.model);
  try {
    checkFits(model, data, opts.model);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { data, model, modelName: opts.model };
}
