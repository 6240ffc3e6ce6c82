/**
 * The lines of a `--goal smallest` result, shared by the closing lines of `search` / `resume` and `runs show`: the
 * re-scored strategies, then the size found against the accuracy kept, e.g.
 *   smallest within 0.5 points: held-out accuracy on the 1000 holdout images (baseline 98.10%), 5 of 31 strategies re-scored
 *       episode  40  est. 12.0 kB  held out 97.20% (-0.90 points)  over
 *     * episode  17  est. 20.4 kB  held out 97.90% (-0.20 points)  within
 *   found: model.ashk 19.8 kB, 13.2x smaller; test 98.60% against 98.95%, -0.35 points: confirmed within 0.5 points
 */
import type { SmallestReport } from '../run/final/final.js';
import { formatBytes, formatPercent, formatPoints } from './ui/format.js';

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
