import test from 'ava';
import type { EpisodeFinishedEvent, LayerChoice, RunEvent, RunStartedEvent } from '../../../run/events.js';
import {
  type ViewEvent,
  effectiveBits,
  elapsedSeconds,
  episodeCounter,
  etaSeconds,
  initialViewState,
  meanEpisodeSeconds,
  recentRollouts,
  reduce,
  rewardSeries,
} from '../../../cli/ui/state.js';
import { fixtureEvents, reduceAll, timed } from './fixture.js';
import { learningText } from '../../../cli/ui/learning-line.js';

const layers = ['conv2d_1', 'dense_1'];

function started(over: Partial<RunStartedEvent> = {}): RunStartedEvent {
  return {
    type: 'run-started',
    runId: 'r-1',
    model: 'lenet5',
    dataset: 'mnist',
    budget: { kind: 'size', limit: 1000, full: 8000, label: 'size <= 1 kB' },
    backend: 'cpu',
    seed: 1,
    agent: 'ddpg',
    episodes: 10,
    warmup: 2,
    layers,
    baselineAccuracy: 0.99,
    leftOut: [],
    resumedAt: 0,
    ...over,
  };
}

function choice(name: string, bits: number): LayerChoice {
  return { name, bits, pruneRatio: 0.5, clusters: 0 };
}

function finished(episode: number, seconds: number, over: Partial<EpisodeFinishedEvent> = {}): EpisodeFinishedEvent {
  return {
    type: 'episode-finished',
    episode,
    phase: 'warmup',
    strategy: layers.map((name) => choice(name, 4)),
    accuracy: 0.9,
    cost: 800,
    reward: 0.9,
    cached: false,
    seconds,
    timings: { agent: 0, compress: 0, finetune: seconds, evaluate: 0, other: 0 },
    ...over,
  };
}

const tick = (now: number): ViewEvent => ({ type: 'tick', now });

test('the ETA is the mean episode time after the first times the episodes left, less the time spent in the current one', (t) => {
  // Episodes of 90 s (the first: setup), 6 s and 10 s: mean of the two after the first 8 s; 7 of 10 left: 56 s.
  let state = reduceAll([tick(0), started(), finished(0, 90), finished(1, 6), finished(2, 10)]);
  t.is(meanEpisodeSeconds(state), 8);
  t.is(etaSeconds(state), 56);
  // Episode 4 started at 110 s; 3 s into it: 56 - 3 = 53 s.
  state = reduceAll([tick(110_000), { type: 'episode-started', episode: 3, phase: 'learning' }, tick(113_000)], state);
  t.is(etaSeconds(state), 53);
  t.is(elapsedSeconds(state), 113);
  t.is(episodeCounter(state), 4);
});

test('time spent in a running episode counts at most one mean episode', (t) => {
  // Mean 8 s after the first, 7 left; 30 s into episode 4 it still has the 6 episodes after it: 56 - 8 = 48 s.
  const state = reduceAll([
    tick(0),
    started(),
    finished(0, 90),
    finished(1, 6),
    finished(2, 10),
    { type: 'episode-started', episode: 3, phase: 'learning' },
    tick(30_000),
  ]);
  t.is(etaSeconds(state), 48);
});

test('no ETA from the first episode alone (a warm start measures the knapsack inside it), nor once the run has finished', (t) => {
  const before = reduceAll([tick(0), started()]);
  t.is(etaSeconds(before), null);
  // a 600 s warm-start episode 0 would otherwise say 600 x 9 = 1h30m
  const first = reduceAll([finished(0, 600)], before);
  t.is(meanEpisodeSeconds(first), null);
  t.is(etaSeconds(first), null);
  t.is(etaSeconds(reduceAll([finished(1, 6)], first)), 6 * 8);
  const after = reduceAll(
    [finished(1, 6), { type: 'run-finished', runId: 'r-1', status: 'stopped', episodes: 2, seconds: 7, best: null }],
    first,
  );
  t.is(etaSeconds(after), null);
  t.is(elapsedSeconds(after), 7);
});

