/**
 * `--workers N`: episodes evaluated on N worker threads of this process (node:worker_threads; small enough not to need
 * a pool library). Each thread has its own tfjs backend and its own CompressionEnv (run/evaluators/worker-thread.ts), built once
 * from the run config, the original model's topology and weights (copied to each thread once) and the dataset (copied
 * once into SharedArrayBuffers that every thread reads; nothing is re-read or re-sent per episode).
 *
 * Jobs go to free threads in job order; results come back in job order whatever order they finish in. A thread that
 * dies mid-job (a crash, an out-of-memory, `terminate`) is replaced and its job retried, up to `maxRetries` times per
 * job; then the batch fails with one line saying so. A thread that fails to start fails the pool at once.
 */
import * as tf from '../../tfjs.js';
import { Worker } from 'node:worker_threads';
import type { Measurement } from '../../env/compression-env.js';
import type { Dataset, DataSplit } from '../../env/data/dataset.js';
import type { LatencyTable } from '../../env/latency-table.js';
import type { RunConfig } from '../config.js';
import type { BuiltEnvironment } from '../environment.js';
import type { Evaluator, MeasureJob } from './evaluator.js';
import type { RunEvent } from '../events.js';
import { type FromThread, THREAD_MARK, type ThreadPayload, type ToThread } from './worker-thread.js';

export interface PoolOptions {
  threads: number;
  /** The active tfjs backend's name; every thread activates the same. */
  backend: string;
  /** Tries of one job after the first whose thread died, before the batch fails (default 2). */
  maxRetries?: number;
  onEvent?: (event: RunEvent) => void;
}

interface Batch {
  results: Measurement[];
  left: number;
  settled: boolean;
  resolve: (results: Measurement[]) => void;
  reject: (error: Error) => void;
  onStart?: (i: number) => void;
  cleanup: () => void;
}

interface Task {
  job: MeasureJob;
  index: number;
  /** Threads that died running it. */
  deaths: number;
  batch: Batch;
}

interface Thread {
  /** 1-based, kept by a replacement, for messages. */
  n: number;
  worker: Worker;
  ready: boolean;
  task: Task | null;
  /** Message id of the task's current try. */
  taskId: number;
  lastError: string | null;
}

const abortError = () => Object.assign(new Error('evaluation aborted'), { name: 'AbortError' });

/** How to start a thread: the built worker-thread.js beside this file, or, from the sources under tsx, the .ts file
 * after registering tsx's loader in the thread (a thread does not inherit the loader of the process). */
