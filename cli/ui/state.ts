/**
 * What the live view knows about a run: a pure reducer over the run's events (`run/events.ts`) plus two events of the
 * view's own (`tick` carries the clock, `stop-requested` records that the user pressed q). Components only render a
 * `ViewState`; the plain reporter formats from it too. Nothing here reads the clock: time enters only through `tick`
 * and `initialViewState(now)`, so every number on screen can be checked by hand in a test.
 *
 * Derived numbers (ETA, series, the recent-rollout window) are selectors below, not stored fields, so they can never
 * disagree with the episode rows they come from.
 */

import { type SizedEpisode, smallestWithin } from '../../run/goal.js';
import type {
  BestImprovedEvent,
  LayerChoice,
  Phase,
  RunEvent,
  RunStartedEvent,
  RunStatus,
} from '../../run/events.js';

/** The view's clock: `now` in milliseconds (any monotonic-enough ms clock, usually Date.now()). */
export interface TickEvent {
  type: 'tick';
  now: number;
}

/** The user asked the run to stop (q or Ctrl+C); the run answers later with `run-finished`. */
export interface StopRequestedEvent {
  type: 'stop-requested';
}

export type ViewEvent = RunEvent | TickEvent | StopRequestedEvent;

/** The run's identity as `run-started` gives it (derived, so the two cannot drift apart). */
export type RunHeader = Omit<RunStartedEvent, 'type' | 'episodes' | 'best'>;

/** One finished episode as the tables and the per-episode lines show it. */
export interface EpisodeRow {
  episode: number;
  phase: Phase;
  accuracy: number;
  /** Realised cost in the budget's unit. */
  cost: number;
  /** The share of the budget used: the event's `budgetShare`, or cost / budget.limit (NaN with neither). */
  costFraction: number;
  reward: number;
  cached: boolean;
  seconds: number;
  /** This episode became the best so far (set by `best-improved`, whichever of the two events came first). */
  best: boolean;
}

/** The episode being decided: one slot per layer, `null` until its `layer-chosen` arrives. */
export interface CurrentEpisode {
  episode: number;
  phase: Phase;
  /** `now` when the episode started, in ms. */
  startedAt: number;
  choices: (LayerChoice | null)[];
}

/** What `<Static>` prints, in arrival order: one line per finished episode or log message. */
export type HistoryEntry =
  | { kind: 'episode'; row: EpisodeRow }
  | { kind: 'log'; level: 'info' | 'warn'; message: string };

/** `starting` until `run-started`, then the run's own status. */
export type ViewStatus = 'starting' | RunStatus;

export interface ViewState {
  /** The latest clock reading, in ms. */
  now: number;
  header: RunHeader | null;
  /** `now` when `run-started` arrived, in ms. */
  startedAt: number | null;
  /** Episodes the run will have when it completes (stored ones included). */
  total: number;
  /** Episodes finished, counting those stored before a resume. */
  completed: number;
  phase: Phase;
  /** The episode being proposed, evaluated or learnt: with --learn-ahead, the one whose evaluation began first. */
  current: CurrentEpisode | null;
  /**
   * --learn-ahead: the batch's episode proposed while the episodes before it are still evaluated or learnt (the last
   * one proposed, as `current` is for a batch); it becomes `current` once no episode before it is in flight.
   */
  next: CurrentEpisode | null;
  /** The first episode of the batch proposed ahead (its batch-mates are proposed after it): `next` waits for it. */
  nextFrom: number | null;
  /** Episodes whose strategy is being evaluated now (in-process, on worker threads or queue workers), ascending. */
  evaluating: number[];
  history: HistoryEntry[];
  best: BestImprovedEvent | null;
  paused: boolean;
  stopRequested: boolean;
  status: ViewStatus;
  /** Wall time of the whole run, from `run-finished`. */
  finishedSeconds: number | null;
  /** The latest episode's learning diagnostics (RL agents), null until one arrives. */
  learning: LearningState | null;
  /** --goal smallest (header.smallest): the smallest episode so far within the episodes' target, stored ones included. */
  smallest: SizedEpisode | null;
}

/** What the learning line shows: is the critic learning, how much noise is left, how often the wall steps in. */
export interface LearningState {
  episode: number;
  criticLoss: number | null;
  meanQ: number | null;
  sigma: number | null;
  clamped: number | null;
}

export function initialViewState(now: number): ViewState {
  return {
    now,
    header: null,
    startedAt: null,
    total: 0,
    completed: 0,
    phase: 'warmup',
    current: null,
    next: null,
    nextFrom: null,
    evaluating: [],
    history: [],
    best: null,
    paused: false,
    stopRequested: false,
    status: 'starting',
    finishedSeconds: null,
    learning: null,
    smallest: null,
  };
}

