/**
 * The BullMQ queue against a real redis-server started here on a free port, and real `autoshrink worker` processes
 * (the CLI from the sources under tsx). Skipped, saying so, only when redis-server is not installed (.ci/run installs it).
 */
import test, { type ExecutionContext } from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import type { RunEvent } from '../../run/events.js';
import { finishRun } from '../../run/final/final.js';
import { queueEvaluator } from '../../run/evaluators/queue.js';
import { runSearch, storePath } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import { freePort, HAS_REDIS, startRedis, stop } from '../helpers/redis-server.js';
import { removeDir, TINY, tinyWorkdir } from '../helpers/tiny-run.js';
import { tmpDir } from '../helpers/tmp-dir.js';

if (!HAS_REDIS) console.warn('queue tests skipped: redis-server is not on PATH (apt-get install redis-server; .ci/run does)');
const redisTest = HAS_REDIS ? test : test.skip;

let workdir = '';
test.before(async () => (workdir = await tinyWorkdir('queue')));
test.after.always(() => removeDir(workdir));

const BATCHED = { ...TINY, episodes: 6, rolloutBatch: 2 };

function stored(runId: string) {
  const store = openStore(storePath(workdir), { readonly: true });
  try {
    return { status: store.getRun(runId).status, episodes: store.episodes(runId).map((e) => ({ episode: e.episode, strategy: e.strategy, accuracy: e.accuracy })) };
  } finally {
    store.close();
  }
}

interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
}

/** `autoshrink worker` in its own process, once it says it takes jobs. */
async function startWorker(t: ExecutionContext, url: string, dir: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('cli', 'main.ts'), 'worker', '--queue', url, '--workdir', dir, '--backend', 'wasm', '--lock-seconds', '2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => stop(child));
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (out.includes(' takes jobs from ')) {
        clearInterval(poll);
        resolve();
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(poll);
      reject(new Error(`worker exited with code ${code}:\n${out}`));
    });
  });
  return { child, output: () => out };
}

redisTest('a search through the queue with 2 worker processes stores what the in-process search stores, and its re-rank gives the same rows', async (t) => {
  const url = await startRedis(t);
  // the fill pass's sensitivities and the re-rank send batches of more than 10 jobs: no listener piles up per job
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const workers = await Promise.all([startWorker(t, url, workdir), startWorker(t, url, workdir)]);
  const viaQueue = await runSearch({ ...BATCHED, workers: 2, queue: url }, { workdir, backend: 'wasm' });
  t.is(viaQueue.status, 'completed');
  const here = await runSearch(BATCHED, { workdir, backend: 'wasm' });
  t.deepEqual(stored(viaQueue.runId).episodes, stored(here.runId).episodes);
  const jobs = workers.map((w) => (w.output().match(new RegExp(`^job \\S+: run ${viaQueue.runId} episode, accuracy`, 'gm')) ?? []).length);
  t.true(jobs[0] + jobs[1] >= 1, `jobs done per worker: ${jobs.join(', ')}`);
  // the re-rank of the final stage goes through the queue too (3 x 4 = 12-step fine-tunes on the holdout images), and
  // gives the rows this process gives
  const [queued, local] = [await finishRun(viaQueue.runId, { workdir, backend: 'wasm' }), await finishRun(here.runId, { workdir, backend: 'wasm' })];
  t.is(queued.rerank?.length, 3);
  t.deepEqual(queued.rerank, local.rerank);
  const reranked = workers.map((w) => (w.output().match(new RegExp(`^job \\S+: run ${viaQueue.runId} 12-step measurement, accuracy`, 'gm')) ?? []).length);
  t.is(reranked[0] + reranked[1], 3, `re-rank jobs per worker: ${reranked.join(', ')}`);
  t.deepEqual(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), []);
});

