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

/** The ink view: a terminal on both ends, and neither --json nor --quiet. */
export function usesLiveView(args: GlobalArgs): boolean {
  return !args.json && !args.quiet && Boolean(process.stdout.isTTY) && Boolean(process.stdin.isTTY);
}

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

  // The live view mounts on the first event, so that a bad model, dataset or flag found while loading prints its
  // one error line on a clean screen instead of below an empty dashboard.
  const ui: { view: Promise<unknown> | null } = { view: null };
  if (usesLiveView(args)) {
    const { renderSearchView } = await import('./ui/render-search-view.js');
    const onStop = () => {
      paused = false;
      resumeWaiters.forEach((r) => r());
      stop();
    };
    const mount = (first: RunEvent) => {
      bus.off('event', mount);
      const subscribe = (fn: (e: RunEvent) => void) => {
        fn(first);
        bus.on('event', fn);
        return () => bus.off('event', fn);
      };
      ui.view = renderSearchView({ subscribe }, { onStop, onPause: togglePause });
    };
    bus.on('event', mount);
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
    await ui.view;
    return result;
  } catch (e) {
    // close the live view before the error is printed (only the view: plain and --json output must not show a
    // made-up run-finished record; the search emits its own when a run had started)
    if (ui.view) {
      bus.emit('event', { type: 'run-finished', runId: '', status: 'failed', episodes: 0, seconds: 0, best: null } satisfies RunEvent);
      await ui.view.catch(() => {});
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