export function reduce(state: ViewState, event: ViewEvent): ViewState {
  switch (event.type) {
    case 'tick':
      return { ...state, now: event.now };
    case 'stop-requested':
      return { ...state, stopRequested: true };
    case 'run-started': {
      const { type: _type, episodes, best, ...header } = event;
      return {
        ...state,
        header,
        // a resumed run starts from its stored best
        best: best ?? state.best,
        startedAt: state.now,
        total: episodes,
        completed: event.resumedAt,
        phase: event.resumedAt < event.warmup ? 'warmup' : 'learning',
        current: null,
        next: null,
        nextFrom: null,
        evaluating: [],
        status: 'running',
        finishedSeconds: null,
        smallest: event.smallest?.found ?? null,
      };
    }
    case 'episode-evaluating':
      return state.evaluating.includes(event.episode)
        ? state
        : { ...state, evaluating: [...state.evaluating, event.episode].sort((a, b) => a - b) };
    case 'episode-started': {
      const started = { episode: event.episode, phase: event.phase, startedAt: state.now, choices: emptyChoices(state) };
      return isAhead(state, event.episode)
        ? { ...state, next: started, nextFrom: Math.min(state.nextFrom ?? event.episode, event.episode) }
        : { ...state, phase: event.phase, current: started };
    }
    case 'layer-chosen': {
      const slot = isAhead(state, event.episode) ? 'next' : 'current';
      // A layer of an episode we did not see start (e.g. the view attached mid-episode) starts it now.
      const episode =
        state[slot]?.episode === event.episode
          ? state[slot]!
          : { episode: event.episode, phase: state.phase, startedAt: state.now, choices: emptyChoices(state) };
      const choices = episode.choices.slice();
      while (choices.length <= event.layer) choices.push(null);
      choices[event.layer] = event.choice;
      return { ...state, [slot]: { ...episode, choices } };
    }
    case 'episode-finished': {
      const row: EpisodeRow = {
        episode: event.episode,
        phase: event.phase,
        accuracy: event.accuracy,
        cost: event.cost,
        costFraction: event.budgetShare ?? (state.header ? event.cost / state.header.budget.limit : Number.NaN),
        reward: event.reward,
        cached: event.cached,
        seconds: event.seconds,
        best: state.best?.episode === event.episode,
      };
      const evaluating = state.evaluating.filter((e) => e !== event.episode);
      // --learn-ahead: the batch proposed ahead is the current one once no episode before it is in flight; its time
      // counts from here, as its episodes' seconds do (from the end of the last batch's learning)
      const promote = state.next !== null && !evaluating.some((e) => e < (state.nextFrom ?? state.next!.episode));
      return {
        ...state,
        phase: promote ? state.next!.phase : event.phase,
        completed: state.completed + 1,
        // a batch's current episode (its last proposed) stays while it is still in flight
        current: promote ? { ...state.next!, startedAt: state.now } : state.current && evaluating.includes(state.current.episode) ? state.current : null,
        next: promote ? null : state.next,
        nextFrom: promote ? null : state.nextFrom,
        evaluating,
        history: [...state.history, { kind: 'episode', row }],
        smallest: smallestSoFar(state, event),
        learning: [event.criticLoss, event.meanQ, event.sigma].some((v) => typeof v === 'number')
          ? { episode: event.episode, criticLoss: event.criticLoss ?? null, meanQ: event.meanQ ?? null, sigma: event.sigma ?? null, clamped: event.clamped ?? null }
          : state.learning,
      };
    }
    case 'best-improved':
      return { ...state, best: event, history: markBest(state.history, event.episode) };
    case 'run-paused':
      return { ...state, paused: event.paused };
    case 'run-finished':
      return {
        ...state,
        status: event.status,
        finishedSeconds: event.seconds,
        best: event.best ?? state.best,
        current: null,
        next: null,
        nextFrom: null,
        evaluating: [],
        paused: false,
      };
    case 'log':
      return { ...state, history: [...state.history, { kind: 'log', level: event.level, message: event.message }] };
  }
}

/**
 * Whether `episode` is proposed ahead (--learn-ahead): an episode before it is still in flight, its evaluation begun
 * and its episode not finished. Without --learn-ahead a batch is proposed only after the one before finished, so
 * nothing is in flight then; with it, the batch after is proposed once the batch before has been evaluated, while
 * that one is learnt and stored.
 */
function isAhead(state: ViewState, episode: number): boolean {
  return state.evaluating.some((e) => e < episode);
}

/** The smallest within the episodes' target after `event` (run/goal.ts smallestWithin over the one found and it). */
function smallestSoFar(state: ViewState, event: { episode: number; accuracy: number; cost: number }): SizedEpisode | null {
  const goal = state.header?.smallest;
  if (!goal || !state.header) return state.smallest;
  return smallestWithin([...(state.smallest ? [state.smallest] : []), event], state.header.baselineAccuracy, goal.episodeDrop);
}

function emptyChoices(state: ViewState): (LayerChoice | null)[] {
  return (state.header?.layers ?? []).map(() => null);
}

function markBest(history: HistoryEntry[], episode: number): HistoryEntry[] {
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i];
    if (entry.kind === 'episode' && entry.row.episode === episode) {
      const next = history.slice();
      next[i] = { kind: 'episode', row: { ...entry.row, best: true } };
      return next;
    }
  }
  return history;
}

