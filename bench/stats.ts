/**
 * Small-sample statistics for the benchmarks: mean, sample standard deviation, Student-t confidence intervals and the
 * paired difference of two methods run on the same seeds. n = 5 seeds is the main case, where the normal 1.96 would
 * understate the interval by 30% (t(0.975, 4) = 2.776).
 *
 * The t quantile is exact (up to bisection to 1e-12): the CDF of Student's t with an integer number of degrees of
 * freedom has a closed form (Abramowitz & Stegun 26.7.3 / 26.7.4, a finite series in cos(theta),
 * theta = atan(t / sqrt(df))), and the quantile is found by bisecting it.
 *   npx tsx bench/stats.ts --self-check     prints known values and exits 1 if any is off
 */
import { pathToFileURL } from 'node:url';

export function mean(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (divides by n - 1); NaN for fewer than 2 values. */
export function sampleStd(xs: number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** P(T <= t) for Student's t with `df` (a positive integer) degrees of freedom, A&S 26.7.3 / 26.7.4. */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`degrees of freedom must be a positive integer, got ${df}`);
  const theta = Math.atan(t / Math.sqrt(df));
  const c2 = Math.cos(theta) ** 2;
  let a: number; // A(t|df) = P(|T| <= |t|), signed with t
  if (df % 2 === 1) {
    // odd: (2/pi) (theta + sin cos (1 + 2/3 c^2 + 2*4/(3*5) c^4 + ... up to c^(df-3)))
    let term = 1;
    let series = df > 1 ? 1 : 0;
    for (let k = 3; k <= df - 2; k += 2) {
      term *= ((k - 1) / k) * c2;
      series += term;
    }
    a = (2 / Math.PI) * (theta + Math.sin(theta) * Math.cos(theta) * series);
  } else {
    // even: sin (1 + 1/2 c^2 + 1*3/(2*4) c^4 + ... up to c^(df-2))
    let term = 1;
    let series = 1;
    for (let k = 2; k <= df - 2; k += 2) {
      term *= ((k - 1) / k) * c2;
      series += term;
    }
    a = Math.sin(theta) * series;
  }
  return 0.5 + a / 2;
}

/** The p-quantile of Student's t with `df` degrees of freedom (e.g. p = 0.975, df = 4: 2.776). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  while (hi - lo > 1e-12 * Math.max(1, hi)) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface Interval {
  n: number;
  mean: number;
  /** Sample standard deviation (NaN for n < 2). */
  sd: number;
  /** Half-width of the two-sided interval: t((1 + level) / 2, n - 1) * sd / sqrt(n); NaN for n < 2. */
  halfWidth: number;
  low: number;
  high: number;
  level: number;
}

/** Two-sided Student-t confidence interval of the mean (default 95%). [1, 2, 3, 4, 5]: 3 +- 2.776 * 1.581 / sqrt(5) = 3 +- 1.963. */
export function confidenceInterval(xs: number[], level = 0.95): Interval {
  const n = xs.length;
  const m = mean(xs);
  const sd = sampleStd(xs);
  const halfWidth = n < 2 ? Number.NaN : (studentTQuantile((1 + level) / 2, n - 1) * sd) / Math.sqrt(n);
  return { n, mean: m, sd, halfWidth, low: m - halfWidth, high: m + halfWidth, level };
}

/** Interval of the mean of a[i] - b[i] (the same seed i for both methods): the paired comparison. */
export function pairedDifference(a: number[], b: number[], level = 0.95): Interval {
  if (a.length !== b.length) throw new RangeError(`paired samples need equal lengths, got ${a.length} and ${b.length}`);
  return confidenceInterval(
    a.map((x, i) => x - b[i]),
    level,
  );
}

