/** `autoshrink evaluate <model>`: accuracy of a model (model.json, packed model.ashk or built-in) on a dataset. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { type GlobalArgs, setupBackend } from '../global-options.js';
import { formatBytes, formatPercent } from '../ui/format.js';

type EvaluateArgs = GlobalArgs & { model: string; data: string; dataSeed: number; validationSize: number };

export const evaluateCommand: CommandModule<GlobalArgs, EvaluateArgs> = {
  command: 'evaluate <model>',
  describe: 'Validation and test accuracy of a model: built-in name, model.json, or a packed model.ashk',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'lenet5 | mlp | mobilenet-tiny | path/model.json | path/model.ashk' })
      .option('data', { type: 'string', default: 'mnist', describe: 'Dataset: mnist, idx:DIR, cifar10:DIR, npz:FILE or npy:DIR' })
      .option('data-seed', { type: 'number', default: 1, describe: 'Seed of the train/validation/test split' })
      .option('validation-size', { type: 'number', default: 2000, describe: 'Examples carved from the training data for validation (lower it for a small dataset)' }) as unknown as Argv<EvaluateArgs>,
  handler: async (args: ArgumentsCamelCase<EvaluateArgs>) => {
    if (!(Number.isInteger(args.validationSize) && args.validationSize >= 1)) {
      throw new InputError(`--validation-size ${args.validationSize}: give a whole number of examples, 1 or more`);
    }
    await setupBackend(args);
    const { evaluateModel } = await import('../../run/evaluate-model.js');
    const e = await evaluateModel({ model: args.model, data: args.data, dataSeed: args.dataSeed, validationSize: args.validationSize, workdir: args.workdir });
    if (args.json) {
      const { model, dataset, validation, test, fileBytes, layers } = e;
      process.stdout.write(`${JSON.stringify({ type: 'evaluation', model, dataset: dataset.id, validation, test, fileBytes, layers })}\n`);
    } else {
      const file = e.fileBytes ? `, file ${formatBytes(e.fileBytes)}` : '';
      process.stdout.write(`${e.model} on ${e.dataset.name}: validation ${formatPercent(e.validation)}, test ${formatPercent(e.test)}${file}\n`);
    }
  },
};
