/**
 * AIMET/HAWQ-style greedy (agent/greedy.ts) at full strength: every option of a layer on its ladder (sorted by cost),
 * the sensitivities the knapsack uses (validation cross-entropy with only that layer lowered, no fine-tune: the same
 * measurements, shared through the run's cache, so greedy and knapsack differ only in how they choose), then lower
 * the least sensitive layer per unit of cost saved until the budget holds, then the fill pass. Cross-entropy without
 * fine-tune rather than the run's fine-tuned accuracy: the greedy walks many rungs per layer, and a fine-tune per rung
 * would cost an episode each. Where the walk stops on a dominated rung, the layer takes its least-loss measured option
 * at no more cost. Its k candidates (--rerank-top): the answer and the k-1 best single-layer alternatives that fit, by
 * predicted loss, each filled.
 */
import { greedySearch } from '../../agent/greedy.js';
import { sameSpec } from '../../env/budget.js';
import { CompressionEnv } from '../../env/compression-env.js';
import type { LayerSpec } from '../../learners/types.js';
import { candidateList, distinct } from './candidate-list.js';
import { maybeFill } from './fill-strategy.js';
import { layerLosses, predictedLoss, sensitivities } from './sensitivities.js';
import { Aborted, candidatesOf, type Planner, type PlannerContext } from './types.js';

/** A strategy's cost (one budget), or the largest of its costs as shares of their limits (two budgets). */
function load(env: CompressionEnv, strategy: LayerSpec[]): number {
  if (env.plans.length === 1) return env.cost(strategy);
  const limits = env.limits();
  return Math.max(...env.costs(strategy).map((c, k) => c / limits[k]));
}

export function greedyPlanner(ctx: PlannerContext): Planner {
  const k = candidatesOf(ctx.config);
  return candidateList(ctx, k, () => greedyCandidates(ctx, k));
}

async function greedyCandidates(ctx: PlannerContext, k: number): Promise<LayerSpec[][]> {
  const { env, emit } = ctx;
  const ladder = env.plan.candidates.map(({ specs }) => specs.slice().reverse());
  const losses = new Map<string, number>();
  const key = (l: number, j: number) => `${l}:${j}`;
  const measure = async (pairs: Array<[number, number]>) => {
    const todo = pairs.filter(([l, j]) => !losses.has(key(l, j)));
    if (!todo.length) return;
    const r = await layerLosses(ctx, todo.map(([l, j]) => [l, ladder[l][j]]));
    todo.forEach(([l, j], n) => losses.set(key(l, j), r[n]));
  };
  emit({ type: 'log', level: 'info', message: `greedy: lowering layers one rung at a time over the full ladder (up to ${Math.max(...ladder.map((l) => l.length))} rungs a layer), each rung measured without fine-tune` });
  await measure(ladder.map((_, l) => [l, 0]));
  const result = await greedySearch({
    candidates: ladder.map((l) => l.map((_, j) => [j])),
    prefetch: (pairs) => measure(withLookahead(pairs, ladder, (l, j) => losses.has(key(l, j)), ctx.slots ?? 1)),
    sensitivity: async (l, j) => {
      if (ctx.signal?.aborted) throw new Aborted();
      await measure([[l, j]]);
      return losses.get(key(l, j))! - losses.get(key(l, 0))!;
    },
    // one budget: its cost; two: the fuller one's share of its limit, so the walk stops when both hold
    cost: (assignment) => load(env, assignment.map((j, l) => ladder[l][j])),
    budget: env.plans.length === 1 ? env.plan.limit : 1,
  });
  emit({ type: 'log', level: 'info', message: `greedy: ${result.steps.length} steps down, ${result.evaluations} layer settings measured without fine-tune, predicted loss increase ${result.predictedDrop.toFixed(4)}` });
  const s = await sensitivities(ctx);
  // Walking every rung in cost order, the greedy stops wherever the budget first holds, which may be a dominated rung
  // (8 bits at 90% pruned where 1 bit unpruned costs less and loses less). Each layer takes its least-loss measured
  // option at no more than its rung's cost (the greedy's rungs and the sensitivities' options): cost and loss only
  // fall. Then the fill pass spends what is left.
  const repaired = result.assignment.map((j, l) => {
    let best = { spec: ladder[l][j], cost: s.units(l, ladder[l][j]), loss: losses.get(key(l, j))! };
    const consider = (spec: LayerSpec, loss: number) => {
      const cost = s.units(l, spec);
      if (cost <= best.cost && (loss < best.loss || (loss === best.loss && cost > best.cost))) best = { spec, cost, loss };
    };
    ladder[l].forEach((spec, i) => losses.has(key(l, i)) && consider(spec, losses.get(key(l, i))!));
    s.layers[l].specs.forEach((spec, i) => consider(spec, s.layers[l].losses[i]));
    return best.spec;
  });
  // the repair compares the first budget's costs: with two, it may have raised the other one; then the walk's answer
  const answer = await maybeFill(ctx, env.fits(repaired) ? repaired : result.assignment.map((j, l) => ladder[l][j]));
  // the k-1 best single-layer alternatives that fit, by predicted loss
  const base = answer.reduce((sum, spec, i) => sum + predictedLoss(s, i, spec), 0);
  emit({ type: 'log', level: 'info', message: `greedy: predicted loss increase ${base.toFixed(4)} after dominated rungs are replaced and the fill pass` });
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

/**
 * The rungs a greedy round needs, padded to fill every evaluation slot with rungs it will likely need next: after the
 * first round it needs one rung a round (the next of the layer it lowered), which would leave every other worker idle.
 * The padding takes, depth by depth, the next unmeasured rungs of the needed layers, then of the others. A
 * measurement without fine-tune is the same wherever it runs, so the walk and its answer do not depend on the
 * padding; one slot pads nothing (one process measures exactly what it did).
 */
export function withLookahead(pairs: Array<[number, number]>, ladder: ReadonlyArray<{ length: number }>, measured: (l: number, j: number) => boolean, slots: number): Array<[number, number]> {
  const want = pairs.filter(([l, j]) => !measured(l, j));
  if (slots <= 1 || want.length === 0) return want;
  const size = Math.ceil(want.length / slots) * slots;
  const taken = new Set(want.map(([l, j]) => `${l}:${j}`));
  const first = [...new Set(want.map(([l]) => l))];
  const order = [...first, ...ladder.map((_, l) => l).filter((l) => !first.includes(l))];
  const next = order.map((l) => ({ l, j: 0 }));
  const out = want.slice();
  while (out.length < size && next.some((n) => n.j < ladder[n.l].length)) {
    for (const n of next) {
      // the layer's next rung not measured nor taken yet
      while (n.j < ladder[n.l].length && (measured(n.l, n.j) || taken.has(`${n.l}:${n.j}`))) n.j++;
      if (n.j >= ladder[n.l].length || out.length >= size) continue;
      taken.add(`${n.l}:${n.j}`);
      out.push([n.l, n.j]);
    }
  }
  return out;
}
