/**
 * The live view of a --learn-ahead run: events in the order run/search.ts emits them (batch b evaluated; batch b+1
 * proposed and its evaluation begun; b learnt and stored), built by hand. The current episode is the one being
 * evaluated, learnt and stored, not the batch proposed ahead; that one becomes current once b is stored.
 */
import test from 'ava';
import { render } from 'ink-testing-library';
import React from 'react';
import { CurrentEpisode } from '../../../cli/ui/current-episode.js';
import { type ViewEvent, type ViewState, reduce } from '../../../cli/ui/state.js';
import type { RunEvent } from '../../../run/events.js';
import { fixtureEvents, plain, reduceAll } from './fixture.js';

// the lenet5 fixture's run: 5 layers, 12 episodes, 4 warm-up
const runStarted = fixtureEvents.find((e) => e.type === 'run-started')!;
const layers = ['conv2d_1', 'conv2d_2', 'dense_1', 'dense_2', 'dense_3'];
/** Episode `episode` proposed with every layer at `bits` bits: 2 bits for episode 0, 3 for 1, 4 for 2. */
const propose = (episode: number, bits: number): RunEvent[] => [
  { type: 'episode-started', episode, phase: 'warmup' },
  ...layers.map((name, layer): RunEvent => ({ type: 'layer-chosen', episode, layer, choice: { name, bits, pruneRatio: 0.5, clusters: 0 } })),
];
const evaluating = (episode: number): RunEvent => ({ type: 'episode-evaluating', episode });
const finished = (episode: number): RunEvent => ({
  type: 'episode-finished', episode, phase: 'warmup', strategy: [], accuracy: 0.9, cost: 10_000, reward: 0.9, cached: false, seconds: 3,
  timings: { agent: 0, compress: 0, finetune: 3, evaluate: 0, other: 0 },
});
const tick = (now: number): ViewEvent => ({ type: 'tick', now });
const bitsOf = (s: ViewState, slot: 'current' | 'next') => s[slot]?.choices.map((c) => c?.bits ?? null);

// t = 0: episode 0 proposed and evaluated; t = 3 s: episode 1 proposed ahead and its evaluation begun; t = 4 s:
// episode 0 is learnt (its episode-finished not yet sent)
const ahead = reduceAll([tick(0), runStarted, ...propose(0, 2), evaluating(0), tick(3000), ...propose(1, 3), evaluating(1), tick(4000)]);

function frame(state: ViewState): string {
  const { lastFrame, unmount } = render(<CurrentEpisode state={state} width={60} />);
  unmount();
  return plain(lastFrame());
}

test('while episode 0 is learnt, the current episode is 0 with its 2-bit choices; episode 1, proposed ahead at 3 bits, is next', (t) => {
  t.is(ahead.current?.episode, 0);
  t.deepEqual(bitsOf(ahead, 'current'), [2, 2, 2, 2, 2]);
  t.is(ahead.next?.episode, 1);
  t.deepEqual(bitsOf(ahead, 'next'), [3, 3, 3, 3, 3]);
  // shown from 1: episode 1, 4 s since it started at t = 0; episodes 0 and 1 in flight
  const lines = frame(ahead).split('\n');
  t.is(lines[0], 'episode 1  warmup  4s  evaluating 1-2');
  t.regex(lines[2], /^conv2d_1\s+2\b/);
});

test('once episode 0 is stored, episode 1 is current, its time counted from there: 2 s later at t = 6 s', (t) => {
  const stored = reduceAll([finished(0), tick(6000)], ahead);
  t.is(stored.current?.episode, 1);
  t.deepEqual(bitsOf(stored, 'current'), [3, 3, 3, 3, 3]);
  t.is(stored.next, null);
  t.is(frame(stored).split('\n')[0], 'episode 2  warmup  2s  evaluating');
  // the next round: episode 2 proposed ahead of 1's learning is next, 1 stays current until it is stored
  const round2 = reduceAll([...propose(2, 4), evaluating(2)], stored);
  t.is(round2.current?.episode, 1);
  t.is(round2.next?.episode, 2);
  const stored2 = reduce(round2, finished(1));
  t.is(stored2.current?.episode, 2);
  t.deepEqual(bitsOf(stored2, 'current'), [4, 4, 4, 4, 4]);
});

test('without --learn-ahead nothing is in flight when an episode is proposed: it is current at once, and stored it leaves none', (t) => {
  const serial = reduceAll([tick(0), runStarted, ...propose(0, 2), evaluating(0), finished(0), ...propose(1, 3)]);
  t.is(serial.current?.episode, 1);
  t.is(serial.next, null);
  t.is(reduceAll([evaluating(1), finished(1)], serial).current, null);
});

test('batches of 2 (--workers 2): the batch proposed ahead (episodes 2 and 3) becomes current once 0 and 1 are stored, before the next batch is proposed', (t) => {
  const batch1 = reduceAll([tick(0), runStarted, ...propose(0, 2), ...propose(1, 3), evaluating(0), evaluating(1)]);
  t.is(batch1.current?.episode, 1);
  const ahead2 = reduceAll([...propose(2, 4), ...propose(3, 5), evaluating(2), evaluating(3)], batch1);
  t.is(ahead2.current?.episode, 1, 'the batch in flight stays current');
  t.is(ahead2.next?.episode, 3);
  // episode 0 stored: 1 is still in flight before the ahead batch
  t.is(reduce(ahead2, finished(0)).current?.episode, 1);
  // episode 1 stored: nothing before episode 2 is in flight, so the ahead batch (last proposed: 3, at 5 bits) is current
  const stored = reduceAll([finished(0), finished(1)], ahead2);
  t.is(stored.current?.episode, 3);
  t.deepEqual(bitsOf(stored, 'current'), [5, 5, 5, 5, 5]);
  t.is(stored.next, null);
  // the batch after it (4 and 5) waits in turn for 2 and 3
  const ahead3 = reduceAll([...propose(4, 6), ...propose(5, 7), evaluating(4), evaluating(5), finished(2)], stored);
  t.is(ahead3.current?.episode, 3, 'episode 3 still in flight: its batch stays current');
  t.is(ahead3.next?.episode, 5);
  t.is(reduce(ahead3, finished(3)).current?.episode, 5);
});
