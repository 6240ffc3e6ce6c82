/**
 * `autoshrink apply <strategy.json> [--model m] --out dir`: compress a model with a strategy, fine-tune it from its
 * original weights, evaluate on the test split, write the packed model and a tfjs copy.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { InputError } from '../../errors.js';
import { type GlobalArgs, setupBackend } from '../global-options.js';
import { progressBar } from '../progress-bar.js';

type ApplyArgs = GlobalArgs & { strategy: string; model?: string; data?: string; dataSeed: number; validationSize: number; out: string; steps: number; lr: number; bnBatches?: number };

export const applyCommand: CommandModule<GlobalArgs, ApplyArgs> = {
  command: 'apply <strategy>',
  describe: 'Apply a strategy file to a model: fine-tune, test, write model.ashk and a tfjs model',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('strategy', { type: 'string', demandOption: true, describe: 'Strategy JSON (from autoshrink export)' })
      .option('model', { type: 'string', describe: "Built-in name or model.json path (default: the strategy's model)" })
      .option('data', { type: 'string', describe: "Dataset (default: the strategy's)" })
      .option('data-seed', { type: 'number', default: 1, describe: 'Seed of the train/validation/test split' })
      .option('validation-size', { type: 'number', default: 2000, describe: 'Examples carved from the training data for validation (lower it for a small dataset)' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output directory' })
      .option('steps', { type: 'number', default: 600, describe: 'Fine-tune steps' })
      .option('lr', { type: 'number', default: 5e-4, describe: 'Fine-tune learning rate' })
      .option('bn-batches', { type: 'number', describe: "Batch-norm re-estimation batches (default: the strategy's; 0 = off)" }) as unknown as Argv<ApplyArgs>,
  handler: async (args: ArgumentsCamelCase<ApplyArgs>) => {
    if (args.bnBatches !== undefined && !(Number.isInteger(args.bnBatches) && args.bnBatches >= 0)) {
      throw new InputError(`--bn-batches ${args.bnBatches}: give a whole number of batches, 0 or more (0 turns batch-norm re-estimation off)`);
    }
    if (!(Number.isInteger(args.validationSize) && args.validationSize >= 1)) {
      throw new InputError(`--validation-size ${args.validationSize}: give a whole number of examples, 1 or more`);
    }
    const [{ loadStrategy }, { applyStrategy }, { printFinal }] = await Promise.all([import('../../run/final/strategy.js'), import('../../run/final/final.js'), import('../print-final.js')]);
    const strategy = loadStrategy(args.strategy);
    await setupBackend(args);
    const bar = args.json || args.quiet || args.steps === 0 ? undefined : progressBar('fine-tune', args.steps);
    const report = await applyStrategy(strategy, {
      workdir: args.workdir,
      model: args.model,
      data: args.data,
      dataSeed: args.dataSeed,
      validationSize: args.validationSize,
      out: args.out,
      steps: args.steps,
      learningRate: args.lr,
      seed: args.seed,
      bnBatches: args.bnBatches,
      onProgress: bar,
    });
    printFinal(args, report);
  },
};
