import test from 'ava';
import { smallestLines } from '../../cli/smallest-lines.js';
import { ConfigError } from '../../errors.js';
import { parseRunConfig, parseStoredConfig } from '../../run/config.js';
import { EPISODE_RECOVERY_POINTS } from '../../run/goal.js';
import { envConfig } from '../../run/environment.js';
import { bisectSmallest, confirmation, screenBySize, type SizedStrategy, withinDrop } from '../../run/final/smallest.js';

/** Seven strategies of 10..70 bytes, smallest first, with held-out accuracies that fall as they shrink. */
const seven: SizedStrategy[] = [10, 20, 30, 40, 50, 60, 70].map((bytes, i) => ({ episode: i, bytes, accuracy: 0.9 }));
const heldOut = [0.9, 0.93, 0.95, 0.971, 0.975, 0.98, 0.985];
const scoreOf = (accuracies: number[], seen: number[]) => async (s: SizedStrategy) => {
  seen.push(s.bytes);
  return accuracies[s.episode];
};

test('within 0.5 points of 98%: 97.5% is within (the edge counts), 97.49% is not', (t) => {
  t.true(withinDrop(0.975, 0.98, 0.5));
  t.false(withinDrop(0.9749, 0.98, 0.5));
  t.true(withinDrop(0.98, 0.98, 0));
});

test('the smallest within 0.5 points of 98% among 7 strategies: 50 bytes (97.5%), found in ceil(log2 8) = 3 re-scores (40 over, 60 within, 50 within)', async (t) => {
  const seen: number[] = [];
  const { rows, met } = await bisectSmallest(seven, scoreOf(heldOut, seen), 0.98, 0.5);
  t.true(met);
  t.deepEqual(seen, [40, 60, 50]);
  t.deepEqual(rows.map((r) => [r.bytes, r.withinDrop, r.chosen]), [[40, false, false], [60, true, false], [50, true, true]]);
});

test('a drop of 2 points of 98% (at least 96%): 40 bytes at 97.1%, after 40 within, 20 (93%) over, 30 (95%) over', async (t) => {
  const seen: number[] = [];
  const { rows } = await bisectSmallest(seven, scoreOf(heldOut, seen), 0.98, 2);
  t.deepEqual(seen, [40, 20, 30]);
  t.is(rows.find((r) => r.chosen)?.bytes, 40);
});

test('a drop no strategy meets (0 points of 99%) climbs to the largest and finishes the closest: 70 bytes at 98.5%, marked as missed', async (t) => {
  const seen: number[] = [];
  const { rows, met } = await bisectSmallest(seven, scoreOf(heldOut, seen), 0.99, 0);
  t.false(met);
  t.deepEqual(seen, [40, 60, 70]);
  t.is(rows.find((r) => r.chosen)?.bytes, 70);
  t.is(rows.filter((r) => r.chosen).length, 1);
});

test('the screen keeps the strategies within the episodes\' drop of their baseline, smallest first: 98% - 2.5 points = 95.5%', (t) => {
  const strategies: SizedStrategy[] = [
    { episode: 0, bytes: 300, accuracy: 0.97 },
    { episode: 1, bytes: 100, accuracy: 0.9 },
    { episode: 2, bytes: 200, accuracy: 0.955 },
    { episode: 3, bytes: 150, accuracy: 0.954 },
  ];
  t.deepEqual(screenBySize(strategies, 0.98, 2.5).map((s) => s.bytes), [200, 300]);
  t.deepEqual(screenBySize(strategies, 0.999, 0).map((s) => s.bytes), [100, 150, 200, 300], 'none passing: every strategy, by size');
});

test('the test confirms the pick within 0.5 points: 98.50% against 99.00% is confirmed, 98.45% is not (and not re-chosen)', (t) => {
  const choice = { maxDrop: 0.5, met: true, heldOut: { split: 'holdout' as const, images: 1000, baseline: 0.98 }, screened: 7, rows: [] };
  t.deepEqual(confirmation(choice, { accuracy: 0.985, baseline: 0.99 }), { confirmed: true, testDrop: 100 * (0.99 - 0.985) });
  t.false(confirmation(choice, { accuracy: 0.9845, baseline: 0.99 }).confirmed);
});

