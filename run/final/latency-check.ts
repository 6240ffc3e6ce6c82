/**
 * The final stage's latency check: the built model timed on the run's backend, side by side with the original (each
 * round calls both once, env/latency-clock.ts), against what the latency table predicted for it and against the
 * budget. Over budget by measurement is reported as it is: the search held the budget on the prediction, the check
 * says whether the prediction held.
 *
 * A budget given as a fraction (latency:0.5) is checked as measured built / measured original, both from the same
 * rounds, so a machine slower or busier than when the table was timed moves both alike; one given in ms
 * (latency:12ms) is checked against the measured milliseconds.
 */
import type * as tf from '../../tfjs.js';
import type { BudgetSpec } from '../../env/budget.js';
import type { CompressionEnv } from '../../env/compression-env.js';
import { timeModels } from '../../env/latency-clock.js';
import type { LayerSpec } from '../../learners/types.js';

export interface LatencyCheck {
  /** The table's prediction for the built model, ms per predict call. */
  predictedMs: number;
  /** Median ms of the built model's predict calls, and of the original's in the same rounds. */
  measuredMs: number;
  fp32Ms: number;
  /** The fastest block of each (what the table's entries are), in the same rounds. */
  measuredMinMs: number;
  fp32MinMs: number;
  /** (measured - predicted) / measured. */
  error: number;
  batch: number;
  backend: string;
  /** The budget as the check reads it: ms, or a fraction of the original's time. */
  limit: { ms: number } | { fraction: number };
  /** Whether the built model is over its latency budget by measurement. */
  overBudget: boolean;
}

/** Median ms of the built model and of the original, timed side by side. */
export async function timeBuilt(original: tf.LayersModel, built: tf.LayersModel, batch: number): Promise<Timed> {
  const [fp32, mine] = await timeModels([original, built], batch);
  return { measuredMs: mine.medianMs, fp32Ms: fp32.medianMs, measuredMinMs: mine.minMs, fp32MinMs: fp32.minMs };
}

export type Timed = Pick<LatencyCheck, 'measuredMs' | 'fp32Ms' | 'measuredMinMs' | 'fp32MinMs'>;

/** The check of `specs` on `env` (a run with a latency budget), from the times measured; undefined without one. */
export function latencyCheck(env: CompressionEnv, specs: LayerSpec[], timed: Timed, batch: number, backend: string): LatencyCheck | undefined {
  const k = env.plans.findIndex((p) => p.kind === 'latency');
  if (k < 0) return undefined;
  const spec: BudgetSpec = k === 0 ? env.config.budget : env.config.alsoBudget!;
  const predictedMs = env.costs(specs)[k];
  const ms = spec.unit === 'ms';
  const limit: LatencyCheck['limit'] = ms ? { ms: spec.value } : { fraction: spec.value };
  const overBudget = ms ? timed.measuredMs > spec.value : timed.measuredMs / timed.fp32Ms > spec.value;
  return { predictedMs, ...timed, error: (timed.measuredMs - predictedMs) / timed.measuredMs, batch, backend, limit, overBudget };
}
