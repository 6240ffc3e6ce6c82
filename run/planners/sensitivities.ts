/**
 * The run's per-layer sensitivities, measured once: for each layer and each option measured, the validation loss with
 * only that layer compressed (no fine-tune, as HAWQ's Hessian estimate approximates the damage a setting does) minus
 * the uncompressed model's loss. Cross-entropy rather than accuracy: it moves with every confidence, so small
 * differences between settings are not lost to the 1/N steps of an accuracy. The knapsack plans with them, the fill
 * pass and the local search predict with them, the greedy baseline walks them.
 *
 * Which options: per layer the frontier of cost against loss (agent/frontier.ts: a coarse grid, then bisection
 * towards the Pareto frontier), at most MEASURED_PER_LAYER per layer, so the count stays a fast answer (lenet5, bits
 * 1..8 x 19 prune ratios: at most 5 x 40 + 1 = 201 of its 761 possible measurements). Each round is one batch, so
 * workers share it. Measurements without fine-tune are cached with the run's checkpoint, so a resumed run does not
 * measure again.
 *
 * Costs are integers: bits for a size budget (a layer's packed size is a whole number of bits), whole MACs or
 * bit-operations (rounded up) for the others, microseconds (rounded up) for latency, so the knapsack runs on exact
 * cells.
 */
import { coarseOptions, type GridOption, paretoFrontier, refineOptions } from '../../agent/frontier.js';
import { sameSpec } from '../../env/budget.js';
import type { CompressionEnv } from '../../env/compression-env.js';
import type { LayerSpec } from '../../learners/types.js';
import { Aborted, type PlannerContext } from './types.js';

/** The most options measured per layer. */
export const MEASURED_PER_LAYER = 40;
/** Measurements per layer kept for refinement after the coarse grid. */
const REFINE_AT_LEAST = 16;

/** One layer's measured options, sorted by cost (cheapest first). */
export interface LayerOptions {
  specs: LayerSpec[];
  /** Integer cost units (see `Sensitivities.units`). */
  costs: number[];
  /** Predicted loss: validation loss with only this layer at the option, minus the uncompressed loss (at least 0). */
  losses: number[];
}

export interface Sensitivities {
  layers: LayerOptions[];
  /** The integer cost of layer `i` at `spec`: bits for size budgets, rounded-up MACs, bit-operations or microseconds otherwise. */
  units: (i: number, spec: LayerSpec) => number;
  /** Integer cost units the searched layers may take together (the budget less the fixed cost, rounded down). */
  budget: number;
  /** Layer settings measured (the uncompressed reference not counted). */
  measurements: number;
}

const memo = new WeakMap<PlannerContext, Promise<Sensitivities>>();

/** The run's sensitivities, measured on first use (one context, one measurement). */
export function sensitivities(ctx: PlannerContext): Promise<Sensitivities> {
  let p = memo.get(ctx);
  if (!p) {
    p = measure(ctx);
    memo.set(ctx, p);
  }
  return p;
}

/** Every layer at fp32: the reference the sensitivities are measured against. */
export function fp32Strategy(env: CompressionEnv): LayerSpec[] {
  return env.layers.map(() => ({ ...env.config.space.base, bits: 32, pruneRatio: 0, clusters: 0 }));
}

/** Losses (minus the fp32 reference) of `pairs`, each with only that layer at that setting, without fine-tune. */
export async function layerLosses(ctx: PlannerContext, pairs: Array<[number, LayerSpec]>): Promise<number[]> {
  const top = fp32Strategy(ctx.env);
  const results = await ctx.evaluate([top, ...pairs.map(([l, spec]) => top.map((s, i) => (i === l ? spec : s)))], { steps: 0 });
  if (ctx.signal?.aborted) throw new Aborted();
  return results.slice(1).map((r) => Math.max(0, r.loss - results[0].loss));
}

function unitsOf(env: CompressionEnv): { units: (i: number, spec: LayerSpec) => number; budget: number } {
  // latency in whole microseconds: whole milliseconds would round every layer of a small model to one unit
  const scale = env.plan.costKind === 'size' ? 8 : env.plan.costKind === 'latency' ? 1000 : 1;
  const units = scale === 8 ? (i: number, s: LayerSpec) => Math.round(env.layerCost(i, s) * 8) : (i: number, s: LayerSpec) => Math.ceil(env.layerCost(i, s) * scale - 1e-9);
  return { units, budget: Math.floor((env.plan.limit - env.plan.fixed) * scale) };
}