test('batches of 4: the whole first batch carries the setup (4 x 30 s of a 120 s batch) and is left out; the next 4 of 5 s give 5 s x 2 left = 10 s', (t) => {
  let state = reduceAll([tick(0), started({ batch: 4 }), ...[0, 1, 2, 3].map((e) => finished(e, 30))]);
  t.is(etaSeconds(state), null);
  state = reduceAll([4, 5, 6, 7].map((e) => finished(e, 5)), state);
  t.is(meanEpisodeSeconds(state), 5);
  t.is(etaSeconds(state), 10);
  // resumed at 6 with batches of 2: episodes 6 and 7 are its first batch
  const resumed = reduceAll([started({ resumedAt: 6, batch: 2 }), finished(6, 40), finished(7, 40)]);
  t.is(etaSeconds(resumed), null);
  t.is(etaSeconds(reduceAll([finished(8, 3)], resumed)), 3);
});

test('a --time run takes the probe’s episode time until its second episode: 1 finished, 9 x 4 s + 30 s tail = 66 s', (t) => {
  const timeLimit = { seconds: 600, tailSeconds: 30, episodeSeconds: 4 };
  t.is(etaSeconds(reduceAll([tick(0), started({ timeLimit }), finished(0, 60)])), 66);
});

test('a resumed run counts its stored episodes and the ETA covers only the rest', (t) => {
  // 4 of 10 stored, warm-up of 2 is over; the session's first (20 s) left out, one 5 s episode after it: 4 x 5 = 20 s.
  const state = reduceAll([started({ resumedAt: 4 }), finished(4, 20, { phase: 'learning' }), finished(5, 5, { phase: 'learning' })]);
  t.is(state.completed, 6);
  t.is(state.phase, 'learning');
  t.is(etaSeconds(state), 20);
  t.is(reduce(initialViewState(0), started({ resumedAt: 1 })).phase, 'warmup');
});

test('episode-started clears the previous episode’s layer choices', (t) => {
  let state = reduceAll([
    started(),
    { type: 'episode-started', episode: 1, phase: 'warmup' },
    { type: 'layer-chosen', episode: 1, layer: 0, choice: choice('conv2d_1', 3) },
    { type: 'layer-chosen', episode: 1, layer: 1, choice: choice('dense_1', 5) },
  ]);
  t.deepEqual(state.current?.choices.map((c) => c?.bits ?? null), [3, 5]);
  state = reduceAll([finished(1, 6), { type: 'episode-started', episode: 2, phase: 'warmup' }], state);
  t.deepEqual(state.current?.choices, [null, null]);
  state = reduce(state, { type: 'layer-chosen', episode: 2, layer: 1, choice: choice('dense_1', 7) });
  t.deepEqual(state.current?.choices.map((c) => c?.bits ?? null), [null, 7]);
});

test('a layer choice for an episode the view did not see start starts that episode', (t) => {
  const state = reduceAll([
    tick(0),
    started(),
    { type: 'episode-started', episode: 1, phase: 'warmup' },
    tick(5000),
    { type: 'layer-chosen', episode: 2, layer: 0, choice: choice('conv2d_1', 6) },
  ]);
  t.is(state.current?.episode, 2);
  t.is(state.current?.startedAt, 5000);
  t.deepEqual(state.current?.choices.map((c) => c?.bits ?? null), [6, null]);
});

test('episode-finished ends the current episode and adds its row with the cost as a share of the limit', (t) => {
  const state = reduceAll([started(), { type: 'episode-started', episode: 1, phase: 'warmup' }, finished(1, 6)]);
  t.is(state.current, null);
  t.is(state.completed, 1);
  t.deepEqual(recentRollouts(state, 5), [
    { episode: 1, phase: 'warmup', accuracy: 0.9, cost: 800, costFraction: 0.8, reward: 0.9, cached: false, seconds: 6, best: false },
  ]);
});

test('best-improved marks its episode’s row whichever of the two events comes first', (t) => {
  const best = (episode: number): RunEvent => ({
    type: 'best-improved',
    episode,
    accuracy: 0.95,
    cost: 900,
    reward: 0.95,
    strategy: layers.map((name) => choice(name, 6)),
  });
  const afterRow = reduceAll([started(), finished(1, 6), finished(2, 6), best(1)]);
  t.deepEqual(recentRollouts(afterRow, 5).map((row) => row.best), [true, false]);
  t.is(afterRow.best?.episode, 1);
  const beforeRow = reduceAll([started(), best(1), finished(1, 6), finished(2, 6)]);
  t.deepEqual(recentRollouts(beforeRow, 5).map((row) => row.best), [true, false]);
});

