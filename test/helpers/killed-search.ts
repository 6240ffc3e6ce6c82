import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { RunConfig } from '../../run/config.js';
import type { RunEvent } from '../../run/events.js';

/**
 * The search of `config` in a child process (test/fixtures/search-child.ts) that SIGKILLs itself where `env` says
 * (AUTOSHRINK_TEST_KILL_AFTER: right after that episode is stored; AUTOSHRINK_TEST_KILL_DURING: as that episode's
 * evaluation starts); resolves with the run id its `run-started` event named, once the child is dead by SIGKILL.
 */
export async function killedSearch(workdir: string, config: Partial<RunConfig>, env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'fixtures', 'search-child.ts'), workdir, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  let runId = '';
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const e = JSON.parse(line) as RunEvent;
      if (e.type === 'run-started') runId = e.runId;
    }
  });
  const signal = await new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, sig) => r(sig)));
  if (signal !== 'SIGKILL') throw new Error(`the child ended with ${signal}, not SIGKILL`);
  return runId;
}
