import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LayerSpec } from '../../learners/types.js';
import { parseRunConfig } from '../../run/config.js';
import type { EvaluatorFactory } from '../../run/evaluators/create-evaluator.js';
import { buildEnvironment } from '../../run/environment.js';
import { type Evaluator, inProcessEvaluator } from '../../run/evaluators/evaluator.js';
import type { RunEvent } from '../../run/events.js';
import { resumeSearch, runSearch, storePath } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import { WorkerPool } from '../../run/evaluators/worker-pool.js';
import { removeDir, TINY, tinyWorkdir } from '../helpers/tiny-run.js';

// one work directory (one cached 1-epoch mlp) for every test of this file; runs are told apart by id
let workdir = '';
test.before(async () => (workdir = await tinyWorkdir('parallel')));
test.after.always(() => removeDir(workdir));

/** Six episodes proposed two at a time from one policy (warm-up 1, so the actor proposes from episode 1 on). */
const BATCHED = { ...TINY, episodes: 6, rolloutBatch: 2 };

function stored(runId: string) {
  const store = openStore(storePath(workdir), { readonly: true });
  try {
    return store.episodes(runId).map((e) => ({ episode: e.episode, strategy: e.strategy, accuracy: e.accuracy, reward: e.reward }));
  } finally {
    store.close();
  }
}

// the in-process run every other run of this file must match; made once
let reference: Promise<ReturnType<typeof stored>> | null = null;
function inProcessReference() {
  reference ??= runSearch({ ...BATCHED, workers: 1 }, { workdir, backend: 'wasm' }).then((r) => stored(r.runId));
  return reference;
}

/** A strategy per episode the way a walk makes them: varied, within the budget. */
async function someStrategies(n: number): Promise<{ built: Awaited<ReturnType<typeof buildEnvironment>>; strategies: LayerSpec[][] }> {
  const built = await buildEnvironment(parseRunConfig(TINY), workdir);
  const strategies = Array.from({ length: n }, (_, e) => {
    let next: number[] | null = built.env.reset(e);
    let k = 0;
    while (next) next = built.env.step(next.map(() => ((e + 1) * 0.37 + (k++) * 0.21) % 1)).next;
    return built.env.finishStrategy();
  });
  return { built, strategies };
}

