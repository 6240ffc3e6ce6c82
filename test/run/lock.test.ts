/**
 * One writer per run: a run another live process holds is refused, naming that process; a lock left by a killed one
 * is stale and taken over.
 */
import test, { type ExecutionContext } from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RunNotFoundError } from '../../errors.js';
import type { RunEvent } from '../../run/events.js';
import { resumeSearch, storePath } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import { stop } from '../helpers/redis-server.js';
import { sampleRun } from '../helpers/store-samples.js';
import { TINY, tinyWorkdir } from '../helpers/tiny-run.js';
import { tmpDir } from '../helpers/tmp-dir.js';

/** A child running `args` under tsx, killed at the end of the test; resolves once a stdout line matches `ready`. */
async function child(t: ExecutionContext, args: string[], ready: (line: string) => boolean): Promise<{ process: ChildProcess; lines: string[] }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => stop(proc));
  const lines: string[] = [];
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      lines.push(...parts);
      if (parts.some(ready)) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`child exited with code ${code} before it was ready`)));
  });
  return { process: proc, lines };
}

const refusal = (runId: string, pid: number) =>
  new RegExp(`^run ${runId} is being run by process ${pid} on this host \\(${hostname().replace(/\./g, '\\.')}\\) since \\S+; stop that process first, or wait for it to finish$`);

test('a run locked by a live process is refused naming its pid and host; once that process is killed its lock is stale', async (t) => {
  const path = join(tmpDir(t), 'runs.db');
  const store = openStore(path);
  t.teardown(() => store.close());
  const { id } = store.createRun(sampleRun());
  const holder = await child(t, [join('test', 'fixtures', 'lock-holder.ts'), path, id], (line) => line === 'locked');

  const error = t.throws(() => store.lockRun(id), { instanceOf: RunNotFoundError });
  t.regex(error!.message, refusal(id, holder.process.pid!));

  await stop(holder.process);
  t.notThrows(() => store.lockRun(id));
  // now this process holds it: a second taker in this same process is refused too
  t.throws(() => store.lockRun(id), { message: refusal(id, process.pid) });
  store.unlockRun(id);
  t.notThrows(() => store.lockRun(id));
  store.unlockRun(id);
});

test('unlocking leaves another process’s lock alone', async (t) => {
  const path = join(tmpDir(t), 'runs.db');
  const store = openStore(path);
  t.teardown(() => store.close());
  const { id } = store.createRun(sampleRun());
  const holder = await child(t, [join('test', 'fixtures', 'lock-holder.ts'), path, id], (line) => line === 'locked');
  store.unlockRun(id);
  t.throws(() => store.lockRun(id), { message: refusal(id, holder.process.pid!) });
});

test('resuming a run that another live search is running is refused in one line naming that process', async (t) => {
  const workdir = await tinyWorkdir('lock', t);
  // a search slow enough to still be running when we try to resume it
  const config = { ...TINY, episodes: 50, finetuneSteps: 200 };
  const search = await child(t, [join('test', 'fixtures', 'search-child.ts'), workdir, JSON.stringify(config)], (line) => line.startsWith('{"type":"run-started"'));
  const started = JSON.parse(search.lines.find((l) => l.startsWith('{"type":"run-started"'))!) as Extract<RunEvent, { type: 'run-started' }>;

  const error = await t.throwsAsync(resumeSearch(started.runId, { workdir, backend: 'wasm' }), { instanceOf: RunNotFoundError });
  t.regex(error!.message, refusal(started.runId, search.process.pid!));
  // refused before anything was written: the live search's episodes are its own
  const store = openStore(storePath(workdir), { readonly: true });
  t.is(store.getRun(started.runId).status, 'running');
  store.close();
});
