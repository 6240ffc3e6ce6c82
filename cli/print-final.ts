/** The closing lines of `search`, `resume` and `apply`: accuracies, sizes, and where the files are. */
import type { FinalReport } from '../run/final/final.js';
import { describeFp32Share } from '../run/final/model-files.js';
import type { GlobalArgs } from './global-options.js';
import { latencyLine, referenceLines } from './final-lines.js';
import { smallestLines } from './smallest-lines.js';
import { formatBytes, formatPercent } from './ui/format.js';

/** Runs finished before the holdout split re-ranked on every validation image. */
function rerankImages(r: FinalReport): string {
  const on = r.rerankOn ?? { split: 'validation', images: 0 };
  return on.split === 'holdout' ? `the ${on.images} holdout images (apart from the validation images that ranked them)` : 'every validation image';
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
