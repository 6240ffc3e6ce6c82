import test from 'ava';
import { render } from 'ink-testing-library';
import React from 'react';
import { CurrentEpisode } from '../../../cli/ui/current-episode.js';
import { formatEpisodes } from '../../../cli/ui/format.js';
import { Progress } from '../../../cli/ui/progress.js';
import { type ViewEvent, episodeCounter } from '../../../cli/ui/state.js';
import type { RunEvent } from '../../../run/events.js';
import { fixtureEvents, plain, reduceAll } from './fixture.js';

// The lenet5 fixture's run (5 layers, 12 episodes, 4 warm-up), then a batch of two episodes proposed at t = 0 and
// evaluated at once on two workers; the clock reads 3 s.
const runStarted = fixtureEvents.find((e) => e.type === 'run-started')!;
const layers = ['conv2d_1', 'conv2d_2', 'dense_1', 'dense_2', 'dense_3'];
const propose = (episode: number): RunEvent[] => [
  { type: 'episode-started', episode, phase: 'warmup' },
  ...layers.map((name, layer): RunEvent => ({ type: 'layer-chosen', episode, layer, choice: { name, bits: 4, pruneRatio: 0.5, clusters: 0 } })),
];
const finished = (episode: number): RunEvent => ({
  type: 'episode-finished', episode, phase: 'warmup', strategy: [], accuracy: 0.9, cost: 10_000, reward: 0.9, cached: false, seconds: 3,
  timings: { agent: 0, compress: 0, finetune: 3, evaluate: 0, other: 0 },
});
const tick = (now: number): ViewEvent => ({ type: 'tick', now });
const inFlight = reduceAll([
  tick(0), runStarted, ...propose(0), ...propose(1),
  { type: 'episode-evaluating', episode: 1 }, { type: 'episode-evaluating', episode: 0 }, tick(3000),
]);

function frame(element: React.ReactElement): string {
  const { lastFrame, unmount } = render(element);
  unmount();
  return plain(lastFrame());
}

test('episodes in flight are listed ascending, each once, whatever order their evaluations began in', (t) => {
  t.deepEqual(inFlight.evaluating, [0, 1]);
  t.deepEqual(reduceAll([{ type: 'episode-evaluating', episode: 1 }], inFlight).evaluating, [0, 1]);
  // a finished episode leaves the list; the other is still counted as under way: 1 done + 1 in flight = episode 2
  const oneDone = reduceAll([finished(0)], inFlight);
  t.deepEqual(oneDone.evaluating, [1]);
  t.is(episodeCounter(oneDone), 2);
  t.deepEqual(reduceAll([finished(1)], oneDone).evaluating, []);
});

test('the live view names every episode in flight: in the progress line and the current episode title', (t) => {
  // 0 of 12 done; episodes 1 and 2 (shown from 1) evaluating; no episode finished yet, so no ETA
  t.is(frame(<Progress state={inFlight} width={100} />), '░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░  episodes 1-2/12  warmup  elapsed 3s  ETA --');
  t.is(frame(<CurrentEpisode state={inFlight} width={40} />).split('\n')[0], 'episode 2  warmup  3s  evaluating 1-2');
});

test('episode lists read as ranges when consecutive, else one by one', (t) => {
  t.is(formatEpisodes([4, 5, 6]), '5-7');
  t.is(formatEpisodes([4, 6]), '5, 7');
  t.is(formatEpisodes([4]), '5');
});
