/**
 * A one-line progress bar for long non-search work (training a baseline, applying a strategy): redrawn in place on
 * a TTY (stderr), a plain line every 10% otherwise, nothing with --quiet or --json. Shows an ETA from the mean rate.
 */
export interface ProgressBar {
  update(done: number, note?: string): void;
  finish(note?: string): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function progressBar(label: string, total: number, opts: { silent?: boolean; stream?: NodeJS.WriteStream } = {}): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const start = performance.now();
  let lastDecile = -1;
  const width = 30;
  const line = (done: number, note: string) => {
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const elapsed = (performance.now() - start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : NaN;
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