/** Each option's index per knob (bits, prune, clusters, activation bits, channels) among the layer's own values. */
function grid(env: CompressionEnv, i: number, units: (i: number, s: LayerSpec) => number): GridOption[] {
  const specs = env.plan.candidates[i].specs;
  const axes = [(s: LayerSpec) => s.bits, (s: LayerSpec) => s.pruneRatio, (s: LayerSpec) => s.clusters, (s: LayerSpec) => s.activationBits ?? 0, (s: LayerSpec) => s.preserveRatio ?? 1];
  const values = axes.map((f) => [...new Set(specs.map(f))].sort((a, b) => a - b));
  return specs.map((s) => ({ coords: axes.map((f, a) => values[a].indexOf(f(s))), cost: units(i, s) }));
}

/** The most settings `sensitivities` measures on `env` (its cap on each searched layer): what `--time` plans for. */
export function measurementsAtMost(env: CompressionEnv): number {
  return env.plan.candidates.reduce((n, c) => n + (c.specs.length > 1 ? Math.min(MEASURED_PER_LAYER, c.specs.length) : 0), 0);
}

async function measure(ctx: PlannerContext): Promise<Sensitivities> {
  const { env, emit } = ctx;
  const { units, budget } = unitsOf(env);
  const grids = env.layers.map((_, i) => grid(env, i, units));
  const measured = grids.map(() => new Map<number, number>());
  const searched = (i: number) => env.plan.candidates[i].specs.length > 1;
  let round = grids.map((g, i) => (searched(i) ? coarseOptions(g, MEASURED_PER_LAYER - REFINE_AT_LEAST) : []));
  let total = 0;
  emit({ type: 'log', level: 'info', message: `sensitivities: measuring each layer's settings without fine-tune, at most ${MEASURED_PER_LAYER} a layer` });
  while (round.some((r) => r.length > 0)) {
    const pairs = round.flatMap((idx, i) => idx.map((j) => [i, env.plan.candidates[i].specs[j]] as [number, LayerSpec]));
    const losses = await layerLosses(ctx, pairs);
    let k = 0;
    round.forEach((idx, i) => idx.forEach((j) => measured[i].set(j, losses[k++])));
    total += pairs.length;
    round = grids.map((g, i) => (searched(i) ? refineOptions(g, measured[i], MEASURED_PER_LAYER - measured[i].size) : []));
  }
  emit({ type: 'log', level: 'info', message: `sensitivities: measured ${total} layer settings without fine-tune (per layer the frontier of cost against loss, at most ${MEASURED_PER_LAYER})` });
  const layers = env.layers.map((_, i): LayerOptions => {
    const specs = env.plan.candidates[i].specs;
    if (!searched(i)) return { specs: [specs[0]], costs: [units(i, specs[0])], losses: [0] };
    const idx = [...measured[i].keys()].sort((a, b) => grids[i][a].cost - grids[i][b].cost || measured[i].get(a)! - measured[i].get(b)! || a - b);
    return { specs: idx.map((j) => specs[j]), costs: idx.map((j) => grids[i][j].cost), losses: idx.map((j) => measured[i].get(j)!) };
  });
  return { layers, units, budget, measurements: total };
}

/** The predicted loss of layer `i` at `spec`: measured, or read off the layer's measured frontier at its cost. */
export function predictedLoss(s: Sensitivities, i: number, spec: LayerSpec): number {
  const o = s.layers[i];
  const at = o.specs.findIndex((x) => sameSpec(x, spec));
  if (at >= 0) return o.losses[at];
  const cost = s.units(i, spec);
  const f = paretoFrontier(o.costs.map((c, j) => ({ cost: c, loss: o.losses[j] })));
  if (cost <= o.costs[f[0]]) return o.losses[f[0]];
  for (let n = 1; n < f.length; n++) {
    const [a, b] = [f[n - 1], f[n]];
    if (cost <= o.costs[b]) return o.losses[a] + ((cost - o.costs[a]) / (o.costs[b] - o.costs[a])) * (o.losses[b] - o.losses[a]);
  }
  return o.losses[f[f.length - 1]];
}
