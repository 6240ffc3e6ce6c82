/**
 * The fill pass for the channels knob (agent/coupled-fill.ts over the run's sensitivities): a layer's kept channels
 * change its consumer's cost, so the whole strategy is costed after each raise instead of summing layer costs. The
 * walls hold every undecided layer at its fewest channels, so a walk ends below the budget (a combined run once used
 * 75% of its size budget); this pass raises preserve ratios one rung at a time where the strategy still fits, the
 * best measured loss saved per unit of cost first. The losses are the channel sensitivities the greedy walks
 * (run/planners/sensitivities.ts: one layer cut, no fine-tune), read off the layer's measured frontier where a rung
 * was not measured itself.
 */
import { coupledFill } from '../../agent/coupled-fill.js';
import { sameSpec } from '../../env/budget.js';
import { withoutPreserve } from '../../env/knobs.js';
import type { LayerSpec } from '../../learners/types.js';
import { predictedLoss, type Sensitivities } from './sensitivities.js';
import type { PlannerContext } from './types.js';

/** Whether the run's channel strategies go through the channel fill pass. */
export function fillsChannels(ctx: PlannerContext): boolean {
  return ctx.env.channels !== null && ctx.config.fill && ctx.config.channelFill;
}

/**
 * `strategy` after the channel fill pass (layers marked in `frozen` stay), and how many rungs it raised. A layer
 * whose setting is not on its ladder (a pin) stays as it is.
 */
export function channelFill(
  s: Sensitivities,
  ctx: PlannerContext,
  strategy: LayerSpec[],
  frozen?: boolean[],
  /** Per layer, the settings a raise climbs, cheapest first (default: every candidate of the layer, in cost order). */
  ladders: LayerSpec[][] = ctx.env.plan.candidates.map((c) => c.specs),
): { strategy: LayerSpec[]; raises: number } {
  const { env } = ctx;
  const at = strategy.map((spec, i) => ladders[i].findIndex((x) => sameSpec(x, spec)));
  const toStrategy = (choice: number[]) => choice.map((j, i) => (at[i] < 0 ? strategy[i] : ladders[i][j]));
  const r = coupledFill({
    losses: ladders.map((ladder, i) => ladder.map((spec) => predictedLoss(s, i, spec))),
    choice: at.map((j) => Math.max(0, j)),
    cost: (choice) => env.cost(toStrategy(choice)),
    fits: (choice) => env.fits(toStrategy(choice)),
    frozen: at.map((j, i) => j < 0 || (frozen?.[i] ?? false)),
    // a ladder of preserve ratios alone: every rung up keeps more; mixed with other knobs, only a lower predicted loss
    monotone: ladders.every((ladder) => ladder.every((x) => sameSpec(withoutPreserve(x), withoutPreserve(ladder[ladder.length - 1])))),
  });
  if (r.raises.length === 0) return { strategy, raises: 0 };
  return { strategy: toStrategy(r.choice), raises: r.raises.length };
}
