/**
 * `autoshrink search`: run a new search. With no arguments: DDPG over bits and prune ratios of the cached lenet5
 * (trained on first use) on the bundled MNIST, under a size budget equal to uniform 3-bit.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { finishRun } from '../../run/final.js';
import { runSearch } from '../../run/search.js';
import { type GlobalArgs, setupBackend } from '../global-options.js';
import { runWithView } from '../run-with-view.js';
import { printFinal } from './print-final.js';
import { configFromArgs, searchOptions } from './search-options.js';

export const searchCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'search',
  describe: 'Search per-layer bits / pruning / clusters under a budget (defaults: lenet5, bundled MNIST, size <= uniform 3-bit)',
  builder: (y: Argv<GlobalArgs>) => searchOptions(y) as unknown as Argv<GlobalArgs>,
  handler: async (args: ArgumentsCamelCase<GlobalArgs>) => {
    const config = configFromArgs(args as unknown as Record<string, unknown>);
    const backend = await setupBackend(args);
    const result = await runWithView(args, (o) => runSearch(config, { ...o, workdir: args.workdir, backend }));
    if (result.status === 'completed' && config.finalSteps > 0) {
      const final = await finishRun(result.runId, { workdir: args.workdir, backend, onProgress: progressFor(args, config.finalSteps) });
      printFinal(args, final);
    } else if (result.status === 'stopped' && !args.json) {
      process.stderr.write(`run ${result.runId} stopped after ${result.episodes} episodes; continue with: autoshrink resume ${result.runId}\n`);
    }
  },
};

export function progressFor(args: GlobalArgs, total: number) {
  if (args.json || args.quiet) return undefined;
  return import('../progress-bar.js').then(({ progressBar }) => progressBar('final fine-tune', total));
}
