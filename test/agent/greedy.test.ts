import test from 'ava';
import { greedySearch } from '../../agent/greedy.js';
import { BudgetError } from '../../errors.js';

// Three layers with 100, 400 and 100 weights; candidates 8, 4 and 2 bits (action = bits / 8); cost = bits of weights.
// Full cost 8 * 600 = 4800. Accuracy drop with ONLY that layer lowered (index 0 is no drop):
const params = [100, 400, 100];
const bits = [8, 4, 2];
const drop = [
  [0, 0.01, 0.3],
  [0, 0.02, 0.05],
  [0, 0.2, 0.4],
];
const candidates = params.map(() => bits.map((b) => [b / 8]));
const cost = (assignment: number[]) => assignment.reduce((sum, j, l) => sum + params[l] * bits[j], 0);

function bruteForceBest(budget: number): number[] {
  let best: number[] = [];
  let bestDrop = Infinity;
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 3; c++) {
    const assignment = [a, b, c];
    const total = drop[0][a] + drop[1][b] + drop[2][c];
    if (cost(assignment) <= budget && total < bestDrop) [best, bestDrop] = [assignment, total];
  }
  return best;
}

test('greedy lowers the layer losing least accuracy per cost saved until the budget holds', async (t) => {
  // Budget 2800: step 1 scores 0.01/400, 0.02/1600, 0.2/400 -> layer 1 to 4 bits (cost 3200);
  // step 2 scores 0.01/400, (0.05 - 0.02)/800, 0.2/400 -> layer 0 to 4 bits (cost 2800): done.
  const calls: string[] = [];
  const result = await greedySearch({
    candidates,
    sensitivity: async (l, j) => {
      calls.push(`${l}:${j}`);
      return drop[l][j];
    },
    cost,
    budget: 2800,
  });
  t.deepEqual(result.assignment, [1, 1, 0]);
  t.deepEqual(result.actions, [[0.5], [0.5], [1]]);
  t.is(result.cost, 2800);
  t.true(result.cost <= 2800);
  t.is(result.predictedDrop, 0.01 + 0.02);
  t.deepEqual(result.steps.map((s) => [s.layer, s.to, s.cost]), [[1, 1, 3200], [0, 1, 2800]]);
  t.deepEqual(result.assignment, bruteForceBest(2800), 'the known best assignment under additive drops');
  // each sensitivity measured once, only where a move was considered
  t.deepEqual(calls, ['0:1', '1:1', '2:1', '1:2']);
  t.is(result.evaluations, 4);
});

test('greedy meets every budget from full cost down to the cheapest', async (t) => {
  for (const budget of [4800, 4000, 3000, 2000, 1500, 1200]) {
    const result = await greedySearch({ candidates, sensitivity: async (l, j) => drop[l][j], cost, budget });
    t.true(result.cost <= budget, `budget ${budget}: cost ${result.cost}`);
  }
  const none = await greedySearch({ candidates, sensitivity: async () => 1, cost, budget: 4800 });
  t.deepEqual(none.assignment, [0, 0, 0], 'a budget already met changes nothing');
  t.is(none.evaluations, 0);
});

test('greedy throws BudgetError naming the cheapest cost when even that is over the budget', async (t) => {
  await t.throwsAsync(greedySearch({ candidates, sensitivity: async (l, j) => drop[l][j], cost, budget: 1000 }), {
    instanceOf: BudgetError,
    message: /1200/,
  });
});
