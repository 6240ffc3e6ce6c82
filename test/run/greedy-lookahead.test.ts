import test from 'ava';
import { withLookahead } from '../../run/planners/greedy.js';

const rungs = (n: number) => Array.from({ length: n }, (_, j) => ({ bits: 8 - j }));
// three layers with 4, 4 and 2 rungs; measured: layer 0 rungs 0-1, layer 1 rung 0, layer 2 rungs 0-1 (all of it)
const ladder = [rungs(4), rungs(4), rungs(2)];
const done = new Set(['0:0', '0:1', '1:0', '2:0', '2:1']);
const measured = (l: number, j: number) => done.has(`${l}:${j}`);

test('one slot pads nothing: the round measures exactly the rungs it needs, less those measured', (t) => {
  t.deepEqual(withLookahead([[0, 2], [0, 1]], ladder, measured, 1), [[0, 2]]);
});

test('two slots: the needed rung 0:2, then the same layer\'s next rung 0:3', (t) => {
  t.deepEqual(withLookahead([[0, 2]], ladder, measured, 2), [[0, 2], [0, 3]]);
});

test('four slots: 0:2 needed, then depth by depth 0:3 and 1:1 (layer 2 has no rung left), then 1:2', (t) => {
  t.deepEqual(withLookahead([[0, 2]], ladder, measured, 4), [[0, 2], [0, 3], [1, 1], [1, 2]]);
});

test('padding stops when every rung is measured or taken: 8 slots get the 5 unmeasured rungs', (t) => {
  t.deepEqual(withLookahead([[0, 2]], ladder, measured, 8), [[0, 2], [0, 3], [1, 1], [1, 2], [1, 3]]);
});

test('nothing needed, nothing measured, whatever the slots', (t) => {
  t.deepEqual(withLookahead([[0, 1]], ladder, measured, 4), []);
});
