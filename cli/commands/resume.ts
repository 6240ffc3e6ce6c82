/**
 * `autoshrink resume <run>`: continue a stopped or killed run from its last checkpoint, with its stored config.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { parseStoredConfig } from '../../run/config.js';
import { checkWorkdir } from '../../run/workdir.js';
import { type GlobalArgs, setupBackend } from '../global-options.js';
import { runWithView, usesLiveView } from '../run-with-view.js';
import { progressFor } from './search.js';

type ResumeArgs = GlobalArgs & { run: string };

export const resumeCommand: CommandModule<GlobalArgs, ResumeArgs> = {
  command: 'resume <run>',
  describe: 'Continue a stopped or killed run from its last stored episode',
  builder: (y: Argv<GlobalArgs>) => y.positional('run', { type: 'string', demandOption: true, describe: 'Run id or a unique prefix' }) as Argv<ResumeArgs>,
  handler: async (args: ArgumentsCamelCase<ResumeArgs>) => {
    const backend = await setupBackend(args);
    // a --workdir that names a file says so, instead of an internal error from opening runs.db inside it
    checkWorkdir(args.workdir);
    const [{ resumeSearch, storePath }, { openStore }, { finishRun }, { printFinal }] = await Promise.all([
      import('../../run/search.js'),
      import('../../run/store/store.js'),
      import('../../run/final/final.js'),
      import('../print-final.js'),
    ]);
    const result = await runWithView(args, (o) => resumeSearch(args.run, { ...o, workdir: args.workdir, backend }));
    const store = openStore(storePath(args.workdir), { readonly: true });
    const config = parseStoredConfig(store.getRun(result.runId).config, result.runId);
    store.close();
    if (result.status === 'completed' && config.finalSteps > 0) {
      printFinal(args, await finishRun(result.runId, { workdir: args.workdir, backend, rescoreProgress: (steps) => progressFor(args, steps, 'held-out re-scores'), onProgress: progressFor(args, config.finalSteps) }));
    } else if (result.status === 'stopped' && !args.json && !usesLiveView(args)) {
      // the live view's last frame already says how to continue
      process.stderr.write(`run ${result.runId} stopped after ${result.episodes} episodes; continue with: autoshrink resume ${result.runId}\n`);
    }
  },
};
