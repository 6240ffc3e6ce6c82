import test from 'ava';
import { ReplayBuffer } from '../../agent/replay-buffer.js';
import { createRng } from '../../agent/rng.js';

function filled(capacity: number, pushes: number): ReplayBuffer {
  const buffer = new ReplayBuffer(capacity, 2, 1);
  for (let i = 0; i < pushes; i++) {
    buffer.push({ state: [i, -i], action: [i / 10], reward: i, nextState: [i + 1, -(i + 1)], done: i % 2 === 1 });
  }
  return buffer;
}

test('size grows to the capacity and stays there', (t) => {
  t.is(filled(3, 2).size, 2);
  t.is(filled(3, 3).size, 3);
  t.is(filled(3, 5).size, 3);
});

test('when full, a push overwrites the oldest transition', (t) => {
  // pushes 0,1,2 fill slots 0,1,2; push 3 overwrites slot 0, push 4 slot 1.
  const buffer = filled(3, 5);
  t.deepEqual([0, 1, 2].map((i) => buffer.at(i).reward), [3, 4, 2]);
  const slot1 = buffer.at(1);
  t.deepEqual(Array.from(slot1.state), [4, -4]);
  t.deepEqual(Array.from(slot1.nextState), [5, -5]);
  t.is(slot1.action[0], Math.fround(0.4));
  t.false(slot1.done);
  t.true(buffer.at(0).done);
});

test('sample picks slot floor(u * size) for each uniform draw u', (t) => {
  const buffer = filled(3, 5);
  const draws = [0, 0.5, 0.99, 0.4];
  let k = 0;
  const batch = buffer.sample(4, () => draws[k++]);
  // slots 0, 1, 2, 1 hold rewards 3, 4, 2, 4
  t.deepEqual(Array.from(batch.rewards), [3, 4, 2, 4]);
  t.deepEqual(Array.from(batch.states), [3, -3, 4, -4, 2, -2, 4, -4]);
  t.deepEqual(Array.from(batch.dones), [1, 0, 0, 0]);
});

test('the same seed draws the same batch; another seed another batch', (t) => {
  const buffer = filled(50, 50);
  const a = buffer.sample(16, createRng(1));
  const b = buffer.sample(16, createRng(1));
  const c = buffer.sample(16, createRng(2));
  t.deepEqual(a, b);
  t.notDeepEqual(a.rewards, c.rewards);
});

test('a batch larger than the buffer is drawn with replacement', (t) => {
  const batch = filled(10, 2).sample(64, createRng(3));
  t.is(batch.size, 64);
  t.true(Array.from(batch.rewards).every((r) => r === 0 || r === 1));
});

test('save then load restores contents and the write position', (t) => {
  const buffer = filled(3, 5);
  const saved = buffer.save('replay');
  const copy = new ReplayBuffer(3, 2, 1);
  copy.load('replay', saved.json, saved.blobs);
  t.deepEqual([0, 1, 2].map((i) => copy.at(i)), [0, 1, 2].map((i) => buffer.at(i)));
  // the next push goes to slot 2 in both
  buffer.push({ state: [9, 9], action: [0.9], reward: 9, nextState: [9, 9], done: true });
  copy.push({ state: [9, 9], action: [0.9], reward: 9, nextState: [9, 9], done: true });
  t.is(copy.at(2).reward, 9);
  t.deepEqual(copy.save('r'), buffer.save('r'));
});
