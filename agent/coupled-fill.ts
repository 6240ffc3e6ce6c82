/**
 * The fill pass where a layer's cost depends on its neighbours (the channels knob: a layer's kept channels are its
 * consumer's input channels), so costs cannot be summed layer by layer as agent/fill.ts does. While some layer can
 * take one rung up its ladder and the whole strategy still fits, take the rung that saves the most predicted loss per
 * unit of extra cost (the whole strategy's cost after the raise less before it); stop when no raise fits.
 *
 * With `monotone` (a ladder of preserve ratios alone) a raise is the next rung and need not lower the predicted loss:
 * one more rung of kept channels never removes anything, and measured losses near zero are flat within their noise, so
 * a budget would otherwise stay unspent. A raise saving nothing scores 0 and comes after every raise that saves
 * something. Without it (a ladder mixing knobs in cost order) a raise goes to the next costlier rung whose predicted
 * loss is lower, as in agent/fill.ts. Ties go to the lower layer index; a raise of no extra cost scores +Infinity. Numbers only: the caller gives the predicted losses of each layer's rungs,
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
  /** Every rung up is at least as good as the one below (preserve ratios alone): raise to the next rung whatever its
   * measured loss. Default false: raise only to a rung of lower predicted loss. */
  monotone?: boolean;
}

export interface CoupledFillResult {
  choice: number[];
  /** The raises taken, in order: [layer, from, to]. */
  raises: Array<[number, number, number]>;
}

export function coupledFill(args: CoupledFillArgs): CoupledFillResult {
  const { losses, cost, fits, frozen, monotone } = args;
  // the rung a raise of layer l at rung i goes to, or -1
  const next = (l: number, i: number) => {
    if (monotone) return i + 1 < losses[l].length ? i + 1 : -1;
    for (let j = i + 1; j < losses[l].length; j++) if (losses[l][j] < losses[l][i]) return j;
    return -1;
  };
  const out = args.choice.slice();
  const raises: Array<[number, number, number]> = [];
  for (;;) {
    const base = cost(out);
    let best = { l: -1, j: -1, score: -Infinity };
    for (let l = 0; l < out.length; l++) {
      const j = frozen?.[l] ? -1 : next(l, out[l]);
      if (j < 0) continue;
      const raised = out.slice();
      raised[l] = j;
      if (!fits(raised)) continue;
      const extra = cost(raised) - base;
      const saved = Math.max(0, losses[l][out[l]] - losses[l][j]);
      const score = extra > 0 ? saved / extra : Infinity;
      if (score > best.score) best = { l, j, score };
    }
    if (best.l < 0) return { choice: out, raises };
    raises.push([best.l, out[best.l], best.j]);
    out[best.l] = best.j;
  }
}
