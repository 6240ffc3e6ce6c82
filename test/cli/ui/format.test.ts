import test from 'ava';
import {
  bar,
  clip,
  fit,
  formatBytes,
  formatCost,
  formatCount,
  formatDuration,
  formatEpisode,
  formatPercent,
  formatReward,
  joinFitting,
} from '../../../cli/ui/format.js';

test('durations read as seconds, minutes and seconds, or hours and minutes', (t) => {
  t.is(formatDuration(0), '0s');
  t.is(formatDuration(42.4), '42s');
  t.is(formatDuration(59.6), '1m00s');
  t.is(formatDuration(252), '4m12s');
  t.is(formatDuration(185), '3m05s');
  t.is(formatDuration(3900), '1h05m');
  t.is(formatDuration(Number.NaN), '--');
  t.is(formatDuration(-1), '--');
});

test('bytes use SI prefixes with three significant digits', (t) => {
  t.is(formatBytes(512), '512 B');
  t.is(formatBytes(999.6), '1.00 kB');
  t.is(formatBytes(17515), '17.5 kB');
  t.is(formatBytes(177704), '178 kB');
  t.is(formatBytes(1234567), '1.23 MB');
  t.is(formatBytes(999_960), '1.00 MB');
});

test('counts and costs follow the budget kind', (t) => {
  t.is(formatCount(950), '950');
  t.is(formatCount(45_600_000), '45.6M');
  t.is(formatCost(17515, 'size'), '17.5 kB');
  t.is(formatCost(2_300_000, 'flops'), '2.30M MACs');
  t.is(formatCost(7.89e9, 'bitops'), '7.89G bitops');
});

test('episodes are shown counting from 1, events count from 0', (t) => {
  t.is(formatEpisode(0), '1');
  t.is(formatEpisode(11), '12');
});

test('percentages and rewards have fixed decimals', (t) => {
  t.is(formatPercent(0.97213), '97.21%');
  t.is(formatPercent(0.98312, 1), '98.3%');
  t.is(formatReward(0.97213), '0.9721');
  t.is(formatReward(-0.5), '-0.5000');
});

test('a bar is exactly its width, filled to the nearest eighth of a cell', (t) => {
  t.is(bar(0, 4), '░░░░');
  t.is(bar(0.5, 4), '██░░');
  t.is(bar(1, 4), '████');
  t.is(bar(2, 4), '████');
  t.is(bar(0.05, 10), '▌░░░░░░░░░'); // 0.05 x 10 cells = 4 eighths
  t.is(bar(0.3, 10), '███░░░░░░░');
  t.is(bar(Number.NaN, 3), '░░░');
});

test('text fits a width by padding or cutting with an ellipsis', (t) => {
  t.is(fit('abc', 5), 'abc  ');
  t.is(fit('abcdef', 4), 'abc…');
  t.is(clip('abc', 5), 'abc');
  t.is(clip('abcdef', 4), 'abc…');
  t.is(joinFitting(['best', 'episode 8', 'acc 96.66%'], 20), 'best  episode 8');
  t.is(joinFitting(['a-long-first-part'], 5), 'a-lo…');
});
