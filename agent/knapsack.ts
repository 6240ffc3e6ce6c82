/**
 * Multiple-choice knapsack: one option per layer, the least total loss whose total cost fits the budget. This is
 * HAWQ-V3's integer linear program (Yao et al., ICML 2021; docs/search.md, baselines) for a single budget, solved by
 * dynamic programming over a discretised budget instead of an ILP solver. Numbers only: the caller measures each
 * option's cost (bytes, MACs, bit-operations) and loss (a sensitivity, e.g. the validation accuracy lost with only
 * that layer at that option) and passes them in. Costs must add up across layers exactly; losses are assumed to.
 *
 * The budget is never overshot:
 * - Every layer's cheapest option is paid up front: M = the sum of the per-layer minimum costs. If M > budget no
 *   choice fits: BudgetError naming M. Only the slack S = budget - M is discretised, into C cells of size d = S / C;
 *   an option's extra cost e = cost - (its layer's minimum) takes w = ceil(e / d) cells, rounded UP.
 * - The DP only takes choices with sum(w) <= C, so sum(e) <= sum(w) * d <= C * d = S and the total cost <= budget:
 *   every DP-feasible choice is truly feasible. The returned total (summed in layer order) is checked against the
 *   budget once more; were floating-point rounding ever to push it over, the answer is taken one cell tighter.
 * - Exact when every cost is an integer and floor(S) <= `cells`: then d = 1 and nothing is rounded.
 *
 * How far from the exact optimum, and why that is acceptable:
 * - Rounding up adds less than one cell per layer, so every choice whose true cost is at most budget - L * d fits the
 *   DP (L layers). The answer is therefore at least as good as the exact optimum under a budget tightened by
 *   L * d = L / C of the slack: with 15 layers and the default 10,000 cells, 0.15% of the slack (a few bytes when the
 *   slack is a few kB). A final exact pass then moves single layers to better options while the true total still
 *   fits, giving back some of what rounding took.
 * - `lowerBound` makes the gap visible per instance: the same DP with costs rounded DOWN is a relaxation (every truly
 *   feasible choice fits it), so no feasible choice has a total loss below it; the exact optimum lies in
 *   [lowerBound, loss].
 * - The losses themselves are measured on a few thousand validation images, with noise of tenths of a point; the
 *   slice of budget lost to rounding buys far less than that, and erring on the cheap side of a hard wall is the
 *   right side to err on.
 *
 * Ties, deterministic: among choices of equal total loss the one of larger total cost wins (higher fidelity: the
 * budget is used, not left on the table); among those, the smallest option index at the first layer, then at the
 * second, and so on (the lexicographically smallest index vector). Totals are compared exactly as floating-point
 * sums, so "equal" means bit-equal (use losses such as measured accuracy drops, not values meant to tie up to
 * rounding). The improvement pass takes the best single move by the same order (lower loss, then higher cost, then
 * lower layer, then lower index).
 *
 * When costs are rounded, the tie rule decides among the choices the rounded problem sees as best.
 *
 * Complexity: O(L x K x C) time and O(L x C) memory for the choice table (K options per layer, C cells), plus the
 * same time again for the lower bound. Measured here at 10,000 cells: 5 layers x 152 options 0.13 s, 50 x 200 1 s.
 */
import { BudgetError, ConfigError } from '../errors.js';

/** One setting of one layer: what it costs (in the budget's unit) and what it loses. */
export interface KnapsackOption {
  cost: number;
  loss: number;
}

export interface KnapsackOptions {
  /** Cells the slack (budget minus the cheapest choice) is cut into; more cells, smaller gap to the optimum. */
  cells?: number;
}

export interface KnapsackResult {
  /** The chosen option index per layer. */
  choice: number[];
  /** Total cost of the choice, summed in layer order; always <= budget. */
  cost: number;
  /** Total loss of the choice, summed in layer order. */
  loss: number;
  /** No choice within the budget has a total loss below this (equals `loss` when `exact`). */
  lowerBound: number;
  /** Cells the DP ran with, and the size of one cell in the budget's unit. */
  cells: number;
  cellSize: number;
  /** True when nothing was rounded (integer costs, slack of at most `cells`): `choice` is the exact optimum. */
  exact: boolean;
}

export const DEFAULT_KNAPSACK_CELLS = 10_000;

