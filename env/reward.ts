/**
 * Rewards as small pure functions (AMC's good habit). Accuracy in [0, 1]; `cost` and `full` in the budget's unit.
 * - accuracy: the validation accuracy itself (AMC with a hard budget);
 * - cross-entropy: minus the validation cross-entropy. It moves with every confidence, not in 1/N steps, and ranks
 *   strategies the way the final stage does better than accuracy when episodes fine-tune little or not at all
 *   (bench/results/reward-fidelity.md: Spearman 0.82 against 0.60 for accuracy without fine-tune);
 * - haq: `0.1 * (acc - accOriginal)` with accuracies in percent (HAQ);
 * - amc-flops: `-error * log(flops)` (AMC's FLOPs-aware reward);
 * - lagrangian: `acc - lambda * cost / full`, trading accuracy for size at a fixed exchange rate;
 * - within-drop: "the smallest model within `maxDrop` of the baseline's accuracy". A strategy inside the target scores
 *   `2 - cost / full` (in (1, 2]: smaller is better); one outside scores `1 - shortfall` (below 1: closer is better), so
 *   any strategy meeting the target beats every one missing it and the agent still sees a slope on both sides.
 */
import { ConfigError } from '../errors.js';

export type RewardKind = 'accuracy' | 'cross-entropy' | 'haq' | 'amc-flops' | 'lagrangian' | 'within-drop';
export const REWARDS: readonly RewardKind[] = ['accuracy', 'cross-entropy', 'haq', 'amc-flops', 'lagrangian', 'within-drop'];

export interface RewardInput {
  accuracy: number;
  /** Validation cross-entropy (for cross-entropy). */
  loss: number;
  baselineAccuracy: number;
  cost: number;
  full: number;
  /** Remaining MACs of the model (for amc-flops). */
  flops: number;
  lambda: number;
  /** Accuracy drop allowed by within-drop, as a fraction (0.01 = one point). */
  maxDrop: number;
}

export function reward(kind: RewardKind, r: RewardInput): number {
  switch (kind) {
    case 'accuracy':
      return r.accuracy;
    case 'cross-entropy':
      return -r.loss;
    case 'haq':
      return 0.1 * (r.accuracy - r.baselineAccuracy) * 100;
    case 'amc-flops':
      return -(1 - r.accuracy) * Math.log(Math.max(r.flops, 1));
    case 'lagrangian':
      return r.accuracy - r.lambda * (r.cost / r.full);
    case 'within-drop': {
      const shortfall = r.baselineAccuracy - r.maxDrop - r.accuracy;
      return shortfall <= 1e-12 ? 2 - r.cost / r.full : 1 - shortfall;
    }
    default:
      throw new ConfigError(`unknown reward '${kind as string}'; use ${REWARDS.join(', ')}`);
  }
}