redisTest('a search no worker serves waits, saying so after 1 s and again after 2 s more (the wait doubles), once with two batches in flight, and stops resumable on Ctrl+C', async (t) => {
  const url = await startRedis(t);
  const controller = new AbortController();
  const lines: string[] = [];
  const search = runSearch(
    { ...TINY, workers: 1, queue: url },
    {
      workdir,
      backend: 'wasm',
      signal: controller.signal,
      // the queue evaluator as --queue makes it, with 1 s in place of the 60 s a run waits before it says so; each
      // batch goes out twice, a second batch in flight as under --learn-ahead: the line still comes once
      createEvaluator: async (config, built, o) => {
        const queued = await queueEvaluator(config, built, { url, slots: 1, backend: o.backend, runId: o.runId, onEvent: o.onEvent, idleSeconds: 1 });
        return {
          ...queued,
          measure: (jobs, m) => {
            queued.measure(jobs, { signal: m?.signal }).catch(() => {});
            return queued.measure(jobs, m);
          },
        };
      },
      onEvent: (e) => {
        if (e.type !== 'log' || !e.message.startsWith('no queue worker has taken')) return;
        lines.push(e.message);
        if (lines.length === 2) controller.abort();
      },
    },
  );
  const r = await search;
  t.is(r.status, 'stopped');
  const tail = `: start one with autoshrink worker --queue ${url} (the run waits for it; Ctrl+C stops it, resumable)`;
  t.deepEqual(lines, [`no queue worker has taken a job for 1 s${tail}`, `no queue worker has taken a job for 2 s${tail}`]);
  t.is(stored(r.runId).status, 'stopped');
});

redisTest('a worker killed mid-job: BullMQ gives its job to the other worker and the run stores every episode once', async (t) => {
  const url = await startRedis(t);
  const [a] = await Promise.all([startWorker(t, url, workdir), startWorker(t, url, workdir)]);
  const events: RunEvent[] = [];
  let evaluating = 0;
  // long fine-tunes, so both jobs of the first batch are in hand when worker a dies
  const r = await runSearch(
    { ...TINY, episodes: 2, rolloutBatch: 2, workers: 2, finetuneSteps: 400, queue: url },
    {
      workdir,
      backend: 'wasm',
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'episode-evaluating' && ++evaluating === 2) a.child.kill('SIGKILL');
      },
    },
  );
  t.is(r.status, 'completed');
  t.deepEqual(stored(r.runId).episodes.map((e) => e.episode), [0, 1]);
  t.true(
    events.some((e) => e.type === 'log' && e.level === 'warn' && /^a queue worker stopped during an evaluation \(job \S+\); the job went back to the queue for another worker$/.test(e.message)),
    'the stalled job was reported',
  );
});

redisTest('a worker whose model differs refuses the job, and the coordinator fails the run with one line saying what differs', async (t) => {
  const url = await startRedis(t);
  // another machine's work directory: the same files, but one weight of the cached baseline changed
  const other = tmpDir(t, 'autoshrink-queue-other-');
  cpSync(join(workdir, 'models'), join(other, 'models'), { recursive: true });
  const shard = findFile(join(other, 'models'), (name) => name.endsWith('.bin'));
  const bytes = readFileSync(shard);
  bytes.writeFloatLE(bytes.readFloatLE(0) + 0.5, 0);
  writeFileSync(shard, bytes);
  const worker = await startWorker(t, url, other);

  let runId = '';
  const search = runSearch({ ...BATCHED, workers: 1, queue: url }, { workdir, backend: 'wasm', onEvent: (e) => (runId = e.type === 'run-started' ? e.runId : runId) });
  const error = await t.throwsAsync(search, { instanceOf: ConfigError });
  t.regex(
    error!.message,
    /^a queue worker refused to evaluate for this run: worker \S+\/\d+: model mlp is sha256:[0-9a-f]{16} here, sha256:[0-9a-f]{16} on the coordinator; give every machine the cached mlp baseline \(copy the coordinator's <workdir>\/models here\)$/,
  );
  t.regex(worker.output(), /^refused a job: model mlp is /m);
  t.is(stored(runId).status, 'failed');
});

test('an unreachable Redis is refused in one line naming it, before the run starts', async (t) => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  const error = await t.throwsAsync(runSearch({ ...TINY, queue: url }, { workdir, backend: 'wasm' }), { instanceOf: ConfigError });
  t.true(error!.message.startsWith(`cannot reach Redis at ${url} (`), error!.message);
  t.true(error!.message.endsWith('); start redis-server there, or fix --queue'), error!.message);
});

function findFile(dir: string, match: (name: string) => boolean): string {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      const found = findFile(path, match);
      if (found) return found;
    } else if (match(name)) return path;
  }
  return '';
}
