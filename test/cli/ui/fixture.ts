/**
 * The recorded lenet5 event stream (test/fixtures/events/lenet5-small.ndjson: 5 layers, 12 episodes, 4 of them
 * warm-up) and a clock for it: each event is preceded by a tick, layer choices come 100 ms apart, and an episode
 * ends `seconds` after it started, so elapsed times and ETAs in the views are the ones a real run would show.
 */

import { readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import type { RunEvent } from '../../../run/events.js';
import { type ViewEvent, type ViewState, initialViewState, reduce } from '../../../cli/ui/state.js';

export const fixtureEvents: RunEvent[] = readFileSync(
  new URL('../../fixtures/events/lenet5-small.ndjson', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as RunEvent);

/** `events` with a tick (ms, starting at `start`) before each one. */
export function timed(events: readonly RunEvent[], start = 0): ViewEvent[] {
  const out: ViewEvent[] = [];
  let now = start;
  let episodeStart = start;
  for (const event of events) {
    if (event.type === 'episode-started') episodeStart = now;
    if (event.type === 'layer-chosen') now += 100;
    if (event.type === 'episode-finished') now = episodeStart + Math.round(event.seconds * 1000);
    out.push({ type: 'tick', now }, event);
  }
  return out;
}

export function reduceAll(events: readonly ViewEvent[], state: ViewState = initialViewState(0)): ViewState {
  return events.reduce(reduce, state);
}

/** The view state after the first `n` fixture events (timed), optionally `extraMs` later. */
export function fixtureState(n: number, extraMs = 0): ViewState {
  const state = reduceAll(timed(fixtureEvents.slice(0, n)));
  return extraMs ? reduce(state, { type: 'tick', now: state.now + extraMs }) : state;
}

/** Index just past the first event matching `pred` (so `fixtureState(after(...))` includes it). */
export function after(pred: (event: RunEvent) => boolean): number {
  const i = fixtureEvents.findIndex(pred);
  if (i < 0) throw new Error('no such fixture event');
  return i + 1;
}

/** A frame without colours, so assertions do not depend on the terminal's colour support. */
export function plain(frame: string | undefined): string {
  return stripVTControlCharacters(frame ?? '');
}
