/**
 * How the coordinator waits for its queue jobs (run/evaluators/queue.ts).
 *
 * One `completed` and one `failed` listener on the QueueEvents serve every job, looked up by id. BullMQ's own
 * `job.waitUntilFinished` adds three listeners per job (`completed:<id>` and `failed:<id>` on the QueueEvents,
 * `closing` on the Queue): a batch of more than 10 jobs (the knapsack's sensitivities, the re-rank) passed Node's
 * default of 10 `closing` listeners and printed MaxListenersExceededWarning, and a job removed unfinished (after a stop
 * or a failure) kept its three for the life of the process.
 *
 * A batch that no worker takes waits, as a user who starts the coordinator before the workers expects; after
 * `idleSeconds` with none of its jobs running or finished it says so in one line, how to start a worker, and says it
 * again after each doubling of the wait (60 s, 2 min, 4 min, ...). One watcher serves all the waiting jobs, so two
 * batches in flight (--learn-ahead) print the line once. Ctrl+C stops the run, resumable.
 */
import type { QueueEvents } from 'bullmq';
import type { RunEvent } from '../events.js';

/** Seconds without a job of the batch running or finished before the coordinator says no worker takes them. */
export const IDLE_SECONDS = 60;

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (e: Error) => void;
}

/** Where the idle line goes: the queue's URL it names, the run's events, and the seconds before the first. */
export interface IdleWatch {
  url: string;
  emit?: (e: RunEvent) => void;
  idleSeconds?: number;
}

export class JobWaiters {
  private readonly waiters = new Map<string, Waiter>();
  private readonly active = new Set<string>();
  private lastProgress = 0;
  /** The one idle watcher, running while jobs wait (two batches in flight under --learn-ahead share it). */
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    events: QueueEvents,
    private readonly onActive: (jobId: string) => void,
    private readonly idle?: IdleWatch,
  ) {
    events.on('completed', ({ jobId, returnvalue }) => this.settle(jobId, (w) => w.resolve(returnvalue)));
    events.on('failed', ({ jobId, failedReason }) => this.settle(jobId, (w) => w.reject(new Error(failedReason))));
    events.on('active', ({ jobId }) => {
      if (!this.waiters.has(jobId)) return;
      this.active.add(jobId);
      this.lastProgress = performance.now();
      this.onActive(jobId);
    });
  }

  /** The results of `ids`, in their order; register before the jobs are added, so no event is missed. */
  wait(ids: string[]): Promise<unknown[]> {
    this.lastProgress = performance.now();
    const all = Promise.all(ids.map((id) => new Promise((resolve, reject) => this.waiters.set(id, { resolve, reject }))));
    if (this.idle && !this.timer) this.timer = this.watchIdle(this.idle);
    return all;
  }

  /** Forget `ids` (finished, removed or given up on). */
  forget(ids: string[]): void {
    for (const id of ids) {
      this.waiters.delete(id);
      this.active.delete(id);
    }
    this.stopWhenNoneWait();
  }

  /** Every job given up: the evaluator closes. */
  rejectAll(e: Error): void {
    for (const id of [...this.waiters.keys()]) this.settle(id, (w) => w.reject(e));
  }

  /**
   * Says, in one line through `emit`, when jobs wait and none has run or finished for `idleSeconds`, then after each
   * doubling of that wait.
   */
  private watchIdle({ url, emit, idleSeconds = IDLE_SECONDS }: IdleWatch): ReturnType<typeof setInterval> {
    let next = idleSeconds;
    const timer = setInterval(() => {
      const idle = (performance.now() - this.lastProgress) / 1000;
      if (this.waiters.size === 0 || this.active.size > 0) {
        next = idleSeconds;
        return;
      }
      if (idle < next) return;
      emit?.({ type: 'log', level: 'warn', message: `no queue worker has taken a job for ${formatWait(next)}: start one with autoshrink worker --queue ${url} (the run waits for it; Ctrl+C stops it, resumable)` });
      next *= 2;
    }, Math.min(1000, idleSeconds * 250));
    timer.unref();
    return timer;
  }

  private stopWhenNoneWait(): void {
    if (this.waiters.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
  }

  private settle(jobId: string, how: (w: Waiter) => void): void {
    const w = this.waiters.get(jobId);
    if (!w) return;
    this.waiters.delete(jobId);
    this.active.delete(jobId);
    this.lastProgress = performance.now();
    this.stopWhenNoneWait();
    how(w);
  }
}

function formatWait(s: number): string {
  return s <= 60 ? `${s} s` : s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
