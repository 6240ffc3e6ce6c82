/**
 * HAWQ-V3's answer (Yao et al., ICML 2021) with measured sensitivities (run/planners/sensitivities.ts): the
 * multiple-choice knapsack over each layer's measured options, minimising the summed loss increase under the budget.
 * Exact over the measured options: integer costs (bits of a size budget), one DP cell per unit of slack
 * (agent/k-best-knapsack.ts). Its k best solutions (--rerank-top) go to the re-rank, each through the fill pass:
 * the model's own runners-up are whole strategies that fit and differ from the answer where the predictor is least
 * sure, which a neighbourhood of the answer would only approximate.
 */
import { kBestKnapsack, MAX_KBEST_CELLS } from '../../agent/k-best-knapsack.js';
import type { LayerSpec } from '../../learners/types.js';
import { candidateList, distinct } from './candidate-list.js';
import { maybeFill } from './fill-strategy.js';
import { sensitivities } from './sensitivities.js';
import { candidatesOf, type Planner, type PlannerContext } from './types.js';

export function knapsackPlanner(ctx: PlannerContext): Planner {
  const k = candidatesOf(ctx.config);
  return candidateList(ctx, k, () => knapsackCandidates(ctx, k));
}

/** The knapsack's `k` best distinct strategies, best predicted first, each filled. */
export async function knapsackCandidates(ctx: PlannerContext, k: number): Promise<LayerSpec[][]> {
  const s = await sensitivities(ctx);
  const mins = s.layers.map((o) => Math.min(...o.costs));
  const slack = s.budget - mins.reduce((a, b) => a + b, 0);
  // one cell per integer unit of slack; a slack too large for that takes u units a cell, extra costs rounded up
  const u = Math.max(1, Math.ceil(slack / MAX_KBEST_CELLS));
  const options = s.layers.map((o, l) => o.costs.map((c, j) => ({ cost: Math.ceil((c - mins[l]) / u), loss: o.losses[j] })));
  // spare solutions: the fill pass may turn a runner-up into one already listed
  const solutions = kBestKnapsack(options, Math.floor(slack / u), 2 * k + 1);
  const best = solutions[0];
  ctx.emit({ type: 'log', level: 'info', message: `knapsack: predicted loss increase ${best.loss.toFixed(4)}, exact over the measured options${u > 1 ? ` (costs in cells of ${u} units)` : ''}${k > 1 ? `; its ${Math.min(k, solutions.length)} best solutions go to the re-rank` : ''}` });
  const strategies: LayerSpec[][] = [];
  for (const sol of solutions) strategies.push(await maybeFill(ctx, sol.choice.map((j, l) => s.layers[l].specs[j])));
  // the integer sums fit exactly; the env's float sum has the last word
  const fitting = strategies.filter((st) => ctx.env.fits(st));
  return distinct(fitting.length ? fitting : [ctx.env.plan.candidates.map((c) => c.specs[0])], k);
}
