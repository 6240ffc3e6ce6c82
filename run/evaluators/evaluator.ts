/**
 * The evaluation seam (docs/design.md, "The evaluation seam"): the search hands a batch of strategies to an evaluator and
 * gets one measurement per strategy back, in the order given, whatever order they finish in. Implementations:
 * in-process (this file, the default), a worker-thread pool (run/evaluators/worker-pool.ts, `--workers N`), a BullMQ queue on
 * Redis (run/evaluators/queue.ts, `--queue redis://...`). Evaluators are stateless apart from the model and data they hold:
 * the coordinator keeps the cache, computes rewards and is the only writer of runs.db.
 */
import { CompressionEnv, type Evaluation, type Measurement } from '../../env/compression-env.js';
import type { Dataset } from '../../env/data/dataset.js';
import type { MeasureOptions } from '../../env/measure.js';
import type { LayerSpec } from '../../learners/types.js';

export interface MeasureJob {
  strategy: LayerSpec[];
  /** Fine-tune steps; absent: the run's episode fine-tune. */
  steps?: number;
  /** The images scored: absent, the reward images; `holdout` or (every image of) `validation`, the re-rank's. */
  on?: 'holdout' | 'validation';
}

/** A job's measure options against the evaluator's own data (the same split on every evaluator of the run). */
export function measureOptionsOf(job: MeasureJob, data: Dataset): MeasureOptions {
  if (job.on === 'holdout' && !data.holdout?.count) throw new Error('a job asks for the holdout images, and this evaluator\'s data has none');
  return { steps: job.steps, ...(job.on === 'holdout' ? { on: data.holdout } : job.on === 'validation' ? { all: true } : {}) };
}

export interface Evaluator {
  /** Jobs that run at the same time (the default rollout batch). */
  readonly slots: number;
  /** Measure every job; the results come back in job order. `onStart(i)` fires as job i begins somewhere. */
  measure(jobs: MeasureJob[], opts?: { signal?: AbortSignal; onStart?: (i: number) => void }): Promise<Measurement[]>;
  close(): Promise<void>;
}

/** Today's behaviour: one job after another on this thread, with the coordinator's own environment. */
export function inProcessEvaluator(env: CompressionEnv): Evaluator {
  return {
    slots: 1,
    async measure(jobs, opts = {}) {
      const out: Measurement[] = [];
      for (const [i, job] of jobs.entries()) {
        opts.onStart?.(i);
        out.push(await env.measure(job.strategy, { ...measureOptionsOf(job, env.data), signal: opts.signal }));
      }
      return out;
    },
    close: async () => {},
  };
}

/**
 * Evaluate strategies through `evaluator` with the run's cache: cached strategies are not measured again, and a
 * strategy that appears twice in one batch is measured once. Only episode measurements (the run's own fine-tune) are
 * cached, and measurements without fine-tune (the sensitivities, `steps: 0`), which a resumed run would otherwise measure
 * again; other fine-tune lengths are measured every time. Rewards are computed here.
 */
export async function evaluateStrategies(
  env: CompressionEnv,
  evaluator: Evaluator,
  strategies: LayerSpec[][],
  opts: { steps?: number; signal?: AbortSignal; onStart?: (i: number) => void } = {},
): Promise<Evaluation[]> {
  const cacheable = opts.steps === undefined || opts.steps === 0;
  const keys = strategies.map((s) => keyOf(s, opts.steps));
  const firstOf = new Map<string, number>();
  const jobs: MeasureJob[] = [];
  const jobOf: number[] = [];
  strategies.forEach((strategy, i) => {
    if (cacheable && env.cached(strategy, opts.steps) !== undefined) return;
    if (!firstOf.has(keys[i])) {
      firstOf.set(keys[i], jobs.length);
      jobs.push({ strategy, steps: opts.steps });
      jobOf.push(i);
    }
  });
  const measured = jobs.length ? await evaluator.measure(jobs, { signal: opts.signal, onStart: (j) => opts.onStart?.(jobOf[j]) }) : [];
  return strategies.map((strategy, i) => {
    const hit = cacheable ? env.cached(strategy, opts.steps) : undefined;
    const j = firstOf.get(keys[i]);
    // the first occurrence in this batch was measured; a repeat (or a strategy from an earlier batch) is a cache hit
    if (j !== undefined && jobOf[j] === i) {
      const m = measured[j];
      if (cacheable) env.remember(strategy, m.accuracy, m.loss, opts.steps);
      return { ...m, ...env.score(strategy, m.accuracy, undefined, m.loss), cached: false };
    }
    const { accuracy, loss } = hit ?? measured[j!];
    return { accuracy, loss, ...env.score(strategy, accuracy, undefined, loss), cached: true, timings: { compress: 0, finetune: 0, evaluate: 0 } };
  });
}

function keyOf(strategy: LayerSpec[], steps: number | undefined): string {
  return `${steps ?? 'episode'}|${CompressionEnv.strategyKey(strategy)}`;
}