/** The least-loss option per layer whose total cost is at most `budget` (see the head comment for the guarantees). */
export function solveKnapsack(layers: KnapsackOption[][], budget: number, { cells = DEFAULT_KNAPSACK_CELLS }: KnapsackOptions = {}): KnapsackResult {
  validate(layers, budget, cells);
  const L = layers.length;
  const minCost = layers.map((opts) => Math.min(...opts.map((o) => o.cost)));
  const cheapest = sum(minCost);
  if (cheapest > budget) {
    throw new BudgetError(`budget ${budget} is below the cheapest choice, ${cheapest} (every layer at its cheapest option); raise the budget to at least ${cheapest}`);
  }
  const slack = budget - cheapest;
  const integral = layers.every((opts) => opts.every((o) => Number.isInteger(o.cost)));
  const exact = slack === 0 || (integral && Math.floor(slack) <= cells);
  const C = exact ? Math.floor(slack) : cells;
  const d = exact ? 1 : slack / cells;
  const extra = layers.map((opts, l) => opts.map((o) => (o.cost - minCost[l]) / d));
  const up = extra.map((xs) => xs.map((x) => Math.ceil(x)));
  const down = exact ? up : extra.map((xs) => xs.map((x) => Math.floor(x)));

  const { table } = dp(layers, up, C, true);
  // (summed from the last layer; min() with the answer's own sum below absorbs the last-bit difference of order)
  const lowerBound = exact ? null : dp(layers, down, C, false).best;

  // Reconstruct from the first layer; should the float sum overshoot (rounding only), start one cell tighter.
  let choice: number[] = [];
  for (let cap = C; cap >= 0; cap--) {
    choice = new Array<number>(L);
    let c = cap;
    for (let l = 0; l < L; l++) {
      choice[l] = table[l * (C + 1) + c];
      c -= up[l][choice[l]];
    }
    if (totalCost(layers, choice) <= budget) break;
  }
  improve(layers, choice, budget);
  const loss = totalLoss(layers, choice);
  return { choice, cost: totalCost(layers, choice), loss, lowerBound: Math.min(lowerBound ?? loss, loss), cells: C, cellSize: d, exact };
}

/**
 * Suffix DP: after processing layer l, best[c] is the best (loss, cost) of layers l..L-1 within c cells. Compared by
 * lower loss, then higher cost; the first (lowest) option index wins exact ties. `table[l * (C + 1) + c]` is layer
 * l's option in that best.
 */
function dp(layers: KnapsackOption[][], w: number[][], C: number, keepTable: boolean): { table: Int32Array; best: number } {
  const L = layers.length;
  const table = new Int32Array(keepTable ? L * (C + 1) : 0);
  let nextLoss = new Float64Array(C + 1);
  let nextCost = new Float64Array(C + 1);
  let curLoss = new Float64Array(C + 1);
  let curCost = new Float64Array(C + 1);
  for (let l = L - 1; l >= 0; l--) {
    const opts = layers[l];
    for (let c = 0; c <= C; c++) {
      let bestJ = -1;
      let bestLoss = Infinity;
      let bestCost = -Infinity;
      for (let j = 0; j < opts.length; j++) {
        const wj = w[l][j];
        if (wj > c) continue;
        const lo = opts[j].loss + nextLoss[c - wj];
        const co = opts[j].cost + nextCost[c - wj];
        if (lo < bestLoss || (lo === bestLoss && co > bestCost)) {
          // better(), inlined: this is the O(L x K x C) loop
          bestJ = j;
          bestLoss = lo;
          bestCost = co;
        }
      }
      // every layer's cheapest option takes 0 cells, so bestJ >= 0
      curLoss[c] = bestLoss;
      curCost[c] = bestCost;
      if (keepTable) table[l * (C + 1) + c] = bestJ;
    }
    [nextLoss, curLoss] = [curLoss, nextLoss];
    [nextCost, curCost] = [curCost, nextCost];
  }
  return { table, best: nextLoss[C] };
}

/** Lower loss first, then higher cost: the order every comparison of totals uses. */
function better(a: { loss: number; cost: number }, b: { loss: number; cost: number }): boolean {
  return a.loss < b.loss || (a.loss === b.loss && a.cost > b.cost);
}

/** Exact local search: while some single layer can move to an option that is better and still fits, take the best move. */
function improve(layers: KnapsackOption[][], choice: number[], budget: number): void {
  for (;;) {
    let best = { l: -1, j: -1, loss: totalLoss(layers, choice), cost: totalCost(layers, choice) };
    for (let l = 0; l < layers.length; l++) {
      const keep = choice[l];
      for (let j = 0; j < layers[l].length; j++) {
        if (j === keep) continue;
        choice[l] = j;
        const moved = { l, j, loss: totalLoss(layers, choice), cost: totalCost(layers, choice) };
        choice[l] = keep;
        if (moved.cost <= budget && better(moved, best)) best = moved;
      }
    }
    if (best.l < 0) return;
    choice[best.l] = best.j;
  }
}

function sum(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

function totalCost(layers: KnapsackOption[][], choice: number[]): number {
  return sum(choice.map((j, l) => layers[l][j].cost));
}

function totalLoss(layers: KnapsackOption[][], choice: number[]): number {
  return sum(choice.map((j, l) => layers[l][j].loss));
}

function validate(layers: KnapsackOption[][], budget: number, cells: number): void {
  if (!Array.isArray(layers) || layers.length === 0) throw new ConfigError('solveKnapsack needs at least one layer');
  layers.forEach((opts, l) => {
    if (!Array.isArray(opts) || opts.length === 0) throw new ConfigError(`solveKnapsack: layer ${l} has no options`);
    opts.forEach((o, j) => {
      if (!Number.isFinite(o.cost) || !Number.isFinite(o.loss)) {
        throw new ConfigError(`solveKnapsack: layer ${l} option ${j} has cost ${o.cost} and loss ${o.loss}; both must be finite numbers`);
      }
    });
  });
  if (!Number.isFinite(budget)) throw new ConfigError(`solveKnapsack: budget must be a finite number, got ${budget}`);
  if (!Number.isInteger(cells) || cells < 1 || cells > 10_000_000) {
    throw new ConfigError(`solveKnapsack: cells must be an integer from 1 to 10000000, got ${cells}`);
  }
}
