/**
 * `--queue redis://HOST:PORT`: episodes evaluated by `autoshrink worker` processes on any machine that reaches the
 * Redis server, through a BullMQ queue (why a queue and how it fails: docs/design.md). This file is the coordinator's side and what both
 * sides share; run/evaluators/queue-worker.ts is the worker's side.
 *
 * A job carries the run's config, one strategy to measure, and the identity of what the coordinator measures with:
 * the autoshrink version, the tfjs backend, a hash of the model (topology and original weights) and of the dataset
 * (its id and the bytes of its train, validation and holdout splits). A worker builds the run's environment from its own
 * files, checks that identity and refuses a mismatch; the coordinator reports the refusal as one line and the run
 * stops, resumable. Results come back through QueueEvents (run/evaluators/queue-wait.ts), in job order; a batch no
 * worker takes waits, saying so after a minute.
 *
 * A worker killed mid-job stops renewing its lock; BullMQ's stalled-job check (run by the other workers) moves the job
 * back to the queue and another worker measures it. Jobs a killed coordinator left waiting are removed when the run
 * resumes. The coordinator stays the only writer of runs.db and the only owner of the agent.
 */
import type { Job, Queue, RedisOptions } from 'bullmq';
import { createHash, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import * as tf from '../../tfjs.js';
import { ConfigError } from '../../errors.js';
import type { Measurement } from '../../env/compression-env.js';
import type { Dataset } from '../../env/data/dataset.js';
import type { RunConfig } from '../config.js';
import type { BuiltEnvironment } from '../environment.js';
import type { Evaluator, MeasureJob } from './evaluator.js';
import type { RunEvent } from '../events.js';
import { modelHash } from '../final/strategy.js';
import { AUTOSHRINK_VERSION } from '../version.js';
import { JobWaiters } from './queue-wait.js';

/** The one queue every coordinator and worker of a Redis server uses; runs are told apart inside the jobs. */
export const QUEUE_NAME = 'autoshrink-episodes';
/** What a worker prefixes to a refusal, so the coordinator can tell it from a failure. */
export const REFUSED = 'refused: ';

/** What must be the same on the coordinator and a worker for their measurements to be the same. */
export interface WorkIdentity {
  autoshrink: string;
  backend: string;
  /** modelHash of the original model. */
  model: string;
  /** `<dataset id> sha256:<hash of the train, validation and holdout splits>`. */
  dataset: string;
}

export interface QueueJobData {
  runId: string;
  config: RunConfig;
  identity: WorkIdentity;
  job: MeasureJob;
}

/** redis://[user:password@]HOST:PORT[/db] (rediss:// for TLS) as BullMQ's connection options. */
export function connectionOf(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`--queue ${url} is not a URL; give the queue as redis://HOST:PORT`);
  }
  if ((parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || parsed.hostname === '' || parsed.port === '') {
    throw new ConfigError(`--queue ${url}: give the queue as redis://HOST:PORT`);
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname,
    port: Number(parsed.port),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: Number.isInteger(db) ? db : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    // give up on a server that does not answer instead of retrying for ever
    connectTimeout: 5000,
  };
}

/** sha256 of the splits a worker fine-tunes and scores on, with the dataset's id in front. */
export function datasetIdentity(data: Dataset): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([data.id, data.inputShape, data.numClasses]));
  // the holdout too when there is one: the re-rank scores on it through the queue
  for (const split of [data.train, data.validation, ...(data.holdout?.count ? [data.holdout] : [])]) {
    h.update(new Uint8Array(split.x.buffer, split.x.byteOffset, split.x.byteLength));
    h.update(new Uint8Array(split.y.buffer, split.y.byteOffset, split.y.byteLength));
  }
  return `${data.id} sha256:${h.digest('hex').slice(0, 16)}`;
}

/** The identity of a model (holding its original weights) and dataset on `backend`. */
export function workIdentity(model: tf.LayersModel, data: Dataset, backend: string): WorkIdentity {
  return { autoshrink: AUTOSHRINK_VERSION, backend, model: modelHash(model), dataset: datasetIdentity(data) };
}

const unreachable = (url: string, why: string) => new ConfigError(`cannot reach Redis at ${url} (${why}); start redis-server there, or fix --queue`);

/**
 * Check that the server at `url` takes connections before any BullMQ client is made: a BullMQ client of a server that
 * refuses retries for ever and reports errors even after it is closed.
 */
export function probe(url: string): Promise<void> {
  const { host, port } = connectionOf(url) as { host: string; port: number };
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: 5000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(unreachable(url, 'no answer in 5 s'));
    });
    socket.once('error', (e) => reject(unreachable(url, e.message)));
  });
}

/** Wait for a BullMQ client to connect, or fail in one line naming the server. Its later errors are recorded, not
 * thrown (an 'error' event without a listener would end the process); the client reconnects by itself. */
