/** `autoshrink export <run> [--out file]`: write the best strategy of a run as a strategy JSON file. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { type GlobalArgs, setupBackend } from '../global-options.js';

type ExportArgs = GlobalArgs & { run: string; out?: string };

export const exportCommand: CommandModule<GlobalArgs, ExportArgs> = {
  command: 'export <run>',
  describe: "Write a run's best strategy as JSON (stdout, or --out file)",
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'Run id or a unique prefix' })
      .option('out', { type: 'string', describe: 'File to write (default: stdout)' }) as unknown as Argv<ExportArgs>,
  handler: async (args: ArgumentsCamelCase<ExportArgs>) => {
    await setupBackend({ ...args, quiet: true });
    const [{ exportStrategy }, { saveStrategy }] = await Promise.all([import('../../run/final/final.js'), import('../../run/final/strategy.js')]);
    const strategy = await exportStrategy(args.run, { workdir: args.workdir });
    if (args.out) {
      saveStrategy(strategy, args.out);
      if (!args.quiet && !args.json) process.stderr.write(`wrote ${args.out}\n`);
    } else process.stdout.write(`${JSON.stringify(strategy, null, 2)}\n`);
  },
};
