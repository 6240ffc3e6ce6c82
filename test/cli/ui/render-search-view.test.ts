import test from 'ava';
import { stripVTControlCharacters } from 'node:util';
import type { RunEvent, RunStartedEvent } from '../../../run/events.js';
import { renderSearchView } from '../../../cli/ui/render-search-view.js';
import { FakeStdin, FakeStdout } from './fake-terminal.js';
import { fixtureEvents } from './fixture.js';

const runStarted = fixtureEvents.find((e): e is RunStartedEvent => e.type === 'run-started')!;
const noop = () => {};

function terminal() {
  const stdout = new FakeStdout(100, 60);
  const stdin = new FakeStdin();
  return { stdout, stdin, io: { stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream } };
}

const screen = (stdout: FakeStdout) => stripVTControlCharacters(stdout.writes.join(''));
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

test('a burst of events is drawn once, and the view unmounts with the final state at run-finished', async (t) => {
  const { stdout, io } = terminal();
  let unsubscribed = false;
  const source = {
    subscribe(listener: (event: RunEvent) => void) {
      for (const event of fixtureEvents) listener(event);
      return () => {
        unsubscribed = true;
      };
    },
  };
  const state = await renderSearchView(source, { onStop: noop, onPause: noop, now: () => 0, ...io });
  t.is(state.status, 'completed');
  t.is(state.completed, 12);
  t.true(unsubscribed);
  // The first frame (before any event) and the final one; none for the 97 events in between.
  const frames = stdout.writes.filter((w) => w.includes('autoshrink  '));
  t.deepEqual(
    frames.map((w) => stripVTControlCharacters(w).trim().split('\n')[0]),
    ['autoshrink  starting…', 'autoshrink  run r-3f9c2a1e  lenet5 on mnist  agent ddpg  backend wasm  seed 42'],
  );
  // Finished episodes went out once each, above the live area.
  t.is(screen(stdout).split('\n').filter((line) => line.startsWith('[ 7/12]')).length, 1);
});

test('q asks the run to stop and the view says so until run-finished', async (t) => {
  const { stdout, stdin, io } = terminal();
  let stops = 0;
  let pauses = 0;
  let stopAsked = () => {};
  const asked = new Promise<void>((resolve) => (stopAsked = resolve));
  async function* run(): AsyncGenerator<RunEvent> {
    yield runStarted;
    yield { type: 'episode-started', episode: 1, phase: 'warmup' };
    await asked;
    await tick();
    yield { type: 'run-finished', runId: runStarted.runId, status: 'stopped', episodes: 0, seconds: 1, best: null };
  }
  const done = renderSearchView(run(), {
    onStop: () => {
      stops++;
      stopAsked();
    },
    onPause: () => pauses++,
    maxFps: 1000,
    ...io,
  });
  await tick();
  stdin.press('p');
  await tick();
  stdin.press('q');
  const state = await done;
  t.is(pauses, 1);
  t.is(stops, 1);
  t.true(state.stopRequested);
  t.is(state.status, 'stopped');
  const shown = screen(stdout);
  t.true(shown.includes('stopping after this episode…'));
  t.true(shown.includes('stopped; continue with: autoshrink resume r-3f9c2a1e'));
});

test('Ctrl+C asks to stop, and a second Ctrl+C force-quits', async (t) => {
  const { stdin, io } = terminal();
  const calls: string[] = [];
  let finish = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  async function* run(): AsyncGenerator<RunEvent> {
    yield runStarted;
    await finished;
    yield { type: 'run-finished', runId: runStarted.runId, status: 'stopped', episodes: 0, seconds: 1, best: null };
  }
  const done = renderSearchView(run(), {
    onStop: () => calls.push('stop'),
    onPause: () => calls.push('pause'),
    onForceQuit: () => {
      calls.push('quit');
      finish();
    },
    ...io,
  });
  await tick();
  stdin.press('\u0003');
  await tick();
  stdin.press('\u0003');
  await done;
  t.deepEqual(calls, ['stop', 'quit']);
});

test('an event source that fails unmounts the view and rejects with its error', async (t) => {
  const { io } = terminal();
  async function* run(): AsyncGenerator<RunEvent> {
    yield runStarted;
    throw new Error('store is locked');
  }
  await t.throwsAsync(renderSearchView(run(), { onStop: noop, onPause: noop, ...io }), { message: 'store is locked' });
});

test('an async source that ends without run-finished still unmounts', async (t) => {
  const { io } = terminal();
  async function* run(): AsyncGenerator<RunEvent> {
    yield runStarted;
  }
  const state = await renderSearchView(run(), { onStop: noop, onPause: noop, ...io });
  t.is(state.status, 'running');
});
