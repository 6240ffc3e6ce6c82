/**
 * The uniform baseline: one setting for every searched layer (pinned layers keep their pin). Its k candidates
 * (--rerank-top) are the k costliest identical settings that fit, costliest first; no fill pass (it would make the
 * strategy mixed). Costing alone: nothing is measured before the episodes.
 */
import type { CompressionEnv } from '../../env/compression-env.js';
import { specToAction } from '../../env/knobs.js';
import type { LayerSpec } from '../../learners/types.js';
import { candidateList, distinct } from './candidate-list.js';
import { candidatesOf, type Planner, type PlannerContext } from './types.js';

export function uniformPlanner(ctx: PlannerContext): Planner {
  const k = candidatesOf(ctx.config);
  return candidateList(ctx, k, async () => uniformStrategies(ctx.env, k));
}

/** The `k` costliest uniform strategies that fit, costliest first (equal cost: more bits first). */
export function uniformStrategies(env: CompressionEnv, k: number): LayerSpec[][] {
  const plan = env.plan;
  const grid = plan.candidates.find((c) => c.specs.length > 1)?.specs ?? plan.candidates[0].specs;
  const all = grid.map((spec, g) => {
    const strategy = env.layers.map((_, i) => (plan.candidates[i].specs.length === 1 ? plan.candidates[i].specs[0] : spec));
    return { spec, strategy, cost: env.cost(strategy), fits: env.fits(strategy), g };
  });
  const fitting = all.filter((x) => x.fits).sort((a, b) => b.cost - a.cost || b.spec.bits - a.spec.bits || a.g - b.g);
  // nothing fits (a pinned layer over the budget): the cheapest, which the final pass will report over the budget
  const ranked = fitting.length ? fitting : all.sort((a, b) => a.cost - b.cost).slice(0, 1);
  return distinct(ranked.map((x) => x.strategy), k);
}

/** The uniform agent's one setting as an action: the costliest identical setting that fits. */
export function uniformAction(env: CompressionEnv): number[] {
  const [best] = uniformStrategies(env, 1);
  const searched = env.plan.candidates.findIndex((c) => c.specs.length > 1);
  return specToAction(best[Math.max(0, searched)], env.config.space);
}
