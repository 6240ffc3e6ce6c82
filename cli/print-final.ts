/** The closing lines of `search`, `resume` and `apply`: accuracies, sizes, and where the files are. */
import type { FinalReport } from '../run/final/final.js';
import { describeFp32Share } from '../run/final/model-files.js';
import type { GlobalArgs } from './global-options.js';
import { formatMs } from '../units.js';
import { smallestLines } from './smallest-lines.js';
import { formatBytes, formatDuration, formatPercent } from './ui/format.js';

/** Runs finished before the holdout split re-ranked on every validation image. */
function rerankImages(r: FinalReport): string {
  const on = r.rerankOn ?? { split: 'validation', images: 0 };
  return on.split === 'holdout' ? `the ${on.images} holdout images (apart from the validation images that ranked them)` : 'every validation image';
}

/**
 * The references beside the result, e.g.
 *   what the search bought (each through the same re-rank and 600-step final fine-tune):
 *     ddpg (this run)  test 89.91%  model.ashk 18.2 kB  budget used 99.1%
 *     uniform          test 87.87%  model.ashk 17.9 kB  budget used 97.0%  this run +2.04 points
 */
export function referenceLines(r: FinalReport): string[] {
  if (!r.references?.length) return [];
  const names = [`${r.agent ?? 'search'} (this run)`, ...r.references.map((x) => x.agent)];
  const w = Math.max(...names.map((n) => n.length));
  const share = (x: number | undefined) => (x === undefined ? '' : `  budget used ${formatPercent(x, 1)}`);
  const row = (name: string, test: number, bytes: number, budget: number | undefined) => `  ${name.padEnd(w)}  test ${formatPercent(test)}  model.ashk ${formatBytes(bytes)}${share(budget)}`;
  const points = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;
  return [
    '',
    `what the search bought (each through the same ${r.rerank?.length ? 're-rank and ' : ''}${r.steps}-step final fine-tune):`,
    row(names[0], r.testAccuracy, r.sizes.packedBytes, r.budgetShare),
    ...r.references.map((x) => `${row(x.agent, x.testAccuracy, x.packedBytes, x.budgetShare)}  this run ${points(r.testAccuracy - x.testAccuracy)} points`),
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

export function printFinal(args: GlobalArgs, r: FinalReport): void {
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ type: 'final', ...r })}\n`);
    return;
  }
  const s = r.sizes;
  const rerank = (r.rerank ?? []).map(
    (row) =>
      `  ${row.chosen ? '*' : ' '} episode ${String(row.episode + 1).padStart(3)}  search ${formatPercent(row.searchAccuracy)} (reward ${row.searchReward.toFixed(4)}) -> re-evaluated ${formatPercent(row.accuracy)} (reward ${row.reward.toFixed(4)})`,
  );
  const lines = [
    ...(rerank.length ? ['', `re-evaluated the top ${rerank.length} strategies with a longer fine-tune on ${rerankImages(r)} (* = finished):`, ...rerank] : []),
    '',
    `final (${r.steps} fine-tune steps from the original weights${r.stages ? `: ${r.stages.prune} pruning and retraining, then ${r.stages.clusters} clustered` : ''}):`,
    `  accuracy   test ${formatPercent(r.testAccuracy)} (baseline ${formatPercent(r.baselineTestAccuracy)}), validation ${formatPercent(r.validationAccuracy)} (baseline ${formatPercent(r.baselineValidationAccuracy)})`,
    `  size       packed ${formatBytes(s.packedBytes)} entropy-coded (${formatBytes(s.fixedPackedBytes)} at fixed width, header ${formatBytes(s.headerBytes)}), gzip ${formatBytes(s.gzipBytes)}; fp32 ${formatBytes(s.fp32Bytes)} (gzip ${formatBytes(s.fp32GzipBytes)}): ${s.ratio.toFixed(1)}x smaller`,
    `  fp32 share ${describeFp32Share(s)}`,
    `  tfjs       ${formatBytes(r.tfjs.bytes)} (uint8 x${r.tfjs.uint8}, float16 x${r.tfjs.float16}), test ${formatPercent(r.tfjs.testAccuracy)}; model.ashk ${formatBytes(s.packedBytes)}, test ${formatPercent(r.testAccuracy)}; fp32 ${formatBytes(s.fp32Bytes)}, test ${formatPercent(r.baselineTestAccuracy)}`,
    ...latencyLine(r),
    `  files      ${r.out}/model.ashk (packed), ${r.out}/tfjs/model.json (quantized, plain tf.loadLayersModel), ${r.strategyPath}`,
    ...referenceLines(r),
    ...(r.smallest ? smallestLines(r.smallest, { packedBytes: s.packedBytes, ratio: s.ratio, testAccuracy: r.testAccuracy, baselineTestAccuracy: r.baselineTestAccuracy }) : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
