import test from 'ava';
import { greedySearch, hullLadder } from '../../agent/greedy.js';
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

test('on every option in cost order the walk stops at a predicted loss of 4; on each layer hull (hullLadder) it reaches 1.5, the best within the budget of 12', async (t) => {
  // layer 0: (cost, loss) (10, 0) (9, 5) (5, 0.5) (2, 3), where (9, 5) is dominated; layer 1: (10, 0) (6, 1) (2, 4)
  const layers = [
    { costs: [10, 9, 5, 2], losses: [0, 5, 0.5, 3] },
    { costs: [10, 6, 2], losses: [0, 1, 4] },
  ];
  const walk = (ladders: number[][]) =>
    greedySearch({
      candidates: ladders.map((l) => l.map((j) => [j])),
      sensitivity: async (l, j) => layers[l].losses[ladders[l][j]],
      cost: (a) => a.reduce((sum, j, l) => sum + layers[l].costs[ladders[l][j]], 0),
      budget: 12,
    });
  // cost order: layer 1 goes 10 -> 6 -> 2 (1/4 and 3/4 a unit) before layer 0's first step (5 a unit, onto the
  // dominated option): (10, 0) + (2, 4)
  const byCost = await walk(layers.map((l) => l.costs.map((_, j) => j)));
  t.deepEqual(byCost.actions, [[0], [2]]);
  t.is(byCost.predictedDrop, 4);
  // the hull: layer 0 to (5, 0.5) at 0.1 a unit, then layer 1 to (6, 1) at 0.25: cost 11, loss 1.5
  const hulls = layers.map((l) => hullLadder(l.costs, l.losses));
  t.deepEqual(hulls, [[0, 2, 3], [0, 1, 2]]);
  const onHulls = await walk(hulls);
  t.deepEqual(onHulls.actions, [[2], [1]]);
  t.is(onHulls.predictedDrop, 1.5);
  t.is(onHulls.cost, 11);
});

test('hullLadder ends at the given cheapest option when the hull does not: the walls assume it of undecided layers', (t) => {
  // option 3 is costlier than option 2 by this cost but the cheapest by another budget: appended as the last rung
  t.deepEqual(hullLadder([10, 5, 2, 3], [0, 0.5, 3, 4]), [0, 1, 2]);
  t.deepEqual(hullLadder([10, 5, 2, 3], [0, 0.5, 3, 4], 3), [0, 1, 2, 3]);
  t.deepEqual(hullLadder([10, 5, 2, 3], [0, 0.5, 3, 4], 2), [0, 1, 2]);
  // one option: a ladder of one rung
  t.deepEqual(hullLadder([7], [0], 0), [0]);
});
