/**
 * The fill pass where a layer's cost depends on its neighbours (the channels knob: a layer's kept channels are its
 * consumer's input channels), so costs cannot be summed layer by layer as agent/fill.ts does. While some layer can
 * take one rung up its ladder and the whole strategy still fits, take the rung that saves the most predicted loss per
 * unit of extra cost (the whole strategy's cost after the raise less before it); stop when no raise fits.
 *
 * Unlike agent/fill.ts a raise need not lower the predicted loss: one more rung of kept channels never removes
 * anything, and measured losses near zero are flat within their noise, so a budget would otherwise stay unspent. A
 * raise saving nothing scores 0 and comes after every raise that saves something; ties go to the lower layer index; a
 * raise of no extra cost scores +Infinity. Numbers only: the caller gives the predicted losses of each layer's rungs,
 * the whole strategy's cost and the walls (every budget).
 */

export interface CoupledFillArgs {
  /** Per layer, the predicted loss of each rung of its ladder, cheapest rung first. */
  losses: number[][];
  /** The rung index per layer to start from. */
  choice: number[];
  /** The whole strategy's cost (one unit for every layer). */
  cost: (choice: number[]) => number;
  /** Whether a whole strategy holds every budget. */
  fits: (choice: number[]) => boolean;
  /** Layers never raised. */
  frozen?: boolean[];
}

export interface CoupledFillResult {
  choice: number[];
  /** The raises taken, in order: [layer, from, to]. */
  raises: Array<[number, number, number]>;
}

export function coupledFill(args: CoupledFillArgs): CoupledFillResult {
  const { losses, cost, fits, frozen } = args;
  const out = args.choice.slice();
  const raises: Array<[number, number, number]> = [];
  for (;;) {
    const base = cost(out);
    let best = { l: -1, score: -Infinity };
    for (let l = 0; l < out.length; l++) {
      if (frozen?.[l] || out[l] + 1 >= losses[l].length) continue;
      const raised = out.slice();
      raised[l] += 1;
      if (!fits(raised)) continue;
      const extra = cost(raised) - base;
      const saved = Math.max(0, losses[l][out[l]] - losses[l][out[l] + 1]);
      const score = extra > 0 ? saved / extra : Infinity;
      if (score > best.score) best = { l, score };
    }
    if (best.l < 0) return { choice: out, raises };
    raises.push([best.l, out[best.l], out[best.l] + 1]);
    out[best.l] += 1;
  }
}
