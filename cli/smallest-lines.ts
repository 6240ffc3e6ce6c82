/**
 * The lines of a `--goal smallest` result, shared by the closing lines of `search` / `resume` and `runs show`: the
 * re-scored strategies, then the size found against the accuracy kept, e.g.
 *   smallest within 0.5 points: held-out accuracy on the 1000 holdout images (baseline 98.10%), 5 of 31 strategies re-scored
 *       episode  40  est. 12.0 kB  held out 97.20% (-0.90 points)  over
 *     * episode  17  est. 20.4 kB  held out 97.90% (-0.20 points)  within
 *   found: model.ashk 19.8 kB, 13.2x smaller; test 98.60% against 98.95%, -0.35 points: confirmed within 0.5 points
 */
import type { SmallestReport } from '../run/final/final.js';
import { type SizedEpisode, sizeCap, smallestWithin, withinDrop } from '../run/goal.js';
import type { RunBaseline } from '../run/store/records.js';
import { formatBytes, formatEpisode, formatPercent, formatPoints, formatRatio, smallestGoalText } from './ui/format.js';

const points = (drop: number) => formatPoints(-drop);

export function smallestLines(s: SmallestReport, final: { packedBytes: number; ratio: number; testAccuracy: number; baselineTestAccuracy: number }): string[] {
  const images = s.heldOut.split === 'holdout' ? `the ${s.heldOut.images} holdout images` : `the ${s.heldOut.images} validation images (the run holds none out)`;
  const rows = s.rows.map(
    (r) =>
      `  ${r.chosen ? '*' : ' '} episode ${String(r.episode + 1).padStart(3)}  est. ${formatBytes(r.bytes).padStart(8)}  held out ${formatPercent(r.heldOutAccuracy)} (${points(100 * (s.heldOut.baseline - r.heldOutAccuracy))})  ${r.withinDrop ? 'within' : 'over'}`,
  );
  const kept = `test ${formatPercent(final.testAccuracy)} against ${formatPercent(final.baselineTestAccuracy)}, ${points(s.testDrop)}`;
  const verdict = s.confirmed ? `confirmed within ${s.maxDrop} points` : `NOT confirmed: the test drop exceeds ${s.maxDrop} points (reported as is; the pick is not re-chosen)`;
  return [
    '',
    `smallest within ${s.maxDrop} points: held-out accuracy on ${images} (baseline ${formatPercent(s.heldOut.baseline)}), ${s.rows.length} of ${s.screened} strategies re-scored (* = finished):`,
    ...rows,
    ...(s.met ? [] : [`  no re-scored strategy stayed within ${s.maxDrop} points on the held-out images: the closest is finished instead`]),
    `found: model.ashk ${formatBytes(final.packedBytes)}, ${final.ratio.toFixed(1)}x smaller; ${kept}: ${verdict}`,
  ];
}

/**
 * A --goal smallest run in the budget column of `runs list` and `runs compare`, e.g. `smallest within 0.5 points`, or
 * `smallest within 0.5 points, capped at size:20kB` when its --budget caps the size (its default size:8bits wall binds nothing,
 * so its limit would say nothing of the run).
 */
export function smallestColumn(goal: { maxDrop: number; wall: string }): string {
  const cap = sizeCap(goal.wall);
  return `smallest within ${goal.maxDrop} points${cap ? `, capped at ${cap}` : ''}`;
}

/**
 * What a stored --goal smallest run asked and found during its search, in place of a budget run's budget line, e.g.
 *   goal smallest within 0.5 points (episodes aim within 30.5); its size:8bits wall binds no setting
 * (`, capped at size:40kB` instead when its --budget caps the size)
 *   smallest so far within 30.5 points: episode 17, est. 20.4 kB, 8.7x smaller than fp32 178 kB; validation 68.20% against 98.92%, -30.72 points (12 of 40 episodes within)
 * From the stored episodes (cost: model.ashk bytes at fixed width, as the size wall counts them) and the baseline
 * the run stored when it started (runs stored before it: sizes and accuracies without the comparison).
 */
export function smallestSearchLines(
  goal: { maxDrop: number; episodeDrop: number; wall: string },
  episodes: readonly SizedEpisode[],
  baseline: RunBaseline | null,
): string[] {
  const cap = sizeCap(goal.wall);
  const head = `goal ${smallestGoalText({ ...goal, cap })}${cap ? '' : `; its ${goal.wall} wall binds no setting`}`;
  if (!baseline) {
    const smallest = episodes.reduce<SizedEpisode | null>((a, e) => (a === null || e.cost < a.cost ? e : a), null);
    const what = smallest ? `smallest episode ${formatEpisode(smallest.episode)}: est. ${formatBytes(smallest.cost)}, validation ${formatPercent(smallest.accuracy)}` : 'no episode yet';
    return [head, `${what} (the run stored no baseline: made before autoshrink stored one, so no drop or ratio)`];
  }
  const found = smallestWithin(episodes, baseline.accuracy, goal.episodeDrop);
  const within = episodes.filter((e) => withinDrop(e.accuracy, baseline.accuracy, goal.episodeDrop)).length;
  const count = `(${within} of ${episodes.length} episodes within)`;
  if (!found) return [head, `smallest so far within ${goal.episodeDrop} points: none yet ${count}, baseline validation ${formatPercent(baseline.accuracy)}`];
  return [
    head,
    `smallest so far within ${goal.episodeDrop} points: episode ${formatEpisode(found.episode)}, est. ${formatBytes(found.cost)}, ${formatRatio(found.cost, baseline.full)} smaller than fp32 ${formatBytes(baseline.full)}; ` +
      `validation ${formatPercent(found.accuracy)} against ${formatPercent(baseline.accuracy)}, ${formatPoints(100 * (found.accuracy - baseline.accuracy))} ${count}`,
  ];
}
