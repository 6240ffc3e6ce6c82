import test from 'ava';
import { coarseOptions, lowerHull, paretoFrontier, refineOptions, type GridOption } from '../../agent/frontier.js';

test('the Pareto frontier keeps each point cheaper-or-better than every cheaper one: (1,9) (2,5) (4,2), not (3,6) nor (5,2)', (t) => {
  const points = [{ cost: 3, loss: 6 }, { cost: 1, loss: 9 }, { cost: 5, loss: 2 }, { cost: 2, loss: 5 }, { cost: 4, loss: 2 }];
  t.deepEqual(paretoFrontier(points), [1, 3, 4]);
});

// bits 1..4 (axis 0, 4 values: all coarse) x prune 0..8 (axis 1, 9 values: coarse 0, 4, 8); cost = bits x (9 - prune)
const grid: GridOption[] = [];
for (let b = 0; b < 4; b++) for (let p = 0; p < 9; p++) grid.push({ coords: [b, p], cost: (b + 1) * (9 - p) });
const at = (b: number, p: number) => b * 9 + p;

test('the coarse set takes every value of a short axis and the ends and middle of a long one: 4 bits x prune {0, 4, 8} = 12', (t) => {
  const c = coarseOptions(grid, 100);
  t.is(c.length, 12);
  t.deepEqual(c.map((i) => grid[i].coords[1]).filter((p, i, a) => a.indexOf(p) === i), [0, 4, 8]);
  t.is(coarseOptions(grid, 6).length, 6, 'thinned by cost to the limit');
});

test('refinement bisects towards the frontier: around frontier point (bits 2, prune 4) it proposes prune 2 and 6 at bits 2', (t) => {
  // losses: only bits index 1 at prune 4 is on the frontier in the middle of the cost range
  const measured = new Map<number, number>();
  for (const i of coarseOptions(grid, 100)) {
    const [b, p] = grid[i].coords;
    measured.set(i, b === 1 && p === 4 ? 0.1 : 10 - grid[i].cost / 10);
  }
  const next = refineOptions(grid, measured, 100);
  t.true(next.includes(at(1, 2)) && next.includes(at(1, 6)), JSON.stringify(next.map((i) => grid[i].coords)));
  t.true(next.every((i) => !measured.has(i)));
  t.is(refineOptions(grid, measured, 3).length, 3, 'capped');
});

test('the lower hull drops frontier rungs that hide a cheaper step: (0,10) (1,9) (2,0) keeps (0,10) (2,0); (0,10) (1,5) (2,4) keeps all three; a point on the chord stays', (t) => {
  // from (0,10): (1,9) saves 1 per unit, (2,0) saves 5 per unit on average, so (1,9) lies above the chord
  t.deepEqual(lowerHull([{ cost: 0, loss: 10 }, { cost: 1, loss: 9 }, { cost: 2, loss: 0 }]), [0, 2]);
  // slopes -5 then -1: convex, every rung stays
  t.deepEqual(lowerHull([{ cost: 0, loss: 10 }, { cost: 1, loss: 5 }, { cost: 2, loss: 4 }]), [0, 1, 2]);
  // a dominated point (3, 6) never reaches the hull; slopes -1.5 then -0.5 keep the rest
  t.deepEqual(lowerHull([{ cost: 2, loss: 5 }, { cost: 3, loss: 6 }, { cost: 4, loss: 2 }, { cost: 6, loss: 1 }]), [0, 2, 3]);
  // a rung on the chord has the chord's ratio: kept, a finer place to stop
  t.deepEqual(lowerHull([{ cost: 0, loss: 4 }, { cost: 2, loss: 2 }, { cost: 4, loss: 0 }]), [0, 1, 2]);
});
