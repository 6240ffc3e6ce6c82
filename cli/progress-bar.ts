/**
 * A one-line progress bar for long non-search work (training a baseline, applying a strategy): redrawn in place on
 * a TTY (stderr), a plain line every 10% otherwise, nothing with --quiet or --json. Shows an ETA from the rate after
 * the first update (stepEta).
 */
import { formatDuration } from './ui/format.js';

/** A progress reading: `done` steps at `seconds` on the bar's clock. */
export interface Reading {
  done: number;
  seconds: number;
}

/**
 * Seconds left, from the rate between the first reading and the latest, or NaN (shown as --) before a second
 * reading has moved on: the time up to the first step holds the setup (the final stage builds the model, and under
 * --goal smallest re-scores its candidates, before step 1; one run showed 3h00m after step 1 of 600), so the rate
 * is measured from the end of step 1, never from the bar's creation.
 */
export function stepEta(first: Reading | null, latest: Reading, total: number): number {
  if (!first || latest.done <= first.done) return Number.NaN;
  return ((latest.seconds - first.seconds) / (latest.done - first.done)) * Math.max(0, total - latest.done);
}

export interface ProgressBar {
  update(done: number, note?: string): void;
  finish(note?: string): void;
}

export function progressBar(label: string, total: number, opts: { silent?: boolean; stream?: NodeJS.WriteStream } = {}): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const start = performance.now();
  let lastDecile = -1;
  let first: Reading | null = null;
  const width = 30;
  const line = (done: number, note: string) => {
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const now: Reading = { done, seconds: (performance.now() - start) / 1000 };
    first ??= done > 0 ? now : null;
    const eta = stepEta(first, now, total);
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    return `${label} ${bar} ${String(Math.round(frac * 100)).padStart(3)}% ${done}/${total} ETA ${formatDuration(eta)}${note ? `  ${note}` : ''}`;
  };
  return {
    update(done, note = '') {
      if (opts.silent) return;
      if (tty) {
        stream.write(`\r${line(done, note)}\x1b[K`);
      } else {
        const decile = Math.floor((done / Math.max(total, 1)) * 10);
        if (decile > lastDecile) {
          lastDecile = decile;
          stream.write(`${line(done, note)}\n`);
        }
      }
    },
    finish(note = '') {
      if (opts.silent) return;
      const elapsed = formatDuration((performance.now() - start) / 1000);
      const text = `${label} done in ${elapsed}${note ? `  ${note}` : ''}`;
      stream.write(tty ? `\r${text}\x1b[K\n` : `${text}\n`);
    },
  };
}
