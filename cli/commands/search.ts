/**
 * `autoshrink search`: run a new search. With no arguments: DDPG over bits and prune ratios of the cached lenet5
 * (trained on first use) on the bundled MNIST, under a size budget equal to uniform 3-bit.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadDataset } from '../../env/data/load-dataset.js';
import { baselineDir, loadOrTrainBaseline, readBaselineMeta } from '../../env/models/baseline-cache.js';
import { isBuiltinModel } from '../../env/models/zoo.js';
import type { RunConfig } from '../../run/config.js';
import { finishRun } from '../../run/final.js';
import { runSearch } from '../../run/search.js';
import { type GlobalArgs, setupBackend } from '../global-options.js';
import { type ProgressBar, progressBar } from '../progress-bar.js';
import { runWithView, usesLiveView } from '../run-with-view.js';
import { printFinal } from './print-final.js';
import { configFromArgs, searchOptions } from './search-options.js';

export const searchCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'search',
  describe: 'Search per-layer bits / pruning / clusters under a budget (defaults: lenet5, bundled MNIST, size <= uniform 3-bit)',
  builder: (y: Argv<GlobalArgs>) => searchOptions(y) as unknown as Argv<GlobalArgs>,
  handler: async (args: ArgumentsCamelCase<GlobalArgs>) => {
    const config = configFromArgs(args as unknown as Record<string, unknown>);
    const backend = await setupBackend(args);
    await trainBaselineFirst(args, config);
    const result = await runWithView(args, (o) => runSearch(config, { ...o, workdir: args.workdir, backend }));
    if (result.status === 'completed' && config.finalSteps > 0) {
      const final = await finishRun(result.runId, { workdir: args.workdir, backend, onProgress: progressFor(args, config.finalSteps) });
      printFinal(args, final);
    } else if (result.status === 'stopped' && !args.json && !usesLiveView(args)) {
      // the live view's last frame already says how to continue
      process.stderr.write(`run ${result.runId} stopped after ${result.episodes} episodes; continue with: autoshrink resume ${result.runId}\n`);
    }
  },
};

export function progressFor(args: GlobalArgs, total: number) {
  if (args.json || args.quiet) return undefined;
  // a blank line between the live view's last frame and the bar
  if (usesLiveView(args)) process.stderr.write('\n');
  return progressBar('final fine-tune', total);
}

/**
 * On a terminal, train a missing built-in baseline before the live view starts, with the progress bar of
 * `autoshrink baseline`. Inside the view the first-use training (about a minute for lenet5) showed a frozen
 * "starting…": the training loop does not yield to the event loop, so the view cannot redraw and keys go unread.
 * Before the view, Ctrl+C still ends the process at once. Same dataset split and cache key as the run's own load.
 */
async function trainBaselineFirst(args: GlobalArgs, config: RunConfig): Promise<void> {
  if (!usesLiveView(args) || !isBuiltinModel(config.model)) return;
  const data = loadDataset(config.data, { seed: config.dataSeed, validationSize: config.validationSize });
  const opts = { workdir: args.workdir, dataSeed: config.dataSeed };
  if (readBaselineMeta(baselineDir(config.model, data, opts))) return;
  process.stderr.write(`no cached ${config.model} baseline for ${data.name} yet: training it once (later runs reuse it)\n`);
  let bar: ProgressBar | undefined;
  const { model } = await loadOrTrainBaseline(config.model, data, {
    ...opts,
    onProgress: (p) => {
      bar ??= progressBar(`training ${config.model}`, p.totalSteps);
      bar.update(p.step, `epoch ${p.epoch} loss ${p.loss.toFixed(4)}`);
    },
  });
  bar?.finish();
  model.dispose();
}
