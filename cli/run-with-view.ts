/**
 * Drive a search with the right face: the ink live view on a TTY, plain progress lines in a pipe or CI, one JSON
 * event per line with --json. The same event stream feeds all three. q or Ctrl+C stops cleanly after (or by
 * discarding) the episode in flight; the run stays resumable.
 */
import { EventEmitter } from 'node:events';
import type { RunEvent } from '../run/events.js';
import type { SearchOptions, SearchResult } from '../run/search.js';
import { jsonLine } from './ui/json-reporter.js';
import { createPlainReporter } from './ui/plain-reporter.js';
import type { GlobalArgs } from './global-options.js';

export async function runWithView(
  args: GlobalArgs,
  start: (opts: Omit<SearchOptions, 'workdir' | 'backend'>) => Promise<SearchResult>,
): Promise<SearchResult> {
  const controller = new AbortController();
  const bus = new EventEmitter();
  let paused = false;
  let resumeWaiters: Array<() => void> = [];
  const waitWhilePaused = () => (paused ? new Promise<void>((r) => resumeWaiters.push(r)) : Promise.resolve());
  const stop = () => controller.abort();
  const togglePause = () => {
    paused = !paused;
    bus.emit('event', { type: 'run-paused', paused } satisfies RunEvent);
    if (!paused) {
      resumeWaiters.forEach((r) => r());
      resumeWaiters = [];
    }
  };
  let sigints = 0;
  const onSigint = () => {
    sigints++;
    if (sigints > 1) process.exit(130);
    if (!args.json && !args.quiet) process.stderr.write('\nstopping after this episode (Ctrl+C again to quit now; the run stays resumable)\n');
    paused = false;
    resumeWaiters.forEach((r) => r());
    stop();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  const live = !args.json && !args.quiet && process.stdout.isTTY && process.stdin.isTTY;
  let view: Promise<unknown> | null = null;
  if (live) {
    const { renderSearchView } = await import('./ui/render-search-view.js');
    view = renderSearchView({ subscribe: (fn) => { bus.on('event', fn); return () => bus.off('event', fn); } }, { onStop: () => { paused = false; resumeWaiters.forEach((r) => r()); stop(); }, onPause: togglePause });
  } else if (args.json) {
    bus.on('event', (e: RunEvent) => process.stdout.write(`${jsonLine(e)}\n`));
  } else {
    const plain = createPlainReporter();
    bus.on('event', (e: RunEvent) => {
      const line = plain(e);
      if (line !== null && (!args.quiet || e.type === 'run-finished')) process.stdout.write(`${line}\n`);
    });
  }
  try {
    const result = await start({ onEvent: (e) => bus.emit('event', e), signal: controller.signal, waitWhilePaused });
    await view;
    return result;
  } catch (e) {
    // close the live view before the error is printed
    bus.emit('event', { type: 'run-finished', runId: '', status: 'failed', episodes: 0, seconds: 0, best: null } satisfies RunEvent);
    await view?.catch(() => {});
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
