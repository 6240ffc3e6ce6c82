import { render, useStdout } from 'ink';
import type { RunEvent } from '../../run/events.js';
import type { ChartSeries } from './reward-chart.js';
import { SearchView } from './search-view.js';
import { type ViewEvent, type ViewState, initialViewState, reduce } from './state.js';
import { useKeys } from './use-keys.js';

/** Something that calls `listener` with each event; it may return an unsubscribe function. */
export interface RunEventSubscription {
  subscribe(listener: (event: RunEvent) => void): (() => void) | void;
}

export type RunEventSource = AsyncIterable<RunEvent> | RunEventSubscription;

export interface RenderSearchViewOptions {
  /** The user asked to stop (q, or the first Ctrl+C): stop after the current episode, keep the run resumable. */
  onStop: () => void;
  /** The user pressed p: toggle pause. The run confirms with `run-paused`. */
  onPause: () => void;
  /** Ctrl+C after a stop was asked: the user will not wait. Default: exit with 130, as an unhandled SIGINT would
   * (ink holds the terminal in raw mode, so the terminal's own Ctrl+C sends no signal). */
  onForceQuit?: () => void;
  /** Redraws per second at most (default 10). */
  maxFps?: number;
  /** The view's clock in ms (default Date.now). */
  now?: () => number;
  chart?: ChartSeries;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
}

interface LiveProps {
  state: ViewState;
  onStop: () => void;
  onPause: () => void;
  onForceQuit?: () => void;
  chart?: ChartSeries;
}

function LiveSearchView({ state, onStop, onPause, onForceQuit, chart }: LiveProps) {
  useKeys(onStop, onPause, onForceQuit);
  const { stdout } = useStdout();
  return <SearchView state={state} width={stdout.columns || 80} height={stdout.rows || undefined} chart={chart} />;
}

/**
 * Show a run live until its `run-finished` (or the end of an async source), then unmount; resolves with the final
 * view state. Events are reduced as they come; the screen is redrawn at most `maxFps` times a second, and once a
 * second without events so elapsed time and ETA move.
 */
export function renderSearchView(source: RunEventSource, options: RenderSearchViewOptions): Promise<ViewState> {
  const now = options.now ?? Date.now;
  const interval = 1000 / (options.maxFps ?? 10);
  const stdout = options.stdout ?? process.stdout;
  let state = initialViewState(now());
  // The throttle runs on the real clock, whatever `now` says (a replay may run the view's clock fast).
  let lastDraw = Number.NEGATIVE_INFINITY;
  let pending: NodeJS.Timeout | undefined;
  let done = false;

  const onStop = () => {
    state = reduce(state, { type: 'stop-requested' });
    schedule();
    options.onStop();
  };
  const onForceQuit = options.onForceQuit ?? (() => process.exit(130));
  const element = () => (
    <LiveSearchView state={state} onStop={onStop} onPause={options.onPause} onForceQuit={onForceQuit} chart={options.chart} />
  );
  // ink fills in process.stdin/stderr only for keys that are absent, not for keys set to undefined.
  const instance = render(element(), {
    stdout,
    ...(options.stdin && { stdin: options.stdin }),
    ...(options.stderr && { stderr: options.stderr }),
    exitOnCtrlC: false,
    maxFps: options.maxFps ?? 10,
    // Not incrementalRendering: in ink 6.8 it leaves stale lines behind when <Static> prints (seen in tmux).
  });

  function draw() {
    pending = undefined;
    lastDraw = performance.now();
    instance.rerender(element());
  }
  function schedule() {
    if (done || pending) return;
    pending = setTimeout(draw, Math.max(0, lastDraw + interval - performance.now()));
  }
  const ticker = setInterval(() => dispatch({ type: 'tick', now: now() }), 1000);
  stdout.on('resize', schedule);

  let unsubscribe: (() => void) | void = undefined;
  let resolveDone: (state: ViewState) => void = () => {};
  let rejectDone: (error: unknown) => void = () => {};
  const finished = new Promise<ViewState>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });

  function finish(error?: unknown) {
    if (done) return;
    done = true;
    clearInterval(ticker);
    clearTimeout(pending);
    stdout.off('resize', schedule);
    unsubscribe?.();
    instance.rerender(element());
    instance.unmount();
    instance.waitUntilExit().then(
      () => (error === undefined ? resolveDone(state) : rejectDone(error)),
      rejectDone,
    );
  }

  function dispatch(event: ViewEvent) {
    if (done) return;
    if (event.type !== 'tick') state = reduce(state, { type: 'tick', now: now() });
    state = reduce(state, event);
    if (event.type === 'run-finished') finish();
    else schedule();
  }

  if (Symbol.asyncIterator in source) {
    (async () => {
      for await (const event of source) {
        dispatch(event);
        if (done) break;
      }
    })().then(
      () => finish(),
      (error: unknown) => finish(error ?? new Error('event source failed')),
    );
  } else {
    unsubscribe = source.subscribe(dispatch);
    // A source that delivered run-finished synchronously inside subscribe() finished before unsubscribe was set.
    if (done) unsubscribe?.();
  }
  return finished;
}
