/**
 * A child process of the harness: it takes one job over IPC, runs it (run-one.ts) on its own tfjs backend, and sends
 * its row back. One process per run, so a run's memory, backend state and any crash stay its own.
 */
import { selectBackend } from '../../env/backend.js';
import { runOne, type RunJob } from './run-one.js';

interface Request {
  job: RunJob;
  workdir: string;
  backend: string;
  commit: string;
}

// a harness that is killed takes its runs with it: their rows could not be recorded anyway, and a restart runs them again
process.once('disconnect', () => process.exit(1));

process.once('message', async (message: Request) => {
  const backend = (await selectBackend(message.backend)).name;
  const say = (line: string) => process.send!({ type: 'log', line });
  const row = await runOne(message.job, { workdir: message.workdir, backend, commit: message.commit, say });
  process.send!({ type: 'row', row }, () => {
    process.removeAllListeners('disconnect');
    process.exit(0);
  });
});
