import test from 'ava';
import { coupledFill } from '../../agent/coupled-fill.js';

/**
 * Three layers of four rungs each (rung j keeps j+1 quarters of the channels). Predicted losses per rung:
 *   L0: 8, 4, 3, 2.5    L1: 6, 5, 4.8, 4.7    L2: 9, 1, 0.5, 0.4
 * Cost of a whole strategy: each layer's rung times its weight (L0 1, L1 2, L2 3) plus a coupling term: L1's kept
 * rung times L2's (L2's input channels are L1's output), so raising L1 or L2 costs more the higher the other is.
 */
const losses = [
  [8, 4, 3, 2.5],
  [6, 5, 4.8, 4.7],
  [9, 1, 0.5, 0.4],
];
const cost = (c: number[]) => c[0] * 1 + c[1] * 2 + c[2] * 3 + c[1] * c[2];
const wall = (limit: number) => (c: number[]) => cost(c) <= limit;
// preserve ratios alone: every rung up keeps more channels
const monotone = true;

test('from [0,0,0] under a wall of 8: L0 (4 saved for 1), L2 (8 for 3 = 2.67), L0 (1 for 1 beats L1 1 for 3 with the coupling), L0 (0.5 for 1); then L1 or L2 up would cost 9: [3,0,1] at cost 6', (t) => {
  const r = coupledFill({ losses, choice: [0, 0, 0], cost, fits: wall(8), monotone });
  // step 1: L0 0->1 saves 4 for 1 (4), L1 0->1 saves 1 for 2 (0.5), L2 0->1 saves 8 for 3 (2.67): L0
  // step 2 at [1,0,0] (cost 1): L0 1->2 saves 1 for 1 (1), L1 1 for 2 (0.5), L2 8 for 3 (2.67): L2 -> [1,0,1] cost 4
  // step 3: L0 1 for 1 (1), L1 1 for 2+1 = 3 (0.33), L2 0.5 for 3 (0.17): L0 -> [2,0,1] cost 5
  // step 4: L0 0.5 for 1 (0.5), L1 1 for 3 (0.33), L2 0.5 for 3 (0.17): L0 -> [3,0,1] cost 6
  // step 5: L0 at its top; L1 -> cost 9 > 8 refused; L2 -> cost 9 refused: stop at cost 6
  t.deepEqual(r.raises, [[0, 0, 1], [2, 0, 1], [0, 1, 2], [0, 2, 3]]);
  t.deepEqual(r.choice, [3, 0, 1]);
  t.true(cost(r.choice) <= 8);
});

test('the wall is never exceeded, whatever the limit: for every limit 0..40 the result fits and no single raise of it fits', (t) => {
  for (let limit = 0; limit <= 40; limit++) {
    const r = coupledFill({ losses, choice: [0, 0, 0], cost, fits: wall(limit), monotone });
    t.true(cost(r.choice) <= limit, `limit ${limit}`);
    for (let l = 0; l < 3; l++) {
      if (r.choice[l] === 3) continue;
      const up = r.choice.slice();
      up[l]++;
      t.false(wall(limit)(up), `limit ${limit}: layer ${l} could still rise`);
    }
  }
});

test('a frozen layer stays: under a wall of 8 with L0 frozen the raises go to L2 (8/3), then L1 (1 for 3 = 0.33 beats L2 0.5 for 3 = 0.17): [0,1,1] at cost 6; L2 up would cost 10', (t) => {
  const r = coupledFill({ losses, choice: [0, 0, 0], cost, fits: wall(8), frozen: [true, false, false], monotone });
  t.deepEqual(r.choice, [0, 1, 1]);
  t.deepEqual(r.raises, [[2, 0, 1], [1, 0, 1]]);
});

test('a raise that saves nothing is still taken when it fits (a budget is not left unspent on flat losses), after the ones that save', (t) => {
  const flat = [
    [1, 1, 1],
    [2, 0, 0],
  ];
  const r = coupledFill({ losses: flat, choice: [0, 0], cost: (c) => c[0] + c[1], fits: (c) => c[0] + c[1] <= 3, monotone });
  t.deepEqual(r.raises, [[1, 0, 1], [0, 0, 1], [0, 1, 2]]);
});

test('a ladder mixing knobs (not monotone) raises only to a rung of lower predicted loss, skipping a costlier worse one: L0 from rung 0 (loss 5) past rung 1 (loss 6) to rung 2 (loss 1)', (t) => {
  const mixed = [[5, 6, 1], [2, 2.5]];
  const r = coupledFill({ losses: mixed, choice: [0, 0], cost: (c) => c[0] + c[1], fits: (c) => c[0] + c[1] <= 2 });
  // L0 0 -> 2 saves 4 for 2; L1 has no rung of lower loss: [2, 0] and nothing else
  t.deepEqual(r.raises, [[0, 0, 2]]);
  t.deepEqual(r.choice, [2, 0]);
});
