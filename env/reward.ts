/**
 * Rewards as small pure functions (AMC's good habit). Accuracy in [0, 1]; `cost` and `full` in the budget's unit.
 * - accuracy: the validation accuracy itself (AMC with a hard budget);
 * - haq: `0.1 * (acc - accOriginal)` with accuracies in percent (HAQ);
 * - amc-flops: `-error * log(flops)` (AMC's FLOPs-aware reward);
 * - lagrangian: `acc - lambda * cost / full`, for "the smallest model within x% of the accuracy" searches.
 */
import { ConfigError } from '../errors.js';

export type RewardKind = 'accuracy' | 'haq' | 'amc-flops' | 'lagrangian';
export const REWARDS: readonly RewardKind[] = ['accuracy', 'haq', 'amc-flops', 'lagrangian'];

export interface RewardInput {
  accuracy: number;
  baselineAccuracy: number;
  cost: number;
  full: number;
  /** Remaining MACs of the model (for amc-flops). */
  flops: number;
  lambda: number;
}

export function reward(kind: RewardKind, r: RewardInput): number {
  switch (kind) {
    case 'accuracy':
      return r.accuracy;
    case 'haq':
      return 0.1 * (r.accuracy - r.baselineAccuracy) * 100;
    case 'amc-flops':
      return -(1 - r.accuracy) * Math.log(Math.max(r.flops, 1));
    case 'lagrangian':
      return r.accuracy - r.lambda * (r.cost / r.full);
    default:
      throw new ConfigError(`unknown reward '${kind as string}'; use ${REWARDS.join(', ')}`);
  }
}
