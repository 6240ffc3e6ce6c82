/**
 * Lines of a final report shared by the closing lines of `search` / `resume` (cli/print-final.ts) and `runs show`,
 * which reads the report the run stored: the references beside the result, and the latency check. Types and
 * formatting only, so `runs` loads no model code.
 */
import type { FinalReport } from '../run/final/final.js';
import type { LatencyCheck } from '../run/final/latency-check.js';
import { formatMs } from '../units.js';
import { formatBytes, formatDuration, formatPercent } from './ui/format.js';

/** A built model's median time and its speed against the original timed in the same rounds, e.g. `latency 1.70 ms, 2.00x as fast as fp32`. */
function speed(l: Pick<LatencyCheck, 'measuredMs' | 'fp32Ms'> | undefined): string {
  return l ? `  latency ${formatMs(l.measuredMs)}, ${(l.fp32Ms / l.measuredMs).toFixed(2)}x as fast as fp32` : '';
}

/**
 * The references beside the result, e.g.
 *   what the search bought (each through the same re-rank and 600-step final fine-tune):
 *     ddpg (this run)  test 89.91%  model.ashk 18.2 kB  budget used 99.1%
 *     uniform          test 87.87%  model.ashk 17.9 kB  budget used 97.0%  this run +2.04 points
 * With a latency budget each row adds its built model's median time and speed-up, each timed beside the original in
 * the same rounds as the run's own pick is (`latency 1.70 ms, 2.00x as fast as fp32`).
 */
export function referenceLines(r: FinalReport): string[] {
  if (!r.references?.length) return [];
  const names = [`${r.agent ?? 'search'} (this run)`, ...r.references.map((x) => x.agent)];
  const w = Math.max(...names.map((n) => n.length));
  const share = (x: number | undefined) => (x === undefined ? '' : `  budget used ${formatPercent(x, 1)}`);
  const row = (name: string, test: number, bytes: number, budget: number | undefined, latency: LatencyCheck | undefined) =>
    `  ${name.padEnd(w)}  test ${formatPercent(test)}  model.ashk ${formatBytes(bytes)}${share(budget)}${speed(latency)}`;
  const points = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;
  const timed = r.latency ? `; each built model timed beside the original, medians of predict at batch ${r.latency.batch} on ${r.latency.backend}` : '';
  return [
    '',
    `what the search bought (each through the same ${r.rerank?.length ? 're-rank and ' : ''}${r.steps}-step final fine-tune${timed}):`,
    row(names[0], r.testAccuracy, r.sizes.packedBytes, r.budgetShare, r.latency),
    ...r.references.map((x) => `${row(x.agent, x.testAccuracy, x.packedBytes, x.budgetShare, x.latency)}  this run ${points(r.testAccuracy - x.testAccuracy)} points`),
    `  the references took ${formatDuration(r.referenceSeconds ?? 0)} more (--references false skips them); their files: ${r.out}/references/`,
  ];
}

/**
 * The latency line of a run with a latency budget, e.g.
 *   latency    measured 1.82 ms (fp32 3.40 ms in the same rounds: 53.5%), predicted 1.75 ms (-3.8%), budget 50.0%: OVER BY MEASUREMENT
 */
export function latencyLine(r: FinalReport): string[] {
  const l = r.latency;
  if (!l) return [];
  const share = l.measuredMs / l.fp32Ms;
  const budget = 'ms' in l.limit ? `budget ${formatMs(l.limit.ms)}` : `budget ${formatPercent(l.limit.fraction, 1)} of fp32`;
  const verdict = l.overBudget ? 'OVER THE BUDGET BY MEASUREMENT' : 'within by measurement';
  const rel = -l.error;
  const error = `${rel >= 0 ? '+' : ''}${(100 * rel).toFixed(1)}%`;
  return [
    `  latency    measured ${formatMs(l.measuredMs)} (fp32 ${formatMs(l.fp32Ms)} in the same rounds: ${formatPercent(share, 1)}), predicted ${formatMs(l.predictedMs)} (${error} of measured); ${budget}: ${verdict} (${l.backend}, batch ${l.batch}, medians; fastest blocks ${formatMs(l.measuredMinMs)} and ${formatMs(l.fp32MinMs)})`,
  ];
}
