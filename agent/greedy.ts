/**
 * Greedy sensitivity search (AIMET's per-layer sensitivity analysis, HAWQ's "lower the least sensitive layer
 * first"). Not an RL agent: an algorithm over callbacks, so it never sees the env.
 *
 * The rule, exactly:
 * 1. Every layer starts at candidate 0 (its most expensive setting).
 * 2. While cost(assignment) > budget: for each layer l not yet at its last candidate, consider moving it one step,
 *    from i = assignment[l] to i + 1, and score the move
 *        score = (S(l, i + 1) - S(l, i)) / (cost(assignment) - cost(assignment with l at i + 1))
 *    where S(l, j) = sensitivity(l, j) is the accuracy drop with ONLY layer l at candidate j, and S(l, 0) = 0.
 *    That is: accuracy lost per unit of cost saved, drops assumed additive across layers. A move that saves nothing
 *    scores +Infinity (taken only when nothing else is left). Take the lowest score; ties go to the lower layer index.
 * 3. Stop as soon as the budget holds. If every layer is at its last candidate and it still does not, BudgetError.
 * Sensitivities are measured lazily (only for the moves considered) and each at most once, in the order needed.
 * No step is ever undone; with additive drops this is the classic greedy for the knapsack-like problem, not a
 * guaranteed optimum.
 */
import { BudgetError, ConfigError } from '../errors.js';
import { lowerHull } from './frontier.js';

export interface GreedyArgs {
  /** Per layer, its candidate action vectors ordered from most expensive (index 0, the start) to cheapest. */
  candidates: number[][][];
  /** Accuracy drop when ONLY `layer` is set to candidate `index` (every other layer at candidate 0). */
  sensitivity: (layer: number, index: number) => Promise<number>;
  /** Cost of a whole assignment (candidate index per layer), in the budget's unit. */
  cost: (assignment: number[]) => number;
  /** The largest cost allowed. */
  budget: number;
}

/** One move the greedy took. */
export interface GreedyStep {
  layer: number;
  /** The candidate index the layer moved to. */
  to: number;
  score: number;
  /** Cost after the move. */
  cost: number;
}

export interface GreedyResult {
  /** Candidate index per layer. */
  assignment: number[];
  /** The chosen action vector per layer (candidates[l][assignment[l]]). */
  actions: number[][];
  cost: number;
  /** Sum over layers of S(l, assignment[l]): the predicted drop under the additivity assumption. */
  predictedDrop: number;
  /** Number of sensitivity() calls made. */
  evaluations: number;
  steps: GreedyStep[];
}

export async function greedySearch({ candidates, sensitivity, cost, budget }: GreedyArgs): Promise<GreedyResult> {
  const layers = candidates.length;
  if (layers === 0 || candidates.some((c) => c.length === 0)) {
    throw new ConfigError('greedySearch needs at least one layer and at least one candidate per layer');
  }
  if (!Number.isFinite(budget)) throw new ConfigError(`greedySearch budget must be a finite number, got ${budget}`);

  // S(l, j), measured on first use; S(l, 0) = 0 by definition.
  const measured: Map<number, number>[] = candidates.map(() => new Map([[0, 0]]));
  let evaluations = 0;
  const S = async (l: number, j: number): Promise<number> => {
    let s = measured[l].get(j);
    if (s === undefined) {
      s = await sensitivity(l, j);
      evaluations += 1;
      if (!Number.isFinite(s)) throw new ConfigError(`sensitivity(${l}, ${j}) returned ${s}, not a finite number`);
      measured[l].set(j, s);
    }
    return s;
  };

  const assignment = new Array<number>(layers).fill(0);
  const steps: GreedyStep[] = [];
  let current = cost(assignment);
  while (current > budget) {
    let best: { layer: number; score: number; cost: number } | null = null;
    for (let l = 0; l < layers; l++) {
      const i = assignment[l];
      if (i + 1 >= candidates[l].length) continue;
      const lowered = assignment.slice();
      lowered[l] = i + 1;
      const loweredCost = cost(lowered);
      const saved = current - loweredCost;
      const score = saved > 0 ? ((await S(l, i + 1)) - (await S(l, i))) / saved : Infinity;
      if (best === null || score < best.score) best = { layer: l, score, cost: loweredCost };
    }
    if (best === null) {
      throw new BudgetError(`budget ${budget} is below the cheapest reachable cost ${current}: every layer is at its cheapest candidate`);
    }
    assignment[best.layer] += 1;
    current = best.cost;
    steps.push({ layer: best.layer, to: assignment[best.layer], score: best.score, cost: current });
  }

  let predictedDrop = 0;
  for (let l = 0; l < layers; l++) predictedDrop += await S(l, assignment[l]);
  return {
    assignment,
    actions: assignment.map((j, l) => [...candidates[l][j]]),
    cost: current,
    predictedDrop,
    evaluations,
    steps,
  };
}

/**
 * A layer's ladder for the greedy, as option indices from the costliest (least loss) to the cheapest: the lower convex
 * hull of its options (cost against loss), so each step down is the layer's best ratio, then `last` when given and
 * not already the cheapest rung (the option the budget walls assume of an undecided layer, so the walk can always
 * reach the cheapest strategy they allow, even where that option is not on the hull of this cost).
 */
export function hullLadder(costs: number[], losses: number[], last?: number): number[] {
  const ladder = lowerHull(costs.map((cost, j) => ({ cost, loss: losses[j] }))).reverse();
  if (last !== undefined && ladder[ladder.length - 1] !== last) ladder.push(last);
  return ladder;
}
