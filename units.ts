/**
 * Sizes and counts as text. A leaf module like errors.ts: every folder may import it, it imports nothing, so env/
 * (budget labels and errors) and cli/ (the views and reporters) print a number the same way.
 * Locale-free on purpose (no toLocaleString): output must not depend on the machine.
 */

/** Three significant digits: 1.23, 12.3, 123. */
function threeDigits(x: number): string {
  if (x < 9.995) return x.toFixed(2);
  if (x < 99.95) return x.toFixed(1);
  return x.toFixed(0);
}

/** Bytes with SI prefixes (1 kB = 1000 B) and three significant digits: `512 B`, `16.2 kB`, `1.23 MB`. */
export function formatBytes(bytes: number): string {
  return scaled(bytes, ['B', 'kB', 'MB', 'GB', 'TB'], ' ');
}

/** A count with SI suffixes and three significant digits: `950`, `1.23k`, `45.6M`, `7.89G`. */
export function formatCount(n: number): string {
  return scaled(n, ['', 'k', 'M', 'G', 'T'], '');
}

/** Milliseconds with three significant digits: `0.412 ms`, `3.21 ms`, `12.3 ms`, `1234 ms`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '--';
  if (Math.abs(ms) < 1) return `${ms.toFixed(3)} ms`;
  if (Math.abs(ms) >= 1000) return `${ms.toFixed(0)} ms`;
  return `${ms < 0 ? '-' : ''}${threeDigits(Math.abs(ms))} ms`;
}

function scaled(value: number, units: string[], sep: string): string {
  if (!Number.isFinite(value)) return '--';
  const sign = value < 0 ? '-' : '';
  let x = Math.abs(value);
  if (Math.round(x) < 1000) return `${sign}${Math.round(x)}${sep}${units[0]}`.trimEnd();
  let unit = 0;
  // Round before choosing the unit so 999.96 kB prints as 1.00 MB, not 1000 kB.
  while (unit < units.length - 1 && Number(threeDigits(x)) >= 1000) {
    x /= 1000;
    unit++;
  }
  return `${sign}${threeDigits(x)}${sep}${units[unit]}`;
}
