/**
 * The fill pass: spend what the budget walls leave. A walk that clamps a layer early, or a policy that asks for less
 * than it may, ends below the budget; nothing would use the rest. While some layer can take one step up (to the next
 * costlier option whose predicted loss is lower) within what is left, take the step that saves the most predicted
 * loss per unit of cost; stop when no step fits. Numbers only: the caller measures the options (the knapsack's
 * per-layer sensitivities) and maps the choice back to settings.
 *
 * Deterministic: ties in the ratio go to the lower layer index. A step of no extra cost that lowers the loss scores
 * +Infinity (taken first). Greedy by ratio, so not the optimum of the leftover problem (the knapsack is that), but
 * every step lowers the predicted loss and the total never exceeds the budget.
 */
import { ConfigError } from '../errors.js';

/** One option of one layer: its cost (any unit, the same for every layer and the budget) and its predicted loss. */
export interface FillOption {
  cost: number;
  loss: number;
}

export interface FillResult {
  /** The option index per layer after the pass. */
  choice: number[];
  /** The budget still unspent after the pass. */
  remaining: number;
  /** The steps taken, in order: [layer, from, to]. */
  raises: Array<[number, number, number]>;
}

/** The next option above `i` (in cost order) whose predicted loss is lower, or -1. */
export function nextRaise(options: FillOption[], i: number): number {
  for (let j = i + 1; j < options.length; j++) if (options[j].loss < options[i].loss) return j;
  return -1;
}

/**
 * `options[l]`: layer l's options sorted by cost, cheapest first; `choice[l]`: its current index; `remaining`: the
 * budget left by the current choice (budget minus its total cost); `frozen[l]`: layer l is never raised.
 */
export function fill(options: FillOption[][], choice: number[], remaining: number, frozen?: boolean[]): FillResult {
  if (options.length !== choice.length) throw new ConfigError(`fill: ${options.length} layers of options but ${choice.length} choices`);
  options.forEach((opts, l) => {
    if (!(choice[l] >= 0 && choice[l] < opts.length)) throw new ConfigError(`fill: layer ${l} chooses option ${choice[l]} of ${opts.length}`);
    for (let j = 1; j < opts.length; j++) {
      if (opts[j].cost < opts[j - 1].cost) throw new ConfigError(`fill: layer ${l}'s options are not sorted by cost`);
    }
  });
  const out = choice.slice();
  const raises: Array<[number, number, number]> = [];
  let left = remaining;
  for (;;) {
    let best = { l: -1, j: -1, ratio: -Infinity };
    for (let l = 0; l < out.length; l++) {
      if (frozen?.[l]) continue;
      const i = out[l];
      const j = nextRaise(options[l], i);
      if (j < 0) continue;
      const extra = options[l][j].cost - options[l][i].cost;
      if (extra > left) continue;
      const saved = options[l][i].loss - options[l][j].loss;
      const ratio = extra > 0 ? saved / extra : Infinity;
      if (ratio > best.ratio) best = { l, j, ratio };
    }
    if (best.l < 0) break;
    const from = out[best.l];
    left -= options[best.l][best.j].cost - options[best.l][from].cost;
    out[best.l] = best.j;
    raises.push([best.l, from, best.j]);
  }
  return { choice: out, remaining: left, raises };
}
