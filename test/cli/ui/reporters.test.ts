import test from 'ava';
import type { RunEvent } from '../../../run/events.js';
import { jsonLine } from '../../../cli/ui/json-reporter.js';
import { createPlainReporter, plainLine } from '../../../cli/ui/plain-reporter.js';
import { initialViewState, reduce } from '../../../cli/ui/state.js';
import { fixtureEvents } from './fixture.js';

test('the plain reporter prints the lenet5 run as one line per episode plus start, bests, pauses, logs and finish', (t) => {
  const report = createPlainReporter();
  const lines = fixtureEvents.map(report).filter((line) => line !== null);
  // No ETA after episode 1 (its time holds the setup); after episode 2: 8.90 s x 10 episodes left = 89 s; after
  // episode 3: (8.90 + 6.99) / 2 x 9 = 71.5 s (episode 1 stays out of the mean).
  t.deepEqual(lines, [
    'model lenet5 loaded from .autoshrink/models/lenet5 (cached baseline)',
    'run r-3f9c2a1e: lenet5 on mnist, budget size <= 3 bits/weight (17.5 kB), 12 episodes (4 warm-up), agent ddpg, backend wasm, seed 42, baseline acc 98.92%',
    '[ 1/12] warmup    acc 95.70%  cost 97.5% of budget  reward 0.9570  best --  ETA --',
    '        new best at episode 1: acc 95.70%  cost 17.1 kB (97.5% of budget)  reward 0.9570',
    '[ 2/12] warmup    acc 95.29%  cost 96.3% of budget  reward 0.9529  best 95.70%  ETA 1m29s',
    '[ 3/12] warmup    acc 94.87%  cost 80.0% of budget  reward 0.9487  best 95.70%  ETA 1m12s',
    '[ 4/12] warmup    acc 94.78%  cost 82.9% of budget  reward 0.9478  best 95.70%  ETA 1m03s',
    '[ 5/12] learning  acc 93.24%  cost 90.2% of budget  reward 0.9324  best 95.70%  ETA 55s',
    '[ 6/12] learning  acc 95.76%  cost 91.5% of budget  reward 0.9576  best 95.70%  ETA 48s',
    '        new best at episode 6: acc 95.76%  cost 16.0 kB (91.5% of budget)  reward 0.9576',
    'warning: fine-tune loss rose for 3 steps; kept the best checkpoint',
    '[ 7/12] learning  acc 95.88%  cost 74.4% of budget  reward 0.9588  best 95.76%  ETA 40s',
    '        new best at episode 7: acc 95.88%  cost 13.0 kB (74.4% of budget)  reward 0.9588',
    '[ 8/12] learning  acc 96.66%  cost 90.4% of budget  reward 0.9666  best 95.88%  ETA 32s',
    '        new best at episode 8: acc 96.66%  cost 15.8 kB (90.4% of budget)  reward 0.9666',
    'paused (p to resume)',
    'resumed',
    '[ 9/12] learning  acc 96.85%  cost 91.7% of budget  reward 0.9685  best 96.66%  ETA 24s',
    '        new best at episode 9: acc 96.85%  cost 16.1 kB (91.7% of budget)  reward 0.9685',
    '[10/12] learning  acc 95.88%  cost 74.4% of budget  reward 0.9588  cached  best 96.85%  ETA 14s',
    '[11/12] learning  acc 97.25%  cost 82.8% of budget  reward 0.9725  best 96.85%  ETA 7s',
    '        new best at episode 11: acc 97.25%  cost 14.5 kB (82.8% of budget)  reward 0.9725',
    '[12/12] learning  acc 97.45%  cost 72.7% of budget  reward 0.9745  best 97.25%  ETA 0s',
    '        new best at episode 12: acc 97.45%  cost 12.7 kB (72.7% of budget)  reward 0.9745',
    'run r-3f9c2a1e completed: 12 episodes in 1m29s; best episode 12: acc 97.45%, 12.7 kB (72.7% of budget), reward 0.9745',
  ]);
});

test('a stopped run’s last line says how to continue it', (t) => {
  const runStarted = fixtureEvents[1];
  const stopped: RunEvent = { type: 'run-finished', runId: 'r-3f9c2a1e', status: 'stopped', episodes: 3, seconds: 200, best: null };
  const state = reduce(reduce(initialViewState(0), runStarted), stopped);
  t.is(
    plainLine(stopped, state),
    'run r-3f9c2a1e stopped after 3 episodes in 3m20s; continue with: autoshrink resume r-3f9c2a1e; no strategy evaluated',
  );
});

test('a resumed run says how many episodes were stored', (t) => {
  const runStarted = fixtureEvents[1];
  if (runStarted.type !== 'run-started') throw new Error('fixture: expected run-started second');
  const resumed = { ...runStarted, resumedAt: 5 };
  t.true(plainLine(resumed, reduce(initialViewState(0), resumed))!.endsWith('baseline acc 98.92%, resuming after 5 stored episodes'));
});

test('episode starts and layer choices print nothing in plain mode', (t) => {
  const report = createPlainReporter();
  const quiet = fixtureEvents.filter((e) => e.type === 'episode-started' || e.type === 'layer-chosen');
  t.true(quiet.length > 0);
  t.true(quiet.every((e) => report(e) === null));
});

test('the JSON reporter writes each event as one line that parses back to the same event', (t) => {
  for (const event of fixtureEvents) {
    const line = jsonLine(event);
    t.false(line.includes('\n'));
    t.deepEqual(JSON.parse(line), event);
  }
  t.is(
    jsonLine({ type: 'layer-chosen', episode: 1, layer: 0, choice: { name: 'conv2d_1', bits: 2, pruneRatio: 0.15, clusters: 64 } }),
    '{"type":"layer-chosen","episode":1,"layer":0,"choice":{"name":"conv2d_1","bits":2,"pruneRatio":0.15,"clusters":64}}',
  );
});
