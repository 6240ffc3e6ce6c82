import test from 'ava';
import { bestSoFar, dominates, paretoFront, warmupLength } from '../../report/pareto.js';
import { costUnit } from '../../report/theme.js';

const p = (cost: number, accuracy: number) => ({ cost, accuracy });

test('a point dominates another when no costlier, no less accurate and better in one', (t) => {
  t.true(dominates(p(10, 0.9), p(12, 0.9)));
  t.true(dominates(p(10, 0.9), p(10, 0.8)));
  t.false(dominates(p(10, 0.9), p(10, 0.9)), 'equal points do not dominate each other');
  t.false(dominates(p(10, 0.8), p(12, 0.9)), 'cheaper but less accurate: a trade-off');
});

test('the front keeps the non-dominated points, cheapest first: of (10,.80) (12,.85) (12,.90) (15,.88) (20,.95) it drops (12,.85) and (15,.88)', (t) => {
  const points = [p(20, 0.95), p(12, 0.85), p(10, 0.8), p(15, 0.88), p(12, 0.9)];
  const front = paretoFront(points);
  t.deepEqual(front, [p(10, 0.8), p(12, 0.9), p(20, 0.95)]);
  for (const f of front) t.false(points.some((q) => dominates(q, f)));
  for (const q of points.filter((x) => !front.includes(x))) t.true(front.some((f) => dominates(f, q)));
});

test('a strategy evaluated twice (same cost, same accuracy) is on the front once', (t) => {
  t.deepEqual(paretoFront([p(10, 0.9), p(10, 0.9), p(11, 0.95)]), [p(10, 0.9), p(11, 0.95)]);
  t.deepEqual(paretoFront([]), []);
});

test('best so far is the running maximum: [1, 3, 2, 5, 4] -> [1, 3, 3, 5, 5]', (t) => {
  t.deepEqual(bestSoFar([1, 3, 2, 5, 4]), [1, 3, 3, 5, 5]);
});

test('the warm-up is the leading run of warmup episodes: 2 of [w, w, learning, w]; all of [w, w]; none of [policy]', (t) => {
  t.is(warmupLength(['warmup', 'warmup', 'learning', 'warmup']), 2);
  t.is(warmupLength(['warmup', 'warmup']), 2);
  t.is(warmupLength(['policy']), 0);
});

test('costs are drawn in a readable unit: 104,700 bytes in kB, 2.5e9 bit-operations in G', (t) => {
  t.deepEqual(costUnit('size', 104_700), { divisor: 1000, title: 'packed size (kB)' });
  t.deepEqual(costUnit('size', 1_070_000), { divisor: 1e6, title: 'packed size (MB)' });
  t.deepEqual(costUnit('bitops', 2.5e9), { divisor: 1e9, title: 'bit-operations (G)' });
  t.deepEqual(costUnit('flops', 500), { divisor: 1, title: 'multiply-accumulates after pruning' });
});
