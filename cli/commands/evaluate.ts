/** `autoshrink evaluate <model>`: accuracy of a model (model.json, packed model.ashk or built-in) on a dataset. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { existsSync, statSync } from 'node:fs';
import { evaluateAccuracy } from '../../env/evaluate.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { compressibleLayers } from '../../env/layers.js';
import { loadPackedModel } from '../../run/model-files.js';
import { checkFits, prepare } from '../../run/setup.js';
import { type GlobalArgs, setupBackend } from '../global-options.js';
import { formatBytes, formatPercent } from '../ui/format.js';

type EvaluateArgs = GlobalArgs & { model: string; data: string; dataSeed: number };

export const evaluateCommand: CommandModule<GlobalArgs, EvaluateArgs> = {
  command: 'evaluate <model>',
  describe: 'Validation and test accuracy of a model: built-in name, model.json, or a packed model.ashk',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'lenet5 | mlp | mobilenet-tiny | path/model.json | path/model.ashk' })
      .option('data', { type: 'string', default: 'mnist', describe: 'Dataset: mnist, idx:DIR or cifar10:DIR' })
      .option('data-seed', { type: 'number', default: 1, describe: 'Seed of the train/validation/test split' }) as unknown as Argv<EvaluateArgs>,
  handler: async (args: ArgumentsCamelCase<EvaluateArgs>) => {
    await setupBackend(args);
    let model;
    let data;
    if (args.model.endsWith('.ashk')) {
      data = loadDataset(args.data, { seed: args.dataSeed });
      model = await loadPackedModel(args.model);
      checkFits(model, data, args.model);
    } else {
      ({ model, data } = await prepare({ model: args.model, data: args.data, dataSeed: args.dataSeed, workdir: args.workdir }));
    }
    const validation = await evaluateAccuracy(model, data.validation, data.inputShape);
    const test = await evaluateAccuracy(model, data.test, data.inputShape);
    const bytes = existsSync(args.model) && statSync(args.model).isFile() ? statSync(args.model).size : null;
    const layers = compressibleLayers(model).length;
    if (args.json) process.stdout.write(`${JSON.stringify({ type: 'evaluation', model: args.model, dataset: data.id, validation, test, fileBytes: bytes, layers })}\n`);
    else process.stdout.write(`${args.model} on ${data.name}: validation ${formatPercent(validation)}, test ${formatPercent(test)}${bytes ? `, file ${formatBytes(bytes)}` : ''}\n`);
    model.dispose();
  },
};
