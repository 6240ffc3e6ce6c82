/**
 * A warm start that is checked, not hoped for: the actor imitates a seed strategy in chunks of steps until its own
 * noise-free action at every step of the seed's walk discretises to the seed's setting, or a step cap is reached.
 * A fixed step count did not do it: 400 steps at the actor's learning rate 1e-4 left 6 of 9 layers of a synthetic
 * check at the wrong bit width (1500 steps: 0 of 9), and the width it needs depends on the model.
 * Numbers only: the caller says what "reproduced" means (the env's discretisation of an action).
 */
import type { Agent } from './agent.js';

export interface ImitateUntilOptions {
  /** Whether the actor's action at step `i` of the seed's walk gives the seed's setting there. */
  reproduced: (i: number, action: number[]) => boolean;
  /** Actor updates between checks. */
  chunk?: number;
  /** Give up after this many updates. */
  maxSteps?: number;
}

export interface ImitateUntilResult {
  /** Actor updates run. */
  steps: number;
  /** The last imitation loss (NaN when no update ran). */
  loss: number;
  /** Steps of the walk the actor still gets wrong (empty: reproduced everywhere). */
  wrong: number[];
}

export const IMITATION_CHUNK = 250;
export const IMITATION_MAX_STEPS = 6000;

export function imitateUntil(
  agent: Pick<Agent, 'act' | 'imitate'>,
  states: number[][],
  actions: number[][],
  { reproduced, chunk = IMITATION_CHUNK, maxSteps = IMITATION_MAX_STEPS }: ImitateUntilOptions,
): ImitateUntilResult {
  if (!agent.imitate) return { steps: 0, loss: Number.NaN, wrong: states.map((_, i) => i) };
  const wrongNow = () => states.flatMap((s, i) => (reproduced(i, agent.act(s, false)) ? [] : [i]));
  let steps = 0;
  let loss = Number.NaN;
  let wrong = wrongNow();
  while (wrong.length > 0 && steps < maxSteps) {
    const n = Math.min(chunk, maxSteps - steps);
    loss = agent.imitate(states, actions, n);
    steps += n;
    wrong = wrongNow();
  }
  return { steps, loss, wrong };
}
