import test from 'ava';
import { LocalSearch } from '../../agent/local-search.js';
import type { FillOption } from '../../agent/fill.js';

const opts = (...pairs: Array<[number, number]>): FillOption[] => pairs.map(([cost, loss]) => ({ cost, loss }));
const ladders = [
  opts([1, 4], [2, 2], [3, 1.5]),
  opts([1, 3], [2, 1], [3, 0]),
  opts([1, 5], [2, 4.5]),
];

test('from [1,1,0] (cost 5 of 5) it measures the 4 moves that fit, best predicted first ([0,2,0]: 4 + 0 + 5 = 9, then three at 9.5 in layer order), and moves to the best, [0,2,0]; with all 5 strategies of cost 5 measured it repeats the best', (t) => {
  const ls = new LocalSearch({ ladders, budget: 5, start: [1, 1, 0], seed: 1, fill: false });
  t.deepEqual(ls.next(), [1, 1, 0]);
  t.is(ls.next(), null, 'the scan waits for the start to be measured');
  ls.report([1, 1, 0], -1.0);
  const scan = [ls.next(), ls.next(), ls.next(), ls.next()];
  t.deepEqual(scan, [[0, 2, 0], [2, 0, 0], [0, 1, 1], [1, 0, 1]]);
  t.is(ls.next(), null);
  const rewards = [-0.5, -0.9, -1.2, -0.8];
  scan.forEach((c, i) => ls.report(c!, rewards[i]));
  // [0,2,0]'s own moves, L0 up + L1 down = [1,1,0] and L2 up + L1 down = [0,1,1], are measured and worse; a restart
  // finds nothing new either: the 5 strategies of cost 5 (option indices summing to 2) are all measured
  t.deepEqual(ls.next(), [0, 2, 0], 'the best again');
  t.is(ls.moves, 1);
  t.true(ls.exhausted);
  t.deepEqual(ls.best(), { choice: [0, 2, 0], reward: -0.5 });
});

test('a restored search hands out exactly what the original would have', (t) => {
  const play = (ls: LocalSearch, n: number, out: string[]) => {
    for (let i = 0; i < n; i++) {
      const c = ls.next();
      if (!c) break;
      out.push(c.join());
      ls.report(c, -c.reduce((s, j, l) => s + ladders[l][j].loss, 0) + (c[2] === 1 ? 0.7 : 0));
    }
  };
  const a = new LocalSearch({ ladders, budget: 5, start: [1, 1, 0], seed: 3 });
  const full: string[] = [];
  play(a, 12, full);
  const b = new LocalSearch({ ladders, budget: 5, start: [1, 1, 0], seed: 3 });
  const half: string[] = [];
  play(b, 5, half);
  const c = new LocalSearch({ ladders, budget: 5, start: [1, 1, 0], seed: 3 });
  c.restore(JSON.parse(JSON.stringify(b.state())));
  play(c, 7, half);
  t.deepEqual(half, full);
});

test('at a local optimum it restarts from a perturbation of the best: a strategy not measured before, within the budget', (t) => {
  // budget 7 leaves room for strategies of several costs; the fill pass spends it
  const ls = new LocalSearch({ ladders, budget: 7, start: [1, 1, 0], seed: 2 });
  const seen = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const c = ls.next();
    if (!c) continue;
    t.true(ls.cost(c) <= 7);
    if (!ls.exhausted) t.false(seen.has(c.join()), `${c.join()} handed out twice`);
    seen.add(c.join());
    ls.report(c, -ls.predicted(c));
  }
  t.true(ls.restarts >= 1 || ls.exhausted);
});

test('coupled costs (channels): from the plan [1,1] the search measures both moves that fit the whole-strategy wall and moves to the better, [2,0]', (t) => {
  // two layers of three rungs; cost c0 + c1 + c0 * c1 (layer 1 reads layer 0's channels), wall 3: the plan [1,1] costs 3
  // moves: L0 up + L1 down = [2,0] (cost 2), L1 up + L0 down = [0,2] (cost 2); both fit. Rewards: [2,0] -0.2, [0,2] -0.6
  const lad = [opts([0, 3], [1, 1], [2, 0]), opts([0, 3], [1, 2], [2, 1.5])];
  const fits = (c: number[]) => c[0] + c[1] + c[0] * c[1] <= 3;
  const ls = new LocalSearch({ ladders: lad, budget: 0, fits, start: [1, 1], seed: 1, fill: false });
  t.deepEqual(ls.next(), [1, 1]);
  ls.report([1, 1], -0.5);
  // best predicted first: [2,0] 0 + 3 = 3, [0,2] 3 + 1.5 = 4.5
  const scan = [ls.next(), ls.next()];
  t.deepEqual(scan, [[2, 0], [0, 2]]);
  ls.report([2, 0], -0.2);
  ls.report([0, 2], -0.6);
  // the next scan is from [2,0]: its one move [1,1] is measured; the search moved once
  ls.next();
  t.is(ls.moves, 1);
  t.deepEqual(ls.best(), { choice: [2, 0], reward: -0.2 });
});

test('coupled costs: a start that does not fit the wall is refused; fillWith fills each neighbour', (t) => {
  const lad = [opts([0, 3], [1, 1], [2, 0]), opts([0, 3], [1, 2], [2, 1.5])];
  const fits = (c: number[]) => c[0] + c[1] + c[0] * c[1] <= 3;
  t.throws(() => new LocalSearch({ ladders: lad, budget: 0, fits, start: [2, 2], seed: 1 }), { message: /the start does not fit/ });
  // fill: raise layer 1 while it fits. From [1,1] the move [2,0] fills to [2,0] (cost 2; [2,1] costs 5), [0,2] stays
  const fillWith = (c: number[]) => {
    const out = c.slice();
    while (out[1] < 2 && fits([out[0], out[1] + 1])) out[1]++;
    return out;
  };
  const ls = new LocalSearch({ ladders: lad, budget: 0, fits, fillWith, start: [0, 0], seed: 1 });
  t.deepEqual(ls.neighbours([1, 1]), [[2, 0], [0, 2]]);
  t.deepEqual(ls.neighbours([1, 0]), [[0, 2]], 'L1 up, L0 down: [0,1] (cost 1) filled to [0,2] (cost 2)');
});
