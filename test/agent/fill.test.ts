import test from 'ava';
import { fill, nextRaise, type FillOption } from '../../agent/fill.js';
import { ConfigError } from '../../errors.js';

const opts = (...pairs: Array<[number, number]>): FillOption[] => pairs.map(([cost, loss]) => ({ cost, loss }));

// Three layers, options sorted by cost: (cost, predicted loss)
const toy = [
  opts([2, 10], [4, 4], [8, 1]), // L0
  opts([2, 6], [3, 5], [6, 0]), // L1
  opts([1, 3], [5, 2]), // L2
];

test('fill, budget 12 from the cheapest choice (cost 2+2+1 = 5, 7 left): L0 up (6 saved / 2 = 3 a unit), L1 up (1/1 = 1 beats L0 3/4 and L2 1/4), L1 up (5/3), then nothing fits the 1 left: [1, 2, 0]', (t) => {
  const r = fill(toy, [0, 0, 0], 7);
  t.deepEqual(r.choice, [1, 2, 0]);
  t.deepEqual(r.raises, [[0, 0, 1], [1, 0, 1], [1, 1, 2]]);
  t.is(r.remaining, 1);
});

test('a frozen layer is never raised: the same 7 left with L0 frozen go to L1 (twice, 4 in all); L2 at 4 more does not fit the 3 left: [0, 2, 0]', (t) => {
  const r = fill(toy, [0, 0, 0], 7, [true, false, false]);
  t.deepEqual(r.choice, [0, 2, 0]);
  t.is(r.remaining, 3);
});

test('fill with nothing left takes no step; with plenty every layer ends at its least-loss option: [2, 2, 1]', (t) => {
  t.deepEqual(fill(toy, [0, 0, 0], 0).choice, [0, 0, 0]);
  const r = fill(toy, [0, 0, 0], 100);
  t.deepEqual(r.choice, [2, 2, 1]);
  t.is(r.remaining, 100 - (8 - 2) - (6 - 2) - (5 - 1));
});

test('a raise goes to the next costlier option with a LOWER predicted loss: from (1, 5) past (2, 6) to (3, 2)', (t) => {
  const layer = opts([1, 5], [2, 6], [3, 2]);
  t.is(nextRaise(layer, 0), 2);
  t.is(nextRaise(layer, 2), -1);
  t.deepEqual(fill([layer], [0], 2).choice, [2]);
  t.deepEqual(fill([layer], [0], 1).choice, [0], 'cost 3 - 1 = 2 does not fit in 1');
});

test('equal ratios go to the lower layer; a raise costing nothing is taken first', (t) => {
  const same = [opts([1, 2], [2, 1]), opts([1, 2], [2, 1])];
  t.deepEqual(fill(same, [0, 0], 1).choice, [1, 0]);
  const free = [opts([1, 2], [3, 0]), opts([1, 2], [1, 1.5])];
  t.deepEqual(fill(free, [0, 0], 0).choice, [0, 1]);
});

test('options out of cost order or a choice out of range are refused', (t) => {
  t.throws(() => fill([opts([2, 1], [1, 0])], [0], 1), { instanceOf: ConfigError });
  t.throws(() => fill(toy, [0, 0, 2], 1), { instanceOf: ConfigError });
});
