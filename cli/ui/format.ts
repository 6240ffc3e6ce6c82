/**
 * Small text formatters shared by the ink view and the plain reporter, so a number looks the same everywhere.
 * All are pure and locale-free (no toLocaleString: output must not depend on the machine).
 */

import type { BudgetKind } from '../../run/events.js';
import { formatBytes, formatCount, formatMs } from '../../units.js';

// The views' callers import sizes and counts from here with the other formatters; the one implementation is units.ts.
export { formatBytes, formatCount };

/**
 * An episode as people count it. Run events number episodes from 0 (run/search.ts loops from the stored count), the
 * views show them from 1, so the 12th of 12 reads `12/12`.
 */
export function formatEpisode(episode: number): string {
  return String(episode + 1);
}

/** Several episodes (0-based, ascending) as people count them: `5-7` when consecutive, else `5, 7, 9`. */
export function formatEpisodes(episodes: number[]): string {
  const consecutive = episodes.every((e, i) => i === 0 || e === episodes[i - 1] + 1);
  if (consecutive && episodes.length > 1) return `${formatEpisode(episodes[0])}-${formatEpisode(episodes[episodes.length - 1])}`;
  return episodes.map(formatEpisode).join(', ');
}

/** A duration in seconds as `42s`, `4m12s`, `3m05s` or `1h05m`; `--` when unknown (NaN, infinite, negative). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const total = Math.round(seconds);
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m${pad2(total % 60)}s`;
  const minutes = Math.round(total / 60);
  return `${Math.floor(minutes / 60)}h${pad2(minutes % 60)}m`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** A cost in its budget's unit: bytes for `size`, MACs for `flops`, bit-operations for `bitops`, ms for `latency`. */
export function formatCost(cost: number, kind: BudgetKind): string {
  switch (kind) {
    case 'size':
      return formatBytes(cost);
    case 'flops':
      return `${formatCount(cost)} MACs`;
    case 'bitops':
      return `${formatCount(cost)} bitops`;
    case 'latency':
      return formatMs(cost);
  }
}

/** A fraction as a percentage: `formatPercent(0.97213) === '97.21%'`. */
export function formatPercent(fraction: number, decimals = 2): string {
  if (!Number.isFinite(fraction)) return '--';
  return `${(fraction * 100).toFixed(decimals)}%`;
}

/** A reward with four decimals, the precision the agent's rewards differ at. */
export function formatReward(reward: number): string {
  return Number.isFinite(reward) ? reward.toFixed(4) : '--';
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/**
 * A horizontal bar of exactly `width` cells with `fraction` (clamped to [0, 1]) of them filled, to an eighth of a
 * cell: `bar(0.3, 10) === '███░░░░░░░'`, `bar(0.05, 10) === '▌░░░░░░░░░'`.
 */
export function bar(fraction: number, width: number): string {
  const cells = Math.max(0, Math.floor(width));
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const eighths = Math.round(f * cells * 8);
  const full = Math.floor(eighths / 8);
  const partial = EIGHTHS[eighths % 8];
  return '█'.repeat(full) + partial + '░'.repeat(cells - full - (partial ? 1 : 0));
}

/** `text` cut or right-padded to exactly `width` columns; a cut ends in `…`. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text.padEnd(width);
  return `${text.slice(0, width - 1)}…`;
}

/** `text` cut to at most `width` columns (no padding); a cut ends in `…`. */
export function clip(text: string, width: number): string {
  return text.length <= width ? text : fit(text, width);
}

/** `parts` joined by two spaces, leaving off trailing parts that would not fit in `width` (the first always shows). */
export function joinFitting(parts: readonly string[], width: number): string {
  let line = parts[0] ?? '';
  for (const part of parts.slice(1)) {
    if (line.length + 2 + part.length > width) break;
    line += `  ${part}`;
  }
  return clip(line, width);
}

/** A change of accuracy in points (percentage points), signed: `formatPoints(-0.35) === '-0.35 points'`, `+0.00` for none. */
export function formatPoints(change: number): string {
  return `${change < 0 ? '-' : '+'}${Math.abs(change).toFixed(2)} points`;
}

/** How many times smaller `cost` is than `full`: `formatRatio(20400, 178000) === '8.7x'`. */
export function formatRatio(cost: number, full: number): string {
  return cost > 0 && Number.isFinite(full) ? `${(full / cost).toFixed(1)}x` : '--';
}

/**
 * A --goal smallest run's words in place of its budget: `smallest within 0.5 points (episodes aim within 30.5)`, and
 * `, capped at size:40kB` when its --budget caps the size.
 */
export function smallestGoalText(goal: { maxDrop: number; episodeDrop: number; cap?: string | null }): string {
  return `smallest within ${goal.maxDrop} points (episodes aim within ${goal.episodeDrop})${goal.cap ? `, capped at ${goal.cap}` : ''}`;
}