test('run-finished keeps the best it carries and ends pause and the current episode', (t) => {
  const state = reduceAll([
    started(),
    { type: 'run-paused', paused: true },
    { type: 'episode-started', episode: 1, phase: 'warmup' },
    {
      type: 'run-finished',
      runId: 'r-1',
      status: 'completed',
      episodes: 1,
      seconds: 9,
      best: { type: 'best-improved', episode: 1, accuracy: 0.9, cost: 800, reward: 0.9, strategy: [] },
    },
  ]);
  t.is(state.status, 'completed');
  t.is(state.best?.episode, 1);
  t.false(state.paused);
  t.is(state.current, null);
});

test('the rollout window keeps the last n episodes, oldest first, while the series keeps all', (t) => {
  const state = reduceAll([started(), ...[1, 2, 3, 4, 5].map((e) => finished(e, 1, { reward: e / 10 }))]);
  t.deepEqual(recentRollouts(state, 3).map((row) => row.episode), [3, 4, 5]);
  t.deepEqual(recentRollouts(state, 0), []);
  t.deepEqual(rewardSeries(state), [0.1, 0.2, 0.3, 0.4, 0.5]);
});

test('log messages and episodes share one history in arrival order', (t) => {
  const state = reduceAll([
    { type: 'log', level: 'info', message: 'loading' },
    started(),
    finished(1, 1),
    { type: 'log', level: 'warn', message: 'slow' },
  ]);
  t.deepEqual(state.history.map((entry) => entry.kind), ['log', 'episode', 'log']);
});

test('reduce leaves the state it was given unchanged', (t) => {
  const before = reduceAll([started(), { type: 'episode-started', episode: 1, phase: 'warmup' }]);
  const copy = structuredClone(before);
  reduce(before, { type: 'layer-chosen', episode: 1, layer: 0, choice: choice('conv2d_1', 3) });
  reduce(before, finished(1, 6));
  t.deepEqual(before, copy);
});

test('the lenet5 fixture reduces to 12 completed episodes with the last one best', (t) => {
  const state = reduceAll(timed(fixtureEvents));
  t.is(state.status, 'completed');
  t.is(state.completed, 12);
  t.is(state.best?.episode, 11); // events count episodes from 0
  t.is(state.history.length, 14); // 12 episodes + 2 log messages
  t.deepEqual(
    recentRollouts(state, 12).filter((row) => row.best).map((row) => row.episode),
    [0, 5, 6, 7, 8, 10, 11],
  );
  t.deepEqual(
    recentRollouts(state, 12).filter((row) => row.cached).map((row) => row.episode),
    [9],
  );
});

test('effective bits count the cluster index width and the kept weights', (t) => {
  // 8 bits, no clustering, half pruned: 4.
  t.is(effectiveBits({ name: 'a', bits: 8, pruneRatio: 0.5, clusters: 0 }), 4);
  // 16 clusters need a 4-bit index, narrower than 8 bits; a quarter pruned: 3.
  t.is(effectiveBits({ name: 'a', bits: 8, pruneRatio: 0.25, clusters: 16 }), 3);
  // 64 clusters (6-bit index) do not widen 4-bit values: 4.
  t.is(effectiveBits({ name: 'a', bits: 4, pruneRatio: 0, clusters: 64 }), 4);
  // Half the channels kept: 8 x 0.5 = 4.
  t.is(effectiveBits({ name: 'a', bits: 8, pruneRatio: 0, clusters: 0, preserveRatio: 0.5 }), 4);
});

test('the learning line shows the latest reported diagnostics; an episode without them keeps the last ones', (t) => {
  let state = reduceAll([tick(0), started(), finished(0, 5)]);
  t.is(learningText(state), null);
  state = reduce(state, finished(1, 5, { phase: 'learning', criticLoss: 0.0012, meanQ: -0.004, sigma: 0.21, clamped: 1 }));
  t.is(learningText(state), 'learning after episode 2: critic loss 1.2e-3  mean Q -4.0e-3  sigma 0.210  wall clamped 1/2 layers');
  // a cached or baseline episode reports nothing: the line stays on episode 2
  state = reduce(state, finished(2, 5, { phase: 'learning' }));
  t.is(state.learning?.episode, 1);
});
