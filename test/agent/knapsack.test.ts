import test from 'ava';
import { solveKnapsack, type KnapsackOption } from '../../agent/knapsack.js';
import { createRng } from '../../agent/rng.js';
import { BudgetError, ConfigError } from '../../errors.js';

const opts = (...pairs: Array<[number, number]>): KnapsackOption[] => pairs.map(([cost, loss]) => ({ cost, loss }));

// Three layers, each 10 / 6 / 2 cost units (say 8, 4, 2 bits); loss = points of accuracy lost x 10.
const threeByThree = [
  opts([10, 0], [6, 10], [2, 20]), // A
  opts([10, 0], [6, 12], [2, 14]), // B
  opts([10, 0], [6, 50], [2, 60]), // C
];

test('the DP beats greedy-by-ratio: budget 22 of 30, greedy lowers A twice (10/4 < 12/4, then 10/4 < 12/4) for loss 20; B to its last option costs 14', (t) => {
  // Saving 8 of 30: A twice (20), B twice (14), A+B once (22), or anything with C (>= 50). Optimum: B at 2, loss 14.
  const r = solveKnapsack(threeByThree, 22);
  t.deepEqual(r.choice, [0, 2, 0]);
  t.is(r.cost, 10 + 2 + 10);
  t.is(r.loss, 14);
  t.true(r.exact, 'integer costs, slack 22 - 6 = 16 cells of 1: nothing rounded');
  t.is(r.lowerBound, 14);
});

test('budget 30 keeps every layer at its most expensive option; budget 6 takes every cheapest one (loss 20 + 14 + 60 = 94)', (t) => {
  t.deepEqual(solveKnapsack(threeByThree, 30).choice, [0, 0, 0]);
  const r = solveKnapsack(threeByThree, 6);
  t.deepEqual(r.choice, [2, 2, 2]);
  t.is(r.cost, 6);
  t.is(r.loss, 94);
});

test('budget 18 of 30 (save 12): A to 6 and B to 2 (loss 10 + 14 = 24) beats A to 2 and B to 6 (20 + 12 = 32)', (t) => {
  // Savings are 4 per step. Saving >= 12 needs three steps: A1+B2 (24), A2+B1 (32), A2+B2 (34), anything with C (>= 50).
  const r = solveKnapsack(threeByThree, 18);
  t.deepEqual(r.choice, [1, 2, 0]);
  t.is(r.cost, 18);
  t.is(r.loss, 24);
});

test('ties go to the more expensive choice, then the lower index: loss 1 at costs 4+2, 4+4, 6+2, 6+4 -> [1, 1] at 6 + 4 = 10', (t) => {
  const layers = [opts([4, 1], [6, 1], [6, 1]), opts([2, 0], [4, 0])];
  const r = solveKnapsack(layers, 10);
  t.deepEqual(r.choice, [1, 1]);
  t.is(r.cost, 10);
  t.is(r.loss, 1);
  // the same with the rounding path (few cells, non-integer budget): still the most expensive, lowest index
  t.deepEqual(solveKnapsack(layers, 10.5, { cells: 3 }).choice, [1, 1]);
});

test('a budget below the cheapest choice is a BudgetError naming the minimum: 2 + 3 + 5 = 10 > 9.5', (t) => {
  const layers = [opts([4, 0], [2, 1]), opts([3, 0]), opts([8, 0], [5, 2])];
  const e = t.throws(() => solveKnapsack(layers, 9.5), { instanceOf: BudgetError });
  t.regex(e.message, /below the cheapest choice, 10 .*at least 10$/);
  t.deepEqual(solveKnapsack(layers, 10).choice, [1, 0, 1], 'budget exactly the minimum: every layer at its cheapest');
});

test('costs round UP to cells: 1.6 takes ceil(1.6 / 1.5) = 2 of the 2 cells, so both layers at 1.6 (3.2 > 3) are never chosen', (t) => {
  // Slack 3 in 2 cells of 1.5. Rounding to the nearest cell would give 1 + 1 = 2 cells and overshoot to 3.2.
  const layers = [opts([0, 1], [1.6, 0]), opts([0, 1], [1.6, 0])];
  const r = solveKnapsack(layers, 3, { cells: 2 });
  t.is(r.cellSize, 1.5);
  t.false(r.exact);
  t.deepEqual(r.choice, [0, 1], 'loss 1 either way, cost 1.6 either way: the lower index at the first layer');
  t.is(r.cost, 1.6);
  t.true(r.cost <= 3);
});

test('the exact pass takes back what rounding cost: 1.4 takes ceil(1.4) = 2 of 3 cells, DP gets one layer, the pass adds the other (2.8 <= 3)', (t) => {
  const layers = [opts([0, 10], [1.4, 0]), opts([0, 10], [1.4, 0])];
  const r = solveKnapsack(layers, 3, { cells: 3 });
  t.is(r.cellSize, 1);
  t.deepEqual(r.choice, [1, 1]);
  t.is(r.cost, 2.8);
  t.is(r.loss, 0);
  t.is(r.lowerBound, 0, 'rounded down, 1.4 takes 1 cell: both fit the relaxation');
});

