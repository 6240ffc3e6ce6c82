/**
 * A one-line progress bar for long non-search work (training a baseline, applying a strategy): redrawn in place on
 * a TTY (stderr), a plain line every 10% otherwise, nothing with --quiet or --json. Shows an ETA from the mean rate.
 */
import { formatDuration } from './ui/format.js';

export interface ProgressBar {
  update(done: number, note?: string): void;
  finish(note?: string): void;
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
