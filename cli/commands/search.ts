/**
 * `autoshrink search`: run a new search. With no arguments: DDPG over bits and prune ratios of the cached lenet5
 * (trained on first use) on the bundled MNIST, under a size budget 20 times smaller than fp32 (size:20x).
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { isBuiltinModel } from '../../run/choices.js';
import type { RunConfig } from '../../run/config.js';
import { type GlobalArgs, setupBackend } from '../global-options.js';
import { type ProgressBar, progressBar } from '../progress-bar.js';
import { runWithView, usesLiveView } from '../run-with-view.js';
import { configFromArgs, searchOptions } from '../search-options.js';

export const searchCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'search',
  describe: 'Search per-layer bits / pruning / clusters under a budget (defaults: lenet5, bundled MNIST, size:20x, 20 times smaller than fp32)',
  builder: (y: Argv<GlobalArgs>) => searchOptions(y) as unknown as Argv<GlobalArgs>,
  handler: async (args: ArgumentsCamelCase<GlobalArgs>) => {
    const config = configFromArgs(args as unknown as Record<string, unknown>);
    const backend = await setupBackend(args);
    await trainBaselineFirst(args, config);
    // loaded by the command that runs, not at start: --help and a flag error load no tfjs
    const [{ runSearch }, { finishRun }, { printFinal }] = await Promise.all([import('../../run/search.js'), import('../../run/final/final.js'), import('../print-final.js')]);
    const result = await runWithView(args, (o) => runSearch(config, { ...o, workdir: args.workdir, backend }));
    if (result.status === 'completed' && config.finalSteps > 0) {
      const final = await finishRun(result.runId, { workdir: args.workdir, backend, rescoreProgress: (steps) => progressFor(args, steps, 'held-out re-scores'), onProgress: progressFor(args, config.finalSteps) });
      printFinal(args, final);
    } else if (result.status === 'stopped' && !args.json && !usesLiveView(args)) {
      // the live view's last frame already says how to continue
      process.stderr.write(`run ${result.runId} stopped after ${result.episodes} episodes; continue with: autoshrink resume ${result.runId}\n`);
    }
  },
};

export function progressFor(args: GlobalArgs, total: number, label = 'final fine-tune') {
  if (args.json || args.quiet) return undefined;
  // a blank line between the live view's last frame and the bar
  if (usesLiveView(args)) process.stderr.write('\n');
  return progressBar(label, total);
}

/**
 * On a terminal, train a missing built-in baseline before the live view starts, with the progress bar of
 * `autoshrink baseline`. Inside the view the first-use training (about a minute for lenet5) showed a frozen
 * "starting…": the training loop does not yield to the event loop, so the view cannot redraw and keys go unread.
 * Before the view, Ctrl+C still ends the process at once. Every input is checked first, so a bad flag costs no
 * training; run/baseline uses the run's own data split and cache key, so the run finds this baseline.
 */
async function trainBaselineFirst(args: GlobalArgs, config: RunConfig): Promise<void> {
  if (!usesLiveView(args) || !isBuiltinModel(config.model)) return;
  const [{ preflight }, { cacheBaseline }] = await Promise.all([import('../../run/preflight.js'), import('../../run/baseline.js')]);
  await preflight(config, args.workdir);
  let bar: ProgressBar | undefined;
  await cacheBaseline(
    { model: config.model, data: config.data, dataSeed: config.dataSeed, validationSize: config.validationSize, holdoutSize: config.holdoutSize, workdir: args.workdir },
    {
      onTrainStart: ({ model, dataset }) => process.stderr.write(`no cached ${model} baseline for ${dataset} yet: training it once (later runs reuse it)\n`),
      onProgress: (p) => {
        bar ??= progressBar(`training ${config.model}`, p.totalSteps);
        bar.update(p.step, `epoch ${p.epoch} loss ${p.loss.toFixed(4)}`);
      },
    },
  );
  bar?.finish();
}
