/**
 * The benchmarks' small-sample statistics (bench/stats.ts), on values a reader can check with a t table.
 */
import test from 'ava';
import { confidenceInterval, mean, pairedDifference, sampleStd, studentTCdf, studentTQuantile } from '../../bench/stats.js';

test('t(0.975, 4) = 2.776, the 95% quantile for 5 seeds', (t) => {
  t.is(Number(studentTQuantile(0.975, 4).toFixed(3)), 2.776);
});

test('t(0.975, 1) = 12.706 and t(0.975, 9) = 2.262 (tables), t(0.025, 4) = -2.776', (t) => {
  t.is(Number(studentTQuantile(0.975, 1).toFixed(3)), 12.706);
  t.is(Number(studentTQuantile(0.975, 9).toFixed(3)), 2.262);
  t.is(Number(studentTQuantile(0.025, 4).toFixed(3)), -2.776);
});

test('t(0.975, 2) = sqrt(2 * 0.95^2 / (1 - 0.95^2)) = 4.303, the closed form for 2 degrees of freedom', (t) => {
  t.true(Math.abs(studentTQuantile(0.975, 2) - Math.sqrt((2 * 0.95 ** 2) / (1 - 0.95 ** 2))) < 1e-9);
});

test('the t CDF of the Cauchy (1 degree of freedom) at 1 is 1/2 + atan(1)/pi = 0.75', (t) => {
  t.true(Math.abs(studentTCdf(1, 1) - 0.75) < 1e-15);
});

test('mean and sample sd of 1..5: 3 and sqrt(10 / 4) = 1.581', (t) => {
  t.is(mean([1, 2, 3, 4, 5]), 3);
  t.true(Math.abs(sampleStd([1, 2, 3, 4, 5]) - Math.sqrt(2.5)) < 1e-15);
});

test('95% CI of 1..5: 3 +- 2.776 * 1.581 / sqrt(5) = 3 +- 1.963, so [1.037, 4.963]', (t) => {
  const ci = confidenceInterval([1, 2, 3, 4, 5]);
  t.is(ci.n, 5);
  t.is(Number(ci.halfWidth.toFixed(3)), 1.963);
  t.is(Number(ci.low.toFixed(3)), 1.037);
  t.is(Number(ci.high.toFixed(3)), 4.963);
});

test('paired difference of [2, 3, 4, 5, 6.5] - [1..5]: differences 1, 1, 1, 1, 1.5, mean 1.1, sd 0.2236, half-width 2.776 * 0.1 = 0.278', (t) => {
  const d = pairedDifference([2, 3, 4, 5, 6.5], [1, 2, 3, 4, 5]);
  t.true(Math.abs(d.mean - 1.1) < 1e-12);
  t.is(Number(d.sd.toFixed(4)), 0.2236);
  t.is(Number(d.halfWidth.toFixed(3)), 0.278);
  t.true(d.low > 0, 'the interval [0.822, 1.378] is clear of 0');
});

test('pairing removes what the seeds share: [90, 95, 100] + 1 against [90, 95, 100] is +1 exactly, half-width 0', (t) => {
  const d = pairedDifference([91, 96, 101], [90, 95, 100]);
  t.is(d.mean, 1);
  t.is(d.halfWidth, 0);
  // unpaired, the same numbers give intervals of half-width t(0.975, 2) * 5 / sqrt(3) = 12.4 each
  t.true(confidenceInterval([91, 96, 101]).halfWidth > 12);
});

test('one value has a mean but no interval (half-width NaN); unequal paired samples are refused', (t) => {
  const ci = confidenceInterval([0.97]);
  t.is(ci.mean, 0.97);
  t.true(Number.isNaN(ci.halfWidth));
  t.throws(() => pairedDifference([1, 2], [1]), { instanceOf: RangeError });
});
