/**
 * Pruning schedules: when to prune during training and to what sparsity.
 *
 * Peer: tfmot `pruning_schedule.py` (ConstantSparsity, PolynomialDecay); semantics matched exactly:
 * prune at `step` when `beginStep <= step`, (`endStep == -1` or `step <= endStep`) and `(step - beginStep) % frequency
 * == 0`. PocketFlow's weight-sparsification ramp `s_f - s_f (1 - (t - t_b) / (t_e - t_b))^3` is
 * `polynomialDecay({initialSparsity: 0, finalSparsity: s_f, power: 3, ...})`.
 *
 * Deliberate differences from tfmot:
 * - `polynomialDecay` rejects `endStep == beginStep` (tfmot divides by zero and returns NaN sparsity).
 * - steps and frequency must be integers (tfmot casts silently).
 * - sparsity is computed in float64; tfmot computes in float32 (differences below 1e-7).
 * `constantSparsity` accepts `endStep == beginStep`: one pruning step, as tfmot.
 */
import { ConfigError } from '../errors.js';

/** What a schedule says about one training step. */
export interface PruningStep {
  /** Whether the mask is recomputed (and applied) at this step. */
  shouldPrune: boolean;
  /** The sparsity the mask is computed for at this step. */
  sparsity: number;
}

export type PruningSchedule = (step: number) => PruningStep;

export interface ConstantSparsityArgs {
  /** Sparsity applied at every pruning step, in [0, 1). */
  targetSparsity: number;
  /** First step at which pruning happens (>= 0). */
  beginStep: number;
  /** Last step at which pruning happens; -1 = never stop. */
  endStep?: number;
  /** Prune every `frequency` steps from `beginStep` (>= 1). */
  frequency?: number;
}

export interface PolynomialDecayArgs {
  /** Sparsity applied at `beginStep` (not at step 0), in [0, 1). */
  initialSparsity: number;
  /** Sparsity reached at `endStep` and kept after it, in [0, 1). */
  finalSparsity: number;
  beginStep: number;
  /** Must be greater than `beginStep` (-1 is not allowed: the ramp needs an end). */
  endStep: number;
  /** Exponent of the ramp; 3 = the cubic ramp of Zhu & Gupta (2017). */
  power?: number;
  frequency?: number;
}

function checkSparsity(name: string, s: number): void {
  if (!(Number.isFinite(s) && s >= 0 && s < 1)) {
    throw new ConfigError(`${name} must be in [0, 1), got ${s}: 1 would remove every weight`);
  }
}

function checkSteps(beginStep: number, endStep: number, frequency: number, allowOpenEnd: boolean): void {
  if (!(Number.isInteger(beginStep) && beginStep >= 0)) {
    throw new ConfigError(`beginStep must be an integer >= 0, got ${beginStep}`);
  }
  if (!(Number.isInteger(frequency) && frequency >= 1)) {
    throw new ConfigError(`frequency must be an integer >= 1, got ${frequency}`);
  }
  if (!Number.isInteger(endStep)) throw new ConfigError(`endStep must be an integer, got ${endStep}`);
  if (endStep === -1) {
    if (!allowOpenEnd) throw new ConfigError('endStep -1 (never stop) is not allowed for polynomialDecay: the ramp needs an end step');
    return;
  }
  if (endStep < beginStep) throw new ConfigError(`endStep (${endStep}) must be >= beginStep (${beginStep}), or -1 for no end`);
}

function inPruningRange(step: number, beginStep: number, endStep: number, frequency: number): boolean {
  return beginStep <= step && (endStep === -1 || step <= endStep) && (step - beginStep) % frequency === 0;
}

/** tfmot ConstantSparsity: the same sparsity at every pruning step. */
export function constantSparsity(args: ConstantSparsityArgs): PruningSchedule {
  const { targetSparsity, beginStep, endStep = -1, frequency = 100 } = args;
  checkSparsity('targetSparsity', targetSparsity);
  checkSteps(beginStep, endStep, frequency, true);
  return (step) => ({ shouldPrune: inPruningRange(step, beginStep, endStep, frequency), sparsity: targetSparsity });
}

/**
 * tfmot PolynomialDecay: `p = clamp((step - begin) / (end - begin), 0, 1)`,
 * `sparsity = final + (initial - final) * (1 - p)^power`.
 */
export function polynomialDecay(args: PolynomialDecayArgs): PruningSchedule {
  const { initialSparsity, finalSparsity, beginStep, endStep, power = 3, frequency = 100 } = args;
  checkSparsity('initialSparsity', initialSparsity);
  checkSparsity('finalSparsity', finalSparsity);
  checkSteps(beginStep, endStep, frequency, false);
  if (endStep === beginStep) {
    throw new ConfigError(`polynomialDecay needs endStep > beginStep (both are ${beginStep}): the ramp would divide by zero`);
  }
  if (!Number.isFinite(power)) throw new ConfigError(`power must be a finite number, got ${power}`);
  return (step) => {
    const p = Math.min(1, Math.max(0, (step - beginStep) / (endStep - beginStep)));
    const r = (1 - p) ** power;
    // = final + (initial - final) r, written so both ends come out exact
    return { shouldPrune: inPruningRange(step, beginStep, endStep, frequency), sparsity: initialSparsity * r + finalSparsity * (1 - r) };
  };
}