// ---- selectors ----

/** Finished episodes of this session, oldest first. */
export function episodeRows(state: ViewState): EpisodeRow[] {
  const rows: EpisodeRow[] = [];
  for (const entry of state.history) if (entry.kind === 'episode') rows.push(entry.row);
  return rows;
}

/** The last `n` finished episodes, oldest first. */
export function recentRollouts(state: ViewState, n: number): EpisodeRow[] {
  const rows = episodeRows(state);
  return n > 0 ? rows.slice(-n) : [];
}

export function rewardSeries(state: ViewState): number[] {
  return episodeRows(state).map((row) => row.reward);
}

export function accuracySeries(state: ViewState): number[] {
  return episodeRows(state).map((row) => row.accuracy);
}

/**
 * Mean wall time of the episodes finished in this session after its first batch (cached ones included), or null
 * before then. The first batch carries the session's setup: a warm start measures the knapsack's sensitivities inside
 * episode 0 (one such episode took minutes and showed an ETA of 1h37m), and the first evaluation compiles kernels;
 * a batch's wall time is shared by its episodes, so each of the batch carries its part of the setup.
 */
export function meanEpisodeSeconds(state: ViewState): number | null {
  const firstAfter = (state.header?.resumedAt ?? 0) + (state.header?.batch ?? 1);
  const rows = episodeRows(state).filter((row, i) => i > 0 && row.episode >= firstAfter);
  if (rows.length === 0) return null;
  return rows.reduce((sum, row) => sum + row.seconds, 0) / rows.length;
}

/**
 * Seconds left, or null when unknown (fewer than two episodes finished in this session) or the run is over.
 * ETA = mean episode time (meanEpisodeSeconds: the session's first batch left out) x episodes not yet finished -
 * time already spent in the current episode, where that time counts at most one mean (an episode running long does
 * not push the ETA below the remaining episodes' share). Cached episodes stay in the mean: later episodes will hit
 * the cache about as often. A --time run (header.timeLimit) adds the estimated re-rank and final stage, and until
 * its second episode takes the probe's episode time.
 */
export function etaSeconds(state: ViewState): number | null {
  if (state.status !== 'running') return null;
  const mean = meanEpisodeSeconds(state) ?? state.header?.timeLimit?.episodeSeconds ?? null;
  if (mean === null) return null;
  const remaining = Math.max(0, state.total - state.completed);
  const spent = state.current ? Math.max(0, (state.now - state.current.startedAt) / 1000) : 0;
  // a --time run's ETA is the whole run's, as its limit is: the re-rank and final stage after the last episode count
  const tail = state.header?.timeLimit?.tailSeconds ?? 0;
  return Math.max(0, mean * remaining - Math.min(spent, mean)) + tail;
}

/** Seconds since `run-started` by the view's clock (the run's own total once it has finished). */
export function elapsedSeconds(state: ViewState): number | null {
  if (state.finishedSeconds !== null) return state.finishedSeconds;
  return state.startedAt === null ? null : Math.max(0, (state.now - state.startedAt) / 1000);
}

/** Seconds spent in the current episode, or null between episodes. */
export function currentEpisodeSeconds(state: ViewState): number | null {
  return state.current ? Math.max(0, (state.now - state.current.startedAt) / 1000) : null;
}

/** The ordinal of the episode under way (finished count + 1, or + the episodes in flight when several are evaluated at
 * once), or the finished count between episodes. */
export function episodeCounter(state: ViewState): number {
  return Math.min(state.total, state.completed + Math.max(state.current ? 1 : 0, state.evaluating.length));
}

/** The best strategy's cost as a fraction of the budget's limit, or null with no best yet. */
export function bestBudgetFraction(state: ViewState): number | null {
  if (!state.best || !state.header) return null;
  return state.best.cost / state.header.budget.limit;
}

/** The best strategy's share of every budget of the run (one, or two), undefined where its cost against one was not
 * stored (a best from before costs were kept); null with no best yet. */
export function bestBudgetFractions(state: ViewState): Array<number | undefined> | null {
  const first = bestBudgetFraction(state);
  if (first === null || !state.header) return null;
  const all = state.header.budget.all ?? [state.header.budget];
  return all.map((b, i) => (i === 0 ? first : state.best!.costs?.[i] === undefined ? undefined : state.best!.costs![i] / b.limit));
}

/**
 * Approximate stored bits per weight of one layer's setting, for the per-layer bar: the bits of each kept value (the
 * cluster index, log2 of the cluster count, when clustering is narrower than `bits`) times the kept fraction of
 * weights. It ignores codebooks, sparsity masks and bucket scales; the budget bar shows the run's real cost.
 */
export function effectiveBits(choice: LayerChoice): number {
  const valueBits = choice.clusters > 0 ? Math.min(choice.bits, Math.max(1, Math.ceil(Math.log2(choice.clusters)))) : choice.bits;
  return valueBits * (1 - choice.pruneRatio) * (choice.preserveRatio ?? 1);
}