function selfCheck(): boolean {
  const checks: Array<[string, number, number, number]> = [
    // [what, computed, expected (standard tables), tolerance]
    ['t(0.975, 1)', studentTQuantile(0.975, 1), 12.7062, 1e-4],
    ['t(0.975, 2) = sqrt(2 * 0.95^2 / (1 - 0.95^2))', studentTQuantile(0.975, 2), Math.sqrt((2 * 0.95 ** 2) / (1 - 0.95 ** 2)), 1e-9],
    ['t(0.975, 4)  (n = 5 seeds)', studentTQuantile(0.975, 4), 2.7764, 1e-4],
    ['t(0.975, 9)', studentTQuantile(0.975, 9), 2.2622, 1e-4],
    ['t(0.975, 30)', studentTQuantile(0.975, 30), 2.0423, 1e-4],
    ['t(0.995, 4)', studentTQuantile(0.995, 4), 4.6041, 1e-4],
    ['t(0.975, 100000) -> normal 1.95996', studentTQuantile(0.975, 100000), 1.95996, 1e-4],
    ['t(0.025, 4) = -t(0.975, 4)', studentTQuantile(0.025, 4), -2.7764, 1e-4],
    ['CDF(0, 7) = 0.5', studentTCdf(0, 7), 0.5, 1e-15],
    ['CDF(1, 1) = 0.75 (Cauchy: 1/2 + atan(1)/pi)', studentTCdf(1, 1), 0.75, 1e-15],
    ['mean [1..5]', mean([1, 2, 3, 4, 5]), 3, 0],
    ['sd [1..5] = sqrt(10 / 4)', sampleStd([1, 2, 3, 4, 5]), Math.sqrt(2.5), 1e-15],
    ['95% CI half-width of [1..5] = 2.776 * 1.581 / 2.236', confidenceInterval([1, 2, 3, 4, 5]).halfWidth, 1.9632, 1e-4],
    // differences 1, 1, 1, 1, 1.5: mean 1.1, sd sqrt(0.05) = 0.2236, se 0.1, half-width 0.2776
    ['paired mean of [2,3,4,5,6.5] - [1..5]', pairedDifference([2, 3, 4, 5, 6.5], [1, 2, 3, 4, 5]).mean, 1.1, 1e-12],
    ['paired half-width', pairedDifference([2, 3, 4, 5, 6.5], [1, 2, 3, 4, 5]).halfWidth, 0.27764, 1e-4],
  ];
  let ok = true;
  for (const [what, got, want, tol] of checks) {
    const pass = Math.abs(got - want) <= tol;
    ok &&= pass;
    process.stdout.write(`${pass ? 'ok  ' : 'FAIL'} ${what}: ${got.toFixed(6)} (expected ${want.toFixed(6)})\n`);
  }
  const ci = confidenceInterval([1, 2, 3, 4, 5]);
  process.stdout.write(`CI of [1, 2, 3, 4, 5]: ${ci.mean} +- ${ci.halfWidth.toFixed(3)} -> [${ci.low.toFixed(3)}, ${ci.high.toFixed(3)}]\n`);
  const nan = confidenceInterval([0.97]);
  const pass = nan.n === 1 && Number.isNaN(nan.halfWidth);
  ok &&= pass;
  process.stdout.write(`${pass ? 'ok  ' : 'FAIL'} one value: mean 0.97, no interval (half-width NaN)\n`);
  return ok;
}

/** Ranks from 1, ties sharing their mean rank. */
export function ranks(xs: number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let t = i; t <= j; t++) r[order[t][1]] = (i + j) / 2 + 1; // ties share their mean rank
    i = j + 1;
  }
  return r;
}
/** Pearson's correlation; NaN when either side is constant. */
export function pearson(a: number[], b: number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : NaN;
}
/** Spearman's rank correlation: Pearson's over the ranks. */
export function spearman(a: number[], b: number[]): number {
  return pearson(ranks(a), ranks(b));
}

if (process.argv.includes('--self-check') && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ok = selfCheck();
  process.stdout.write(ok ? 'self-check passed\n' : 'self-check FAILED\n');
  process.exitCode = ok ? 0 : 1;
}