function threadEntry(): { entry: URL | string; evalCode: boolean } {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return { entry: new URL('./worker-thread.js', self), evalCode: false };
  const target = new URL('./worker-thread.ts', self).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return { entry: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`, evalCode: true };
}

/** The model's topology and weights as tfjs saves them, to load in another thread with `tf.io.fromMemory`. */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let out: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      out = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

function shareSplit(split: DataSplit): DataSplit {
  const x = new Float32Array(new SharedArrayBuffer(split.x.byteLength));
  const y = new Int32Array(new SharedArrayBuffer(split.y.byteLength));
  x.set(split.x);
  y.set(split.y);
  return { x, y, count: split.count };
}

/** The dataset with its arrays in shared memory: sent to any number of threads without a copy. */
export function shareDataset(data: Dataset): Dataset {
  const holdout = data.holdout ? { holdout: shareSplit(data.holdout) } : {};
  return { ...data, train: shareSplit(data.train), validation: shareSplit(data.validation), test: shareSplit(data.test), ...holdout };
}

export class WorkerPool implements Evaluator {
  readonly slots: number;
  /** Jobs retried because their thread died, over the pool's life. */
  retries = 0;
  private readonly threads: Thread[] = [];
  private readonly queue: Task[] = [];
  private readonly maxRetries: number;
  private nextId = 1;
  private closed = false;
  private fatal: Error | null = null;
  private readyWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  private constructor(
    private readonly payload: ThreadPayload,
    private readonly opts: PoolOptions,
  ) {
    this.slots = opts.threads;
    this.maxRetries = opts.maxRetries ?? 2;
    for (let n = 1; n <= opts.threads; n++) this.threads.push(this.spawn(n));
  }

  /**
   * Start `opts.threads` threads for the run and wait until each has built its environment. `source.model` must hold
   * the original weights (what the threads compress from).
   */
  static async start(config: RunConfig, source: Pick<BuiltEnvironment, 'model' | 'data'> & { latency?: LatencyTable }, opts: PoolOptions): Promise<WorkerPool> {
    const payload: ThreadPayload = { config, backend: opts.backend, model: await modelArtifacts(source.model), data: shareDataset(source.data), ...(source.latency ? { latency: source.latency } : {}) };
    const pool = new WorkerPool(payload, opts);
    try {
      await pool.ready();
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  private ready(): Promise<void> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.threads.every((t) => t.ready)) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private spawn(n: number): Thread {
    const { entry, evalCode } = threadEntry();
    const worker = new Worker(entry, { eval: evalCode, workerData: { mark: THREAD_MARK, payload: this.payload } });
    const thread: Thread = { n, worker, ready: false, task: null, taskId: 0, lastError: null };
    worker.on('message', (m: FromThread) => this.onMessage(thread, m));
    worker.on('error', (e) => {
      thread.lastError = e.message;
    });
    worker.on('exit', (code) => this.onExit(thread, code));
    return thread;
  }

  private onMessage(thread: Thread, m: FromThread): void {
    if (m.type === 'ready') {
      thread.ready = true;
      if (this.threads.every((t) => t.ready)) this.readyWaiters.splice(0).forEach((w) => w.resolve());
    } else if (m.type === 'failed') {
      this.failAll(new Error(`worker thread ${thread.n} could not build its environment: ${m.message}`));
      return;
    } else if (m.id === thread.taskId && thread.task) {
      const task = thread.task;
      thread.task = null;
      if (m.type === 'result') this.deliver(task, m.measurement);
      else this.settle(task.batch, m.name === 'AbortError' ? abortError() : Object.assign(new Error(m.message), { name: m.name }));
    }
    this.dispatch();
  }

  private onExit(thread: Thread, code: number): void {
    const at = this.threads.indexOf(thread);
    if (this.closed || at < 0) return;
    const why = thread.lastError ?? `exit code ${code}`;
    if (!thread.ready) {
      this.failAll(new Error(`worker thread ${thread.n} stopped while starting (${why})`));
      return;
    }
    this.threads[at] = this.spawn(thread.n);
    const task = thread.task;
    if (task && !task.batch.settled) {
      task.deaths++;
      if (task.deaths > this.maxRetries) {
        this.settle(task.batch, new Error(`worker thread ${thread.n} died ${task.deaths} times evaluating the same strategy (last: ${why}); giving up`));
      } else {
        this.retries++;
        this.queue.unshift(task);
        this.opts.onEvent?.({
          type: 'log',
          level: 'warn',
          message: `worker thread ${thread.n} died during an evaluation (${why}); a new thread takes it over (retry ${task.deaths} of ${this.maxRetries})`,
        });
      }
    }
    this.dispatch();
  }

  /** Free threads take the next jobs, in job order. */
  private dispatch(): void {
    for (const thread of this.threads) {
      if (!thread.ready || thread.task) continue;
      let task = this.queue.shift();
      while (task && task.batch.settled) task = this.queue.shift();
      if (!task) return;
      thread.task = task;
      thread.taskId = this.nextId++;
      thread.worker.postMessage({ type: 'measure', id: thread.taskId, job: task.job } satisfies ToThread);
      task.batch.onStart?.(task.index);
    }
  }

  private deliver(task: Task, measurement: Measurement): void {
    const batch = task.batch;
    if (batch.settled) return;
    batch.results[task.index] = measurement;
    if (--batch.left === 0) {
      batch.settled = true;
      batch.cleanup();
      batch.resolve(batch.results);
    }
  }

  /** Fail a batch: drop its queued jobs, tell the threads running the others to stop. */
  private settle(batch: Batch, error: Error): void {
    if (batch.settled) return;
    batch.settled = true;
    batch.cleanup();
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].batch === batch) this.queue.splice(i, 1);
    for (const t of this.threads) {
      if (t.task?.batch === batch) t.worker.postMessage({ type: 'abort', id: t.taskId } satisfies ToThread);
    }
    batch.reject(error);
  }

  private failAll(error: Error): void {
    if (this.fatal) return;
    this.fatal = error;
    this.readyWaiters.splice(0).forEach((w) => w.reject(error));
    const batches = new Set([...this.queue.map((t) => t.batch), ...this.threads.flatMap((t) => (t.task ? [t.task.batch] : []))]);
    for (const b of batches) this.settle(b, error);
  }

  measure(jobs: MeasureJob[], opts: { signal?: AbortSignal; onStart?: (i: number) => void } = {}): Promise<Measurement[]> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    if (opts.signal?.aborted) return Promise.reject(abortError());
    if (jobs.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const onAbort = () => this.settle(batch, abortError());
      const batch: Batch = {
        results: new Array(jobs.length),
        left: jobs.length,
        settled: false,
        resolve,
        reject,
        onStart: opts.onStart,
        cleanup: () => opts.signal?.removeEventListener('abort', onAbort),
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      jobs.forEach((job, index) => this.queue.push({ job, index, deaths: 0, batch }));
      this.dispatch();
    });
  }

  /** Terminate the thread running job `index` of the current batch, as a crash would (tests check the retry with it). */
  async terminateThreadRunning(index: number): Promise<boolean> {
    const thread = this.threads.find((t) => t.task?.index === index && !t.task.batch.settled);
    if (!thread) return false;
    await thread.worker.terminate();
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const batches = new Set([...this.queue.map((t) => t.batch), ...this.threads.flatMap((t) => (t.task ? [t.task.batch] : []))]);
    for (const b of batches) this.settle(b, abortError());
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
