/**
 * The fill pass on a strategy (agent/fill.ts over the run's sensitivities): after the walls, while some layer can
 * take one step up to a measured option with a lower predicted loss within what the budget leaves, take the step
 * with the best predicted loss saved per unit of cost. A layer whose setting was not measured enters with the loss
 * read off its measured frontier at its cost. The channels knob has its own pass (run/planners/channel-fill.ts: costs
 * are not separable by layer); off for runs stored before the pass existed (`fill: false`, `channelFill: false`).
 */
import { fill, type FillOption } from '../../agent/fill.js';
import { sameSpec } from '../../env/budget.js';
import type { LayerSpec } from '../../learners/types.js';
import { channelFill, fillsChannels } from './channel-fill.js';
import { predictedLoss, sensitivities, type Sensitivities } from './sensitivities.js';
import type { PlannerContext } from './types.js';

/** Whether the run's strategies go through the fill pass. */
export function fills(ctx: PlannerContext): boolean {
  return ctx.config.fill && ctx.env.channels === null;
}

/** `strategy` after the fill pass (layers marked in `frozen` stay as they are), and how many steps up it took. */
export function fillStrategy(s: Sensitivities, ctx: PlannerContext, strategy: LayerSpec[], frozen?: boolean[]): { strategy: LayerSpec[]; raises: number } {
  const options: FillOption[][] = [];
  const specs: LayerSpec[][] = [];
  const choice: number[] = [];
  let spent = 0;
  strategy.forEach((spec, i) => {
    const o = s.layers[i];
    const list = o.specs.map((x, j) => ({ spec: x, cost: o.costs[j], loss: o.losses[j] }));
    let at = list.findIndex((x) => sameSpec(x.spec, spec));
    if (at < 0) {
      const cost = s.units(i, spec);
      const entry = { spec, cost, loss: predictedLoss(s, i, spec) };
      at = list.findIndex((x) => x.cost > cost);
      if (at < 0) at = list.length;
      list.splice(at, 0, entry);
    }
    options.push(list.map(({ cost, loss }) => ({ cost, loss })));
    specs.push(list.map((x) => x.spec));
    choice.push(at);
    spent += list[at].cost;
  });
  const r = fill(options, choice, s.budget - spent, frozen);
  const out = r.choice.map((j, i) => specs[i][j]);
  // the integer costs are exact for size and rounded up otherwise; the env's own sums (every budget) have the last word
  if (r.raises.length === 0 || !ctx.env.fits(out)) return { strategy, raises: 0 };
  return { strategy: out, raises: r.raises.length };
}

/** The fill pass when the run has it, else the strategy as it is. */
export async function maybeFill(ctx: PlannerContext, strategy: LayerSpec[], frozen?: boolean[]): Promise<LayerSpec[]> {
  if (fillsChannels(ctx)) return channelFill(await sensitivities(ctx), ctx, strategy, frozen).strategy;
  if (!fills(ctx)) return strategy;
  return fillStrategy(await sensitivities(ctx), ctx, strategy, frozen).strategy;
}
