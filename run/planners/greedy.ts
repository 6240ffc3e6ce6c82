/**
 * AIMET/HAWQ-style greedy (agent/greedy.ts) at full strength, on the sensitivities the knapsack uses (validation
 * cross-entropy with only that layer changed, no fine-tune: the same measurements, so greedy and knapsack differ only
 * in how they choose). Each layer's ladder is the lower convex hull of its measured options (cost against loss,
 * agent/greedy.ts `hullLadder`, ending at the cheapest setting the walls allow); from every layer at its least-loss
 * rung, lower the layer that loses the least predicted loss per unit of cost saved, one rung at a time, until the
 * budget holds, then the fill pass (which may take any measured option, on the hull or not). Its k candidates (--rerank-top): the answer and the k-1 best
 * single-layer alternatives that fit, by predicted loss, each filled.
 *
 * Why the hull and not every option in cost order: on every option sorted by cost the loss is far from monotone
 * (8 bits at 90% pruned costs about what 1 bit unpruned does and loses far more), and the walk stopped wherever the
 * budget first held: on mobilenet-tiny at 1.5 bits a predicted loss increase of 7.20 (61% test) where the knapsack's
 * answer predicts 0.24. On the hull each step is the layer's best ratio, the classic greedy for the multiple-choice
 * knapsack (Sinha and Zoltners).
 */
import { greedySearch, hullLadder } from '../../agent/greedy.js';
import { sameSpec } from '../../env/budget.js';
import { CompressionEnv } from '../../env/compression-env.js';
import type { LayerSpec } from '../../learners/types.js';
import { candidateList, distinct } from './candidate-list.js';
import { maybeFill } from './fill-strategy.js';
import { fp32Strategy, layerLosses, predictedLoss, type Sensitivities, sensitivities } from './sensitivities.js';
import { candidatesOf, type Planner, type PlannerContext } from './types.js';

/** A strategy's cost (one budget), or the largest of its costs as shares of their limits (two budgets). */
function load(env: CompressionEnv, strategy: LayerSpec[]): number {
  if (env.plans.length === 1) return env.cost(strategy);
  const limits = env.limits();
  return Math.max(...env.costs(strategy).map((c, k) => c / limits[k]));
}

/**
 * Each layer's options for its ladder: the measured ones, plus the cheapest setting the walls assume of an undecided
 * layer (env.cheapestStrategy(), measured here when the sensitivities did not), so the walk can always reach the
 * cheapest strategy the budgets allow. Their costs: integer units with one budget and no channels; otherwise the
 * whole model's cost with every other layer at fp32, summed over the budgets as shares of their limits (a layer's
 * channels change its neighbour's cost, and a size frontier alone misses the options that only lower latency).
 */
async function ladderOptions(ctx: PlannerContext, s: Sensitivities): Promise<Array<{ specs: LayerSpec[]; costs: number[]; losses: number[]; last: number }>> {
  const { env } = ctx;
  const cheapest = env.cheapestStrategy();
  const missing = cheapest.map((spec, l): [number, LayerSpec] => [l, spec]).filter(([l, spec]) => !s.layers[l].specs.some((x) => sameSpec(x, spec)));
  const extra = missing.length ? await layerLosses(ctx, missing) : [];
  const top = fp32Strategy(env);
  const limits = env.limits();
  const whole = env.plans.length > 1 || env.channels !== null;
  return s.layers.map((o, l) => {
    const n = missing.findIndex(([i]) => i === l);
    const specs = n < 0 ? o.specs : [...o.specs, missing[n][1]];
    const losses = n < 0 ? o.losses : [...o.losses, extra[n]];
    const costs = whole ? specs.map((spec) => env.costs(top.map((x, i) => (i === l ? spec : x))).reduce((sum, c, k) => sum + c / limits[k], 0)) : specs.map((spec) => s.units(l, spec));
    return { specs, costs, losses, last: specs.findIndex((x) => sameSpec(x, cheapest[l])) };
  });
}

export function greedyPlanner(ctx: PlannerContext): Planner {
  const k = candidatesOf(ctx.config);
  return candidateList(ctx, k, () => greedyCandidates(ctx, k));
}

async function greedyCandidates(ctx: PlannerContext, k: number): Promise<LayerSpec[][]> {
  const { env, emit } = ctx;
  const s = await sensitivities(ctx);
  // per layer its hull, least loss (costliest) first: rung j's sensitivity is its loss above rung 0's
  const ladder = (await ladderOptions(ctx, s)).map((o) => hullLadder(o.costs, o.losses, o.last).map((j) => ({ spec: o.specs[j], loss: o.losses[j] })));
  const result = await greedySearch({
    candidates: ladder.map((l) => l.map((_, j) => [j])),
    sensitivity: async (l, j) => ladder[l][j].loss - ladder[l][0].loss,
    // one budget: its cost; two: the fuller one's share of its limit, so the walk stops when both hold
    cost: (assignment) => load(env, assignment.map((j, l) => ladder[l][j].spec)),
    budget: env.plans.length === 1 ? env.plan.limit : 1,
  });
  const answer = await maybeFill(ctx, result.assignment.map((j, l) => ladder[l][j].spec));
  const base = answer.reduce((sum, spec, i) => sum + predictedLoss(s, i, spec), 0);
  emit({ type: 'log', level: 'info', message: `greedy: ${result.steps.length} steps down the layers' hulls (${ladder.reduce((n, l) => n + l.length, 0)} rungs of ${s.measurements} measured settings), predicted loss increase ${base.toFixed(4)} after the fill pass` });
  // the k-1 best single-layer alternatives that fit, by predicted loss
  const alternatives: Array<{ strategy: LayerSpec[]; loss: number }> = [];
  answer.forEach((spec, i) => {
    s.layers[i].specs.forEach((o, j) => {
      if (sameSpec(o, spec)) return;
      const strategy = answer.map((x, l) => (l === i ? o : x));
      if (!env.fits(strategy)) return;
      alternatives.push({ strategy, loss: base - predictedLoss(s, i, spec) + s.layers[i].losses[j] });
    });
  });
  alternatives.sort((a, b) => a.loss - b.loss || CompressionEnv.strategyKey(a.strategy).localeCompare(CompressionEnv.strategyKey(b.strategy)));
  const filled = [answer];
  for (const a of alternatives.slice(0, 3 * k)) filled.push(await maybeFill(ctx, a.strategy));
  return distinct(filled, k);
}
