/**
 * The k best solutions of the multiple-choice knapsack (one option per layer, total cost within the budget, least
 * total loss), exactly, for INTEGER costs: the same suffix dynamic programme as agent/knapsack.ts, but every cell keeps
 * its k best partial solutions instead of one, so the answer and its runners-up come from one pass. The runners-up
 * are what the re-rank gets beside the answer: the model's own next-best strategies, each a whole strategy that fits.
 *
 * Integer costs, one cell per unit of slack (budget minus every layer's cheapest option): nothing is rounded, so the
 * list is exact over the options given. The caller chooses the unit (bits of a size budget are integers; a coarser
 * unit with costs rounded UP keeps every solution feasible).
 *
 * Order, deterministic: lower total loss first; equal loss, higher total cost (the budget used); then the smaller
 * option index at the first layer, then at the second, and so on. Solutions are distinct choice vectors.
 *
 * Complexity: O(L x K x C x k) time and O(L x C x k) memory (L layers, K options, C cells of slack).
 */
import { BudgetError, ConfigError } from '../errors.js';
import type { KnapsackOption } from './knapsack.js';

export interface KnapsackSolution {
  choice: number[];
  cost: number;
  loss: number;
}

/** Cells the DP may use; above it the caller must choose a coarser unit. */
export const MAX_KBEST_CELLS = 400_000;

export function kBestKnapsack(layers: KnapsackOption[][], budget: number, k: number): KnapsackSolution[] {
  if (!Array.isArray(layers) || layers.length === 0 || layers.some((o) => o.length === 0)) throw new ConfigError('kBestKnapsack needs at least one option per layer');
  if (!(Number.isInteger(k) && k >= 1)) throw new ConfigError(`kBestKnapsack: k must be a positive integer, got ${k}`);
  layers.forEach((opts, l) => opts.forEach((o, j) => {
    if (!Number.isInteger(o.cost) || o.cost < 0 || !Number.isFinite(o.loss)) {
      throw new ConfigError(`kBestKnapsack: layer ${l} option ${j} has cost ${o.cost} and loss ${o.loss}; costs must be integers >= 0, losses finite`);
    }
  }));
  const L = layers.length;
  const minCost = layers.map((opts) => Math.min(...opts.map((o) => o.cost)));
  const cheapest = minCost.reduce((a, b) => a + b, 0);
  if (cheapest > budget) throw new BudgetError(`budget ${budget} is below the cheapest choice, ${cheapest}; raise the budget to at least ${cheapest}`);
  const C = Math.floor(budget - cheapest);
  if (C > MAX_KBEST_CELLS) throw new ConfigError(`kBestKnapsack: ${C} cells of slack exceed ${MAX_KBEST_CELLS}; use a coarser cost unit`);
  const w = layers.map((opts, l) => opts.map((o) => o.cost - minCost[l]));
  const cells = C + 1;
  // per layer, per cell, per rank: the option taken and the rank of the rest's solution it extends
  const tabJ = new Int32Array(L * cells * k);
  const tabR = new Int32Array(L * cells * k);
  let nLoss = new Float64Array(cells * k);
  let nCost = new Float64Array(cells * k);
  let nCount = new Int32Array(cells).fill(1); // past the last layer: the empty solution, loss 0, cost 0
  let cLoss = new Float64Array(cells * k);
  let cCost = new Float64Array(cells * k);
  let cCount = new Int32Array(cells);
  for (let l = L - 1; l >= 0; l--) {
    const opts = layers[l];
    for (let c = 0; c < cells; c++) {
      let count = 0;
      const base = c * k;
      const tab = (l * cells + c) * k;
      for (let j = 0; j < opts.length; j++) {
        const rest = c - w[l][j];
        if (rest < 0) continue;
        for (let r = 0; r < nCount[rest]; r++) {
          const lo = opts[j].loss + nLoss[rest * k + r];
          const co = opts[j].cost + nCost[rest * k + r];
          // insertion into the sorted top-k; an equal entry already there (smaller j, or same j and smaller r) stays first
          let at = count;
          while (at > 0 && (lo < cLoss[base + at - 1] || (lo === cLoss[base + at - 1] && co > cCost[base + at - 1]))) at--;
          if (at >= k) continue;
          for (let m = Math.min(count, k - 1); m > at; m--) {
            cLoss[base + m] = cLoss[base + m - 1];
            cCost[base + m] = cCost[base + m - 1];
            tabJ[tab + m] = tabJ[tab + m - 1];
            tabR[tab + m] = tabR[tab + m - 1];
          }
          cLoss[base + at] = lo;
          cCost[base + at] = co;
          tabJ[tab + at] = j;
          tabR[tab + at] = r;
          if (count < k) count++;
        }
      }
      cCount[c] = count;
    }
    [nLoss, cLoss] = [cLoss, nLoss];
    [nCost, cCost] = [cCost, nCost];
    [nCount, cCount] = [cCount, nCount];
  }
  const out: KnapsackSolution[] = [];
  for (let rank = 0; rank < nCount[C]; rank++) {
    const choice = new Array<number>(L);
    let c = C;
    let r = rank;
    for (let l = 0; l < L; l++) {
      const at = (l * cells + c) * k + r;
      choice[l] = tabJ[at];
      r = tabR[at];
      c -= w[l][choice[l]];
    }
    let cost = 0;
    let loss = 0;
    choice.forEach((j, l) => {
      cost += layers[l][j].cost;
      loss += layers[l][j].loss;
    });
    out.push({ choice, cost, loss });
  }
  return out;
}
