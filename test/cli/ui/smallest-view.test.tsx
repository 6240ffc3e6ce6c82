import test from 'ava';
import { render } from 'ink-testing-library';
import React from 'react';
import { Header } from '../../../cli/ui/header.js';
import { createPlainReporter } from '../../../cli/ui/plain-reporter.js';
import { SearchView } from '../../../cli/ui/search-view.js';
import { SmallestBar } from '../../../cli/ui/smallest-bar.js';
import { initialViewState, reduce, type ViewEvent } from '../../../cli/ui/state.js';
import type { EpisodeFinishedEvent, RunStartedEvent } from '../../../run/events.js';
import { plain } from './fixture.js';

// A --goal smallest run: fp32 100 kB, baseline 98%, --max-drop 0.5, episodes aiming within 30.5 points (68% or more).
// Its size:8bits wall (25 kB here) binds no setting, so the view shows the smallest found instead of a share of it.
function started(over: Partial<RunStartedEvent> = {}): RunStartedEvent {
  return {
    type: 'run-started',
    runId: 'r-small',
    model: 'mlp',
    dataset: 'mnist',
    budget: { kind: 'size', limit: 25_000, full: 100_000, label: 'size <= 8 bits/weight (25.0 kB)' },
    backend: 'wasm',
    seed: 1,
    agent: 'ddpg',
    episodes: 10,
    warmup: 2,
    layers: ['dense_1', 'dense_2'],
    baselineAccuracy: 0.98,
    leftOut: [],
    resumedAt: 0,
    smallest: { maxDrop: 0.5, episodeDrop: 30.5, found: null, cap: null },
    ...over,
  };
}

function finished(episode: number, accuracy: number, cost: number): EpisodeFinishedEvent {
  return {
    type: 'episode-finished',
    episode,
    phase: 'warmup',
    strategy: [
      { name: 'dense_1', bits: 4, pruneRatio: 0.9, clusters: 16 },
      { name: 'dense_2', bits: 4, pruneRatio: 0.5, clusters: 0 },
    ],
    accuracy,
    cost,
    budgetShare: cost / 25_000,
    reward: 1,
    cached: false,
    seconds: 2,
    timings: { agent: 0, compress: 0, finetune: 2, evaluate: 0, other: 0 },
  };
}

const reduceAll = (events: ViewEvent[], state = initialViewState(0)) => events.reduce(reduce, state);

function frame(element: React.ReactElement): string {
  const { lastFrame, unmount } = render(element);
  unmount();
  return plain(lastFrame());
}

test('before an episode within the target the line says so, and the header names the drops instead of the wall', (t) => {
  // 5 kB at 60%: 38 points down, outside the episodes' 30.5
  const state = reduceAll([started(), finished(0, 0.6, 5000)]);
  t.is(state.smallest, null);
  t.is(frame(<SmallestBar state={state} width={100} />), 'smallest  none within 30.5 points of the baseline yet (the episodes\' target)');
  t.is(frame(<Header state={state} width={100} />).split('\n')[1], 'goal smallest within 0.5 points (episodes aim within 30.5)  baseline acc 98.00%');
});

test('the smallest within the target so far: 12.5 kB of 100 kB is 12.5% of fp32 and 8.0x smaller, at 75% against 98%: -23.00 points', (t) => {
  // 20 kB at 70% (-28, within), then 12.5 kB at 75% (-23, within, smaller), then 40 kB at 90% (within, larger: kept out)
  const state = reduceAll([started(), finished(0, 0.6, 5000), finished(1, 0.7, 20_000), finished(2, 0.75, 12_500), finished(3, 0.9, 40_000)]);
  t.deepEqual(state.smallest, { episode: 2, accuracy: 0.75, cost: 12_500 });
  // 20 cells at width 100 (the episode left off to fit), its share of fp32 12.5% of 20 = 2.5 cells; 16 at width 96
  t.is(frame(<SmallestBar state={state} width={100} />), `smallest  ██▌${'░'.repeat(17)}  12.5 kB est., 8.0x smaller than fp32  acc 75.00%, -23.00 points`);
});

test('a resumed run starts from the smallest its stored episodes found, and a larger new one does not replace it', (t) => {
  const state = reduceAll([started({ resumedAt: 6, smallest: { maxDrop: 0.5, episodeDrop: 30.5, found: { episode: 5, accuracy: 0.72, cost: 10_000 }, cap: null } }), finished(6, 0.95, 30_000)]);
  // 10% of 20 cells: 2 full; the screen is 132 wide, so the episode shows
  const screen = frame(<SearchView state={state} width={132} />).split('\n');
  t.true(screen.includes(`smallest  ██${'░'.repeat(18)}  10.0 kB est., 10.0x smaller than fp32  acc 72.00%, -26.00 points  episode 6`));
});

test('the whole screen of a smallest run shows the smallest line where a budget run shows its budget bar', (t) => {
  const state = reduceAll([started(), finished(0, 0.7, 20_000)]);
  const screen = frame(<SearchView state={state} width={132} />);
  t.false(screen.split('\n').some((line) => line.startsWith('budget')));
  // the episode's line and its row of the recent episodes give its size, not its share of the 25 kB wall (80%)
  t.true(screen.split('\n').includes('[ 1/10] warmup    acc 70.00%  size 20.0 kB  reward 1.0000  2s'));
  t.true(screen.includes('  ep  phase     accuracy     size   reward'));
  t.true(screen.includes('   1  warmup      70.00%  20.0 kB   1.0000'));
  t.false(screen.includes('80.0%'));
  t.true(screen.split('\n').includes(`smallest  ████${'░'.repeat(16)}  20.0 kB est., 5.0x smaller than fp32  acc 70.00%, -28.00 points  episode 1`));
});

test('the plain lines of a smallest run name the drops in place of the wall', (t) => {
  const line = createPlainReporter()(started());
  t.is(line, 'run r-small: mlp on mnist, goal smallest within 0.5 points (episodes aim within 30.5), 10 episodes (2 warm-up), agent ddpg, backend wasm, seed 1, baseline acc 98.00%');
});

test('a smallest run capped by --budget size:20kB names its cap, and its new-best lines keep their share of it: 12.5 of 20 kB = 62.5%', (t) => {
  const cap = 'size <= 20.0 kB';
  const capped = started({ budget: { kind: 'size', limit: 20_000, full: 100_000, label: cap }, smallest: { maxDrop: 0.5, episodeDrop: 30.5, found: null, cap } });
  // at 100 columns the baseline, last, is left off to fit
  t.is(frame(<Header state={reduceAll([capped])} width={100} />).split('\n')[1], 'goal smallest within 0.5 points (episodes aim within 30.5), capped at size <= 20.0 kB');
  const best = { type: 'best-improved' as const, episode: 0, accuracy: 0.75, cost: 12_500, reward: 1.875, strategy: [] };
  const plainCapped = createPlainReporter();
  plainCapped(capped);
  plainCapped(finished(0, 0.75, 12_500));
  t.is(plainCapped(best), '        new best at episode 1: acc 75.00%  cost 12.5 kB (62.5% of budget)  reward 1.8750');
  // without a cap the share of the 25 kB wall that binds nothing is left out
  const plainFree = createPlainReporter();
  plainFree(started());
  plainFree(finished(0, 0.75, 12_500));
  t.is(plainFree(best), '        new best at episode 1: acc 75.00%  cost 12.5 kB  reward 1.8750');
});
