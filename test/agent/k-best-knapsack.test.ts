import test from 'ava';
import { kBestKnapsack } from '../../agent/k-best-knapsack.js';
import { solveKnapsack, type KnapsackOption } from '../../agent/knapsack.js';
import { createRng } from '../../agent/rng.js';
import { BudgetError, ConfigError } from '../../errors.js';

const opts = (...pairs: Array<[number, number]>): KnapsackOption[] => pairs.map(([cost, loss]) => ({ cost, loss }));

// Three layers, each 10 / 6 / 2 cost units; every step down saves 4.
const threeByThree = [
  opts([10, 0], [6, 10], [2, 20]), // A
  opts([10, 0], [6, 12], [2, 14]), // B
  opts([10, 0], [6, 50], [2, 60]), // C
];

test('the 4 best within 22 of 30 (save >= 8): B down twice (14), A down twice (20), A and B once (10 + 12 = 22), A once and B twice (24)', (t) => {
  const r = kBestKnapsack(threeByThree, 22, 4);
  t.deepEqual(r.map((s) => s.choice), [[0, 2, 0], [2, 0, 0], [1, 1, 0], [1, 2, 0]]);
  t.deepEqual(r.map((s) => s.loss), [14, 20, 22, 24]);
  t.deepEqual(r.map((s) => s.cost), [22, 22, 22, 18]);
  t.deepEqual(r[0].choice, solveKnapsack(threeByThree, 22).choice, 'the first is the knapsack answer');
});

test('equal loss: the costlier first; budget 6 has one solution, so k = 3 gives 1', (t) => {
  const tie = [opts([1, 5], [2, 3]), opts([1, 3], [3, 1])];
  // budget 4: [1,0] costs 3 loss 6, [0,1] costs 4 loss 6, [1,1] costs 5 (over), [0,0] costs 2 loss 8
  t.deepEqual(kBestKnapsack(tie, 4, 3).map((s) => [s.choice, s.cost, s.loss]), [[[0, 1], 4, 6], [[1, 0], 3, 6], [[0, 0], 2, 8]]);
  t.deepEqual(kBestKnapsack(threeByThree, 6, 3).map((s) => s.choice), [[2, 2, 2]]);
});

test('the k best match a brute force over every choice on random integer problems (4 layers x 4 options, integer losses, k = 5)', (t) => {
  const rng = createRng(7);
  for (let trial = 0; trial < 20; trial++) {
    const layers = Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => ({ cost: 1 + Math.floor(rng() * 9), loss: Math.floor(rng() * 100) })));
    const budget = 10 + Math.floor(rng() * 20);
    const all: Array<{ choice: number[]; cost: number; loss: number }> = [];
    for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) for (let c = 0; c < 4; c++) for (let d = 0; d < 4; d++) {
      const choice = [a, b, c, d];
      const cost = choice.reduce((s, j, l) => s + layers[l][j].cost, 0);
      const loss = choice.reduce((s, j, l) => s + layers[l][j].loss, 0);
      if (cost <= budget) all.push({ choice, cost, loss });
    }
    all.sort((x, y) => x.loss - y.loss || y.cost - x.cost);
    let got: ReturnType<typeof kBestKnapsack>;
    try {
      got = kBestKnapsack(layers, budget, 5);
    } catch (e) {
      t.true(e instanceof BudgetError && all.length === 0);
      continue;
    }
    // compared by (loss, cost): ties of both may list different, equally good, choices
    t.deepEqual(got.map((s) => [s.loss, s.cost]), all.slice(0, 5).map((s) => [s.loss, s.cost]), `trial ${trial}`);
    t.is(new Set(got.map((s) => s.choice.join())).size, got.length, 'distinct');
  }
});

test('fractional costs are refused: the caller picks an integer unit', (t) => {
  t.throws(() => kBestKnapsack([opts([1.5, 0])], 2, 1), { instanceOf: ConfigError });
});
