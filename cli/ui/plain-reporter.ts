/**
 * Plain-text progress for pipes and CI: one line per finished episode, plus lines for the run's start, a new best,
 * pauses, log messages and the finish. Lines are formatted from the `ViewState` the ink view uses, so both show the
 * same numbers; `createPlainReporter()` keeps that state for callers that only have events.
 */

import type { RunEvent } from '../../run/events.js';
import { formatBytes, formatCost, formatDuration, formatEpisode, formatPercent, formatReward, smallestGoalText } from './format.js';
import { type EpisodeRow, type HistoryEntry, type ViewState, etaSeconds, initialViewState, reduce } from './state.js';

/**
 * `[ 7/12] learning  acc 95.88%  cost 74.4% of budget  reward 0.9588` (+ `  cached` when the result was reused); a
 * --goal smallest run (`sized`), whose wall binds no setting, shows the size instead: `size 20.4 kB`.
 */
export function episodeLine(row: EpisodeRow, total: number, sized = false): string {
  const shown = formatEpisode(row.episode);
  const counter = `[${shown.padStart(String(total).length)}/${total}]`;
  const cached = row.cached ? '  cached' : '';
  return (
    `${counter} ${row.phase.padEnd(8)}  acc ${formatPercent(row.accuracy)}  ` +
    `${sized ? `size ${formatBytes(row.cost)}` : `cost ${formatPercent(row.costFraction, 1)} of budget`}  reward ${formatReward(row.reward)}${cached}`
  );
}

/** A log message: info as is, warnings prefixed. */
export function logLine(level: 'info' | 'warn', message: string): string {
  return level === 'warn' ? `warning: ${message}` : message;
}

/** The line `<Static>` prints for a history entry. */
export function historyLine(entry: HistoryEntry, total: number, sized = false): string {
  if (entry.kind === 'log') return logLine(entry.level, entry.message);
  const { row } = entry;
  return `${episodeLine(row, total, sized)}  ${formatDuration(row.seconds)}${row.best ? '  new best' : ''}`;
}

/**
 * The plain line for `event`, or null for events that print nothing (episode start, layer choices).
 * `state` is the view state AFTER reducing `event`.
 */
export function plainLine(event: RunEvent, state: ViewState): string | null {
  const header = state.header;
  const kind = header?.budget.kind ?? 'size';
  switch (event.type) {
    case 'run-started': {
      const resumed = event.resumedAt > 0 ? `, resuming after ${event.resumedAt} stored episodes` : '';
      return (
        `run ${event.runId}: ${event.model} on ${event.dataset}, ${event.smallest ? `goal ${smallestGoalText(event.smallest)}` : `budget ${event.budget.all ? event.budget.all.map((b) => b.label).join(' and ') : event.budget.label}`}, ` +
        `${event.episodes} episodes (${event.warmup} warm-up), agent ${event.agent}, backend ${event.backend}, ` +
        `seed ${event.seed}, baseline acc ${formatPercent(event.baselineAccuracy)}${resumed}` +
        (event.timeLimit ? `, time limit ${formatDuration(event.timeLimit.seconds)}` : '')
      );
    }
    case 'episode-finished': {
      const entry = state.history[state.history.length - 1];
      if (entry?.kind !== 'episode') return null;
      const best = state.best ? formatPercent(state.best.accuracy) : '--';
      return `${episodeLine(entry.row, state.total, Boolean(header?.smallest))}  best ${best}  ETA ${formatDuration(etaSeconds(state) ?? Number.NaN)}`;
    }
    case 'best-improved':
      // Indented under the phase column, as it usually follows its episode's line.
      return (
        `${' '.repeat(String(state.total).length * 2 + 4)}new best at episode ${formatEpisode(event.episode)}: acc ${formatPercent(event.accuracy)}  ` +
        `cost ${formatCost(event.cost, kind)}${budgetShare(event.cost, state)}  reward ${formatReward(event.reward)}`
      );
    case 'run-paused':
      return event.paused ? 'paused (p to resume)' : 'resumed';
    case 'log':
      return logLine(event.level, event.message);
    case 'run-finished': {
      const how = `${event.episodes} episodes in ${formatDuration(event.seconds)}`;
      const head =
        event.status === 'stopped'
          ? `run ${event.runId} stopped after ${how}; continue with: autoshrink resume ${event.runId}`
          : `run ${event.runId} ${event.status}: ${how}`;
      const best = event.best
        ? `best episode ${formatEpisode(event.best.episode)}: acc ${formatPercent(event.best.accuracy)}, ` +
          `${formatCost(event.best.cost, kind)}${budgetShare(event.best.cost, state)}, reward ${formatReward(event.best.reward)}`
        : 'no strategy evaluated';
      return `${head}; ${best}`;
    }
    case 'episode-started':
    case 'episode-evaluating':
    case 'layer-chosen':
      return null;
  }
}

/** ` (72.7% of budget)`; nothing for a --goal smallest run without a size cap (its wall binds no setting). */
function budgetShare(cost: number, state: ViewState): string {
  if (state.header?.smallest && !state.header.smallest.cap) return '';
  return ` (${state.header ? `${formatPercent(cost / state.header.budget.limit, 1)} of budget` : 'budget unknown'})`;
}

/**
 * A reporter that keeps its own view state: feed it every event, print what it returns. It needs no clock: its lines
 * are written at episode ends, where the ETA is the mean episode time x episodes left.
 */
export function createPlainReporter(): (event: RunEvent) => string | null {
  let state = initialViewState(0);
  return (event) => {
    state = reduce(state, event);
    return plainLine(event, state);
  };
}