test('the summary shows the size found against the accuracy kept, and says when the drop was missed and not confirmed', (t) => {
  const report = {
    maxDrop: 0.5,
    met: false,
    heldOut: { split: 'holdout' as const, images: 1000, baseline: 0.98 },
    screened: 7,
    rows: [{ episode: 6, bytes: 7000, accuracy: 0.9, heldOutAccuracy: 0.97, withinDrop: false, chosen: true }],
    confirmed: false,
    testDrop: 1.2,
  };
  const lines = smallestLines(report, { packedBytes: 5000, ratio: 50, testAccuracy: 0.978, baselineTestAccuracy: 0.99 });
  t.true(lines.includes('  * episode   7  est.  7.00 kB  held out 97.00% (-1.00 points)  over'), lines.join('\n'));
  t.true(lines.some((l) => l.startsWith('  no re-scored strategy stayed within 0.5 points')));
  t.is(lines.at(-1), 'found: model.ashk 5.00 kB, 50.0x smaller; test 97.80% against 99.00%, -1.20 points: NOT confirmed: the test drop exceeds 0.5 points (reported as is; the pick is not re-chosen)');
});

test('--goal smallest defaults: bits,prune,clusters, prune 0-0.98, clusters 4-64, within-drop, size:8bits, no fill, no references; a flag given wins', (t) => {
  const c = parseRunConfig({ goal: 'smallest', maxDrop: 0.5 });
  t.deepEqual(c.knobs, ['bits', 'prune', 'clusters']);
  t.deepEqual(c.pruneBounds, [0, 0.98]);
  t.deepEqual(c.clusterBounds, [4, 64]);
  t.is(c.reward, 'within-drop');
  t.is(c.budget, 'size:8bits');
  t.false(c.fill);
  t.false(c.references);
  t.deepEqual(parseRunConfig({ goal: 'smallest', pruneBounds: [0, 0.9] }).pruneBounds, [0, 0.9]);
  t.deepEqual(parseRunConfig({}).pruneBounds, [0, 0.9], 'the budget goal keeps its ranges');
  t.is(envConfig(c).maxDrop, (0.5 + EPISODE_RECOVERY_POINTS) / 100, 'the episodes aim at the drop plus what the final recovers, as a fraction');
  t.is(envConfig(parseRunConfig({ reward: 'within-drop', maxDrop: 0.5 })).maxDrop, 0.005, 'the budget goal: 0.5 points = 0.005');
  t.is(envConfig(parseRunConfig({ goal: 'smallest', maxDrop: 0.5, episodeDrop: 75 })).maxDrop, 0.75, '--episode-drop 75: the episodes aim at 75 points');
});

test('--goal smallest refuses in one line a budget that is not size, another reward, or the channels knob', (t) => {
  const refused = (input: Record<string, unknown>) => t.throws(() => parseRunConfig({ goal: 'smallest', ...input }, 'flags'), { instanceOf: ConfigError })?.message;
  t.is(refused({ budget: 'flops:0.5' }), '--goal smallest takes a size budget as its wall, not --budget flops:0.5 (give size:8bits, the default, or a size cap such as size:40kB)');
  t.is(refused({ reward: 'accuracy' }), '--goal smallest ranks episodes by the within-drop reward, not --reward accuracy (drop --reward)');
  t.is(refused({ knobs: ['bits', 'channels'] }), '--goal smallest searches bits, prune and clusters, not --knobs channels (drop channels from --knobs)');
  t.throws(() => parseRunConfig({ maxDrop: 101 }), { instanceOf: ConfigError });
  t.is(t.throws(() => parseRunConfig({ episodeDrop: 75 }, 'flags'))?.message, '--episode-drop 75 applies to --goal smallest only (add --goal smallest, or drop --episode-drop)');
});

test('a run stored before --goal keeps its meaning: --max-drop 0.01 (a fraction then) loads as 1 point, goal budget', (t) => {
  const stored = { ...parseRunConfig({ reward: 'within-drop' }), maxDrop: 0.01 } as Record<string, unknown>;
  delete stored.goal;
  const c = parseStoredConfig(stored, 'r1');
  t.is(c.goal, 'budget');
  t.is(c.maxDrop, 1);
  t.is(envConfig(c).maxDrop, 0.01);
  t.is(parseStoredConfig({ ...parseRunConfig({ goal: 'smallest', maxDrop: 0.5 }) }, 'r2').maxDrop, 0.5, 'a run stored with --goal is in points already');
});
