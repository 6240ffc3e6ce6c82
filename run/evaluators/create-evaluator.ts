/**
 * The run config's choice of evaluator (docs/design.md, "The evaluation seam"): `--queue redis://...` a BullMQ queue served
 * by `autoshrink worker` processes (with `--workers N` jobs in flight, one per worker process you run), else
 * `--workers N` (N > 1) a pool of N worker threads here, else this process, one episode at a time.
 */
import type { RunConfig } from '../config.js';
import type { BuiltEnvironment } from '../environment.js';
import { type Evaluator, inProcessEvaluator } from './evaluator.js';
import type { RunEvent } from '../events.js';
import { queueEvaluator } from './queue.js';
import { WorkerPool } from './worker-pool.js';

export interface EvaluatorOptions {
  /** The active tfjs backend's name; worker threads use the same, queue workers must. */
  backend: string;
  runId: string;
  onEvent?: (event: RunEvent) => void;
}

/** How a run gets its evaluator; `createEvaluator` unless a caller (a test) supplies its own. */
export type EvaluatorFactory = (config: RunConfig, built: BuiltEnvironment, opts: EvaluatorOptions) => Promise<Evaluator>;

export const createEvaluator: EvaluatorFactory = async (config, built, opts) => {
  const say = (message: string) => opts.onEvent?.({ type: 'log', level: 'info', message });
  // workers compress from the original weights, and the queue's identity hashes them
  built.env.restoreOriginal();
  if (config.queue) {
    const evaluator = await queueEvaluator(config, built, { url: config.queue, slots: config.workers, backend: opts.backend, runId: opts.runId, onEvent: opts.onEvent });
    say(`evaluating through the queue at ${config.queue}, ${config.workers} job${config.workers === 1 ? '' : 's'} at a time`);
    return evaluator;
  }
  if (config.workers > 1) {
    const pool = await WorkerPool.start(config, { ...built, latency: built.env.config.latency }, { threads: config.workers, backend: opts.backend, onEvent: opts.onEvent });
    say(`evaluating on ${config.workers} worker threads`);
    return pool;
  }
  return inProcessEvaluator(built.env);
};
