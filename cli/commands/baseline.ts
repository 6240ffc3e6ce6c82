/**
 * `autoshrink baseline`: train a built-in model on the dataset and cache it, or show the cached one.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { BUILTIN_MODELS } from '../../run/choices.js';
import { type GlobalArgs, setupBackend } from '../global-options.js';
import { type ProgressBar, progressBar } from '../progress-bar.js';

interface BaselineArgs extends GlobalArgs {
  model: string;
  data: string;
  dataSeed: number;
  epochs?: number;
  retrain: boolean;
}

export const baselineCommand: CommandModule<GlobalArgs, BaselineArgs> = {
  command: 'baseline',
  describe: 'Train a built-in model and cache it in the work directory (later commands reuse it)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .option('model', { type: 'string', default: 'lenet5', choices: [...BUILTIN_MODELS], describe: 'Built-in model to train' })
      .option('data', { type: 'string', default: 'mnist', describe: 'Dataset: mnist (bundled 10k), idx:DIR, cifar10:DIR, npz:FILE or npy:DIR' })
      .option('data-seed', { type: 'number', default: 1, describe: 'Seed of the train/validation/test split' })
      .option('epochs', { type: 'number', describe: 'Training epochs (default: per model, 12 for lenet5)' })
      .option('retrain', { type: 'boolean', default: false, describe: 'Train again even if cached' }) as unknown as Argv<BaselineArgs>,
  handler: async (args: ArgumentsCamelCase<BaselineArgs>) => {
    const backend = await setupBackend(args);
    let bar: ProgressBar | undefined;
    const { cacheBaseline } = await import('../../run/baseline.js');
    const { meta, cached, dir, dataset } = await cacheBaseline(
      { model: args.model, data: args.data, dataSeed: args.dataSeed, workdir: args.workdir, epochs: args.epochs, retrain: args.retrain },
      {
        onProgress: (p) => {
          bar ??= progressBar(`training ${args.model}`, p.totalSteps, { silent: args.quiet || args.json });
          bar.update(p.step, `epoch ${p.epoch} loss ${p.loss.toFixed(4)}`);
        },
      },
    );
    bar?.finish();
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ type: 'baseline', cached, dir, ...meta, backend })}\n`);
      return;
    }
    const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
    process.stdout.write(
      `${cached ? 'cached' : 'trained'} ${meta.model} on ${dataset.name}: validation ${pct(meta.validationAccuracy)}, ` +
        `test ${pct(meta.testAccuracy)}, ${meta.params} parameters (${dir})\n`,
    );
  },
};
