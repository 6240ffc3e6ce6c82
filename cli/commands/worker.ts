/**
 * `autoshrink worker --queue redis://HOST:PORT`: evaluate episodes for searches started with `--queue`, on this
 * machine, until Ctrl+C (the job in hand is finished first; a second Ctrl+C quits at once and the job goes back to the
 * queue). Needs the run's model and data here: a built-in model's cached baseline in --workdir, or the same
 * model.json path and data folder as on the coordinator.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { checkWorkdir } from '../../run/workdir.js';
import { type GlobalArgs, setupBackend } from '../global-options.js';

type WorkerArgs = GlobalArgs & { queue: string; lockSeconds: number };

export const workerCommand: CommandModule<GlobalArgs, WorkerArgs> = {
  command: 'worker',
  describe: 'Evaluate episodes of searches started with --queue, on this machine (needs the same model and data)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .option('queue', { type: 'string', demandOption: true, describe: 'The Redis server of the queue, redis://HOST:PORT' })
      .option('lock-seconds', {
        type: 'number',
        default: 30,
        describe: 'A job this worker stops renewing (killed) goes back to the queue after about this long',
      }) as unknown as Argv<WorkerArgs>,
  handler: async (args: ArgumentsCamelCase<WorkerArgs>) => {
    const backend = await setupBackend(args);
    checkWorkdir(args.workdir);
    const controller = new AbortController();
    let signals = 0;
    const onSignal = () => {
      if (++signals > 1) process.exit(130);
      if (!args.quiet) process.stderr.write('stopping after the job in hand (Ctrl+C again to quit now; the job goes back to the queue)\n');
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const { serveQueue } = await import('../../run/evaluators/queue-worker.js');
    try {
      await serveQueue({
        url: args.queue,
        workdir: args.workdir,
        backend,
        lockSeconds: args.lockSeconds,
        signal: controller.signal,
        onLog: (line) => {
          if (!args.quiet) process.stdout.write(args.json ? `${JSON.stringify({ type: 'log', level: 'info', message: line })}\n` : `${line}\n`);
        },
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