export async function ready(client: { waitUntilReady(): Promise<unknown>; on(event: 'error', fn: (e: Error) => void): unknown }, url: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer in 10 s')), 10_000);
    client.on('error', (e) => reject(e));
  });
  try {
    await Promise.race([client.waitUntilReady(), failed]);
  } catch (e) {
    throw unreachable(url, (e as Error).message);
  } finally {
    clearTimeout(timer);
  }
}

export interface QueueEvaluatorOptions {
  url: string;
  /** Jobs in flight at once: the number of worker processes the user runs (--workers). */
  slots: number;
  backend: string;
  runId: string;
  onEvent?: (event: RunEvent) => void;
  /** Seconds a batch waits with none of its jobs taken before a line says so (default 60; run/evaluators/queue-wait.ts). */
  idleSeconds?: number;
}

const abortError = () => Object.assign(new Error('evaluation aborted'), { name: 'AbortError' });

/** The coordinator's evaluator: adds one job per strategy and waits for the workers' results. `built.model` must hold
 * the original weights (its hash goes into every job). */
export async function queueEvaluator(config: RunConfig, built: BuiltEnvironment, opts: QueueEvaluatorOptions): Promise<Evaluator> {
  const connection = connectionOf(opts.url);
  const identity = workIdentity(built.model, built.data, opts.backend);
  await probe(opts.url);
  // loaded here, not at the top: a search without --queue, and `import 'autoshrink'`, never load bullmq
  const { Queue, QueueEvents } = await import('bullmq');
  const queue = new Queue<QueueJobData>(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  let waiters: JobWaiters | null = null;
  const close = async () => {
    waiters?.rejectAll(new Error('the queue evaluator closed'));
    await Promise.allSettled([events.close(), queue.close()]);
  };
  try {
    await Promise.all([ready(queue, opts.url), ready(events, opts.url)]);
    await dropLeftovers(queue, opts.runId);
    // CLIENT LIST may be forbidden on a managed Redis: then nobody is warned
    if ((await queue.getWorkersCount().catch(() => -1)) === 0) {
      opts.onEvent?.({ type: 'log', level: 'warn', message: `no autoshrink worker is connected to ${opts.url} yet; start one on each machine with: autoshrink worker --queue ${opts.url}` });
    }
  } catch (e) {
    await close();
    throw e;
  }
  const starts = new Map<string, () => void>();
  const waiting = new JobWaiters(events, (jobId) => starts.get(jobId)?.(), { url: opts.url, emit: opts.onEvent, idleSeconds: opts.idleSeconds });
  waiters = waiting;
  events.on('stalled', ({ jobId }) => {
    if (starts.has(jobId)) opts.onEvent?.({ type: 'log', level: 'warn', message: `a queue worker stopped during an evaluation (job ${jobId}); the job went back to the queue for another worker` });
  });
  return {
    slots: opts.slots,
    async measure(jobs, { signal, onStart } = {}) {
      if (signal?.aborted) throw abortError();
      const ids = jobs.map(() => `${opts.runId}-${randomUUID()}`);
      ids.forEach((id, i) => starts.set(id, () => onStart?.(i)));
      // registered before the jobs are added: no result is missed
      const all = waiting.wait(ids).catch((e: Error) => Promise.reject(failure(e)));
      all.catch(() => {}); // after an abort nobody waits for it
      try {
        const added = await queue.addBulk(
          jobs.map((job, i) => ({
            name: 'measure',
            data: { runId: opts.runId, config, identity, job },
            opts: { jobId: ids[i], removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } },
          })),
        );
        let onAbort = () => {};
        const aborted = new Promise<never>((_, reject) => {
          onAbort = () => reject(abortError());
          signal?.addEventListener('abort', onAbort, { once: true });
        });
        try {
          const results = await Promise.race([all, aborted]);
          return results.map(asMeasurement);
        } finally {
          signal?.removeEventListener('abort', onAbort);
          // nobody waits for what is still queued (after an abort or a failure): take it back
          await Promise.allSettled(added.map((j) => j.remove()));
        }
      } finally {
        waiting.forget(ids);
        ids.forEach((id) => starts.delete(id));
      }
    },
    close,
  };
}

/** A failed job as the coordinator reports it, in one line: a worker's refusal is the user's to fix. */
function failure(e: Error): Error {
  const reason = e.message.replace(/\s*\n\s*/g, ' ');
  if (reason.startsWith(REFUSED)) return new ConfigError(`a queue worker refused to evaluate for this run: ${reason.slice(REFUSED.length)}`);
  return new Error(`an evaluation failed on a queue worker: ${reason}`);
}

/** A worker's return value (JSON: NaN arrives as null). */
function asMeasurement(value: unknown): Measurement {
  const m = value as Measurement;
  return { ...m, loss: typeof m.loss === 'number' ? m.loss : Number.NaN };
}

/** Jobs of this run still waiting from before a kill of the coordinator: their results would go to nobody. */
async function dropLeftovers(queue: Queue<QueueJobData>, runId: string): Promise<void> {
  const waiting: Job<QueueJobData>[] = await queue.getJobs(['wait', 'prioritized', 'delayed']);
  await Promise.allSettled(waiting.filter((j) => j.data?.runId === runId).map((j) => j.remove()));
}