test('costs not multiples of the cell size never overshoot: bit-op costs near 1e10, 7 cells, 200 budgets', (t) => {
  const rng = createRng('knapsack-large');
  const layers = Array.from({ length: 6 }, () => Array.from({ length: 8 }, (_, j) => ({ cost: (1 + rng()) * 1e10 / (j + 1), loss: Math.round(rng() * 100) / (8 - j) })));
  const lo = layers.reduce((s, o) => s + Math.min(...o.map((x) => x.cost)), 0);
  const hi = layers.reduce((s, o) => s + Math.max(...o.map((x) => x.cost)), 0);
  for (let i = 0; i <= 200; i++) {
    const budget = lo + ((hi - lo) * i) / 200 + (i % 3) * 0.1;
    for (const cells of [1, 7, 2000]) {
      const r = solveKnapsack(layers, budget, { cells });
      t.true(r.cost <= budget, `budget ${budget}, ${cells} cells: cost ${r.cost}`);
      t.true(r.lowerBound <= r.loss);
    }
  }
});

test('the same instance gives the same answer (no hidden state)', (t) => {
  const a = solveKnapsack(threeByThree, 19.3, { cells: 5 });
  const b = solveKnapsack(threeByThree, 19.3, { cells: 5 });
  t.deepEqual(a, b);
});

test('bad input is a ConfigError', (t) => {
  t.throws(() => solveKnapsack([], 10), { instanceOf: ConfigError });
  t.throws(() => solveKnapsack([[]], 10), { instanceOf: ConfigError });
  t.throws(() => solveKnapsack([opts([Number.NaN, 0])], 10), { instanceOf: ConfigError });
  t.throws(() => solveKnapsack([opts([1, 0])], Number.POSITIVE_INFINITY), { instanceOf: ConfigError });
  t.throws(() => solveKnapsack([opts([1, 0])], 10, { cells: 0 }), { instanceOf: ConfigError });
  t.throws(() => solveKnapsack([opts([1, 0])], 10, { cells: 2.5 }), { instanceOf: ConfigError });
});

/** Every index vector in lexicographic order, kept only when strictly better (lower loss, then higher cost). */
function bruteForce(layers: KnapsackOption[][], budget: number): { choice: number[]; loss: number; cost: number } | null {
  let best: { choice: number[]; loss: number; cost: number } | null = null;
  const choice = new Array<number>(layers.length).fill(0);
  for (;;) {
    let loss = 0;
    let cost = 0;
    choice.forEach((j, l) => {
      loss += layers[l][j].loss;
      cost += layers[l][j].cost;
    });
    if (cost <= budget && (best === null || loss < best.loss || (loss === best.loss && cost > best.cost))) best = { choice: choice.slice(), loss, cost };
    let l = layers.length - 1;
    while (l >= 0 && choice[l] === layers[l].length - 1) choice[l--] = 0;
    if (l < 0) return best;
    choice[l] += 1;
  }
}

test('matches brute force on 50 seeded instances (integer costs: exact, ties included; scaled fractional costs with 16 cells: within the L-cell guarantee)', (t) => {
  const rng = createRng('knapsack-brute-force');
  const int = (n: number) => Math.floor(rng() * n);
  for (let k = 0; k < 50; k++) {
    const L = 1 + int(5);
    // integer losses so equal totals are exactly equal in any summation order; small ranges so ties happen
    const layers = Array.from({ length: L }, () => Array.from({ length: 1 + int(4) }, () => ({ cost: int(60), loss: int(12) })));
    const lo = layers.reduce((s, o) => s + Math.min(...o.map((x) => x.cost)), 0);
    const hi = layers.reduce((s, o) => s + Math.max(...o.map((x) => x.cost)), 0);
    const budget = lo + int(hi - lo + 1);
    const want = bruteForce(layers, budget)!;
    const got = solveKnapsack(layers, budget);
    t.true(got.exact, `instance ${k}`);
    t.deepEqual({ choice: got.choice, loss: got.loss, cost: got.cost }, want, `instance ${k}: ${JSON.stringify(layers)} budget ${budget}`);

    // The same instance at bit-op scale with fractional costs, few cells: rounding now matters.
    const scaled = layers.map((o) => o.map((x) => ({ cost: x.cost * 1.37e8 + 0.25, loss: x.loss })));
    const sBudget = budget * 1.37e8 + L * 0.25;
    const r = solveKnapsack(scaled, sBudget, { cells: 16 });
    const opt = bruteForce(scaled, sBudget)!;
    t.true(r.cost <= sBudget, `instance ${k}: cost ${r.cost} > budget ${sBudget}`);
    t.true(r.loss >= opt.loss, `instance ${k}: no answer beats the optimum`);
    t.true(r.lowerBound <= opt.loss, `instance ${k}: lower bound ${r.lowerBound} <= optimum ${opt.loss}`);
    const tightened = bruteForce(scaled, sBudget - L * r.cellSize);
    if (tightened) t.true(r.loss <= tightened.loss, `instance ${k}: at least as good as the optimum ${L} cells tighter`);
  }
});