test('same seed and rollout batch: 2 worker threads store the strategies and accuracies 1 in-process evaluator stores', async (t) => {
  const events: RunEvent[] = [];
  const two = await runSearch({ ...BATCHED, workers: 2 }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  t.is(two.status, 'completed');
  t.deepEqual(stored(two.runId), await inProcessReference());
  // the view heard of the evaluations, each episode's at most once (a cached strategy has none)
  const evaluating = events.filter((e) => e.type === 'episode-evaluating').map((e) => (e as { episode: number }).episode);
  t.true(evaluating.length > 0);
  t.is(new Set(evaluating).size, evaluating.length);
  t.true(events.some((e) => e.type === 'log' && e.message === 'evaluating on 2 worker threads'));
});

test('results consumed in proposal order: an evaluator that finishes the batch last-first changes nothing', async (t) => {
  const reversed: EvaluatorFactory = async (_config, built) => {
    const inner = inProcessEvaluator(built.env);
    const evaluator: Evaluator = {
      slots: 2,
      async measure(jobs, opts) {
        const backwards = await inner.measure([...jobs].reverse(), opts);
        return backwards.reverse();
      },
      close: () => inner.close(),
    };
    return evaluator;
  };
  const r = await runSearch(BATCHED, { workdir, backend: 'wasm', createEvaluator: reversed });
  t.deepEqual(stored(r.runId), await inProcessReference());
});

test('the pool returns results in job order when a later job finishes first, equal to measuring in this process', async (t) => {
  const { built, strategies } = await someStrategies(2);
  const pool = await WorkerPool.start(parseRunConfig(TINY), built, { threads: 2, backend: 'wasm' });
  t.teardown(() => pool.close());
  // job 0 fine-tunes 40 steps, job 1 only 1: job 1 is back first
  const jobs = [{ strategy: strategies[0], steps: 40 }, { strategy: strategies[1], steps: 1 }];
  const started: number[] = [];
  const measured = await pool.measure(jobs, { onStart: (i) => started.push(i) });
  t.deepEqual(started, [0, 1]);
  const here = [await built.env.measure(jobs[0].strategy, { steps: 40 }), await built.env.measure(jobs[1].strategy, { steps: 1 })];
  t.deepEqual(measured.map((m) => [m.accuracy, m.loss]), here.map((m) => [m.accuracy, m.loss]));
  built.env.dispose();
  built.model.dispose();
});

test('a worker thread killed mid-evaluation is replaced, its job retried, and the run completes with every episode once', async (t) => {
  let pool: WorkerPool | null = null;
  let killed = false;
  const killOnce: EvaluatorFactory = async (config, built, o) => {
    const p = await WorkerPool.start(config, built, { threads: 2, backend: o.backend, onEvent: o.onEvent });
    pool = p;
    return {
      slots: p.slots,
      measure: (jobs, m = {}) =>
        p.measure(jobs, {
          ...m,
          onStart: (i) => {
            m.onStart?.(i);
            // the second job of the first batch: its thread is terminated as soon as it has the job
            if (!killed && i === 1) {
              killed = true;
              void p.terminateThreadRunning(1);
            }
          },
        }),
      close: () => p.close(),
    };
  };
  const events: RunEvent[] = [];
  const r = await runSearch({ ...BATCHED, workers: 2 }, { workdir, backend: 'wasm', createEvaluator: killOnce, onEvent: (e) => events.push(e) });
  t.is(r.status, 'completed');
  t.true(killed);
  t.is(pool!.retries, 1);
  t.true(events.some((e) => e.type === 'log' && e.level === 'warn' && /^worker thread \d died during an evaluation \(exit code 1\); a new thread takes it over \(retry 1 of 2\)$/.test(e.message)));
  t.deepEqual(stored(r.runId), await inProcessReference());
});

test('a job whose thread dies on every try fails after 2 retries, in one line', async (t) => {
  const { built, strategies } = await someStrategies(1);
  const pool = await WorkerPool.start(parseRunConfig(TINY), built, { threads: 1, backend: 'wasm' });
  t.teardown(() => pool.close());
  const error = await t.throwsAsync(pool.measure([{ strategy: strategies[0] }], { onStart: () => void pool.terminateThreadRunning(0) }));
  t.is(error!.message, 'worker thread 1 died 3 times evaluating the same strategy (last: exit code 1); giving up');
  t.is(pool.retries, 2);
  built.env.dispose();
  built.model.dispose();
});

test('a coordinator with 2 worker threads killed with SIGKILL mid-batch resumes the batch and stores each episode once', async (t) => {
  const config = { ...BATCHED, workers: 2, rolloutBatch: 3 };
  // batches [0 1 2] [3 4 5]; the child kills itself right after storing episode 3, with 4 and 5 measured but not stored
  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'fixtures', 'search-child.ts'), workdir, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AUTOSHRINK_TEST_KILL_AFTER: '3' },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (code, sig) => resolve([code, sig])));
  t.is(signal, 'SIGKILL');
  const started = out.split('\n').find((line) => line.startsWith('{"type":"run-started"'));
  const runId = (JSON.parse(started!) as { runId: string }).runId;
  t.deepEqual(stored(runId).map((e) => e.episode), [0, 1, 2, 3]);

  const events: RunEvent[] = [];
  const resumed = await resumeSearch(runId, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  t.is(resumed.status, 'completed');
  // the rest of the killed batch is announced again and evaluated; nothing is proposed twice
  t.deepEqual(events.filter((e) => e.type === 'episode-started').map((e) => (e as { episode: number }).episode), [4, 5]);
  const store = openStore(storePath(workdir));
  t.deepEqual(store.episodes(runId).map((e) => e.episode), [0, 1, 2, 3, 4, 5]);
  t.is(store.integrityCheck(), 'ok');
  store.close();
  // and the same strategies as the uninterrupted run with the same batches
  const whole = await runSearch({ ...config, workers: 1 }, { workdir, backend: 'wasm' });
  t.deepEqual(stored(runId).map((e) => e.strategy), stored(whole.runId).map((e) => e.strategy));
});
