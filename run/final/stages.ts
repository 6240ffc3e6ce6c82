/**
 * The final fine-tune's stages, shared by the final stage (final.ts) and the staged re-score of --goal smallest
 * (smallest.ts), so both recover a heavy prune + cluster setting the same way.
 */
import type * as tf from '../../tfjs.js';
import { compressModel, type CompressOptions, OriginalWeights } from '../../env/compress-model.js';
import type { Dataset } from '../../env/data/dataset.js';
import type { LayerInfo } from '../../env/layers.js';
import type { CompressedLayer } from '../../learners/compress-layer.js';
import type { LayerSpec } from '../../learners/types.js';
import { GRADUAL_PRUNING } from '../environment.js';

/** Share of the final fine-tune given to the pruning stage when a strategy prunes and clusters the same layer. */
const PRUNE_STAGE_SHARE = 2 / 3;

/**
 * The final compression and fine-tune. Where a layer both prunes and clusters, Deep Compression's order (Han et al.
 * 2016, section 3): first prune (gradually, tfmot's ramp) and retrain the full-precision weights, for
 * PRUNE_STAGE_SHARE of the steps; then cluster the retrained weights (the mask stays: the pruned weights are exactly
 * zero, so the magnitude rule keeps the same ones) and train the centroids for the rest. Training only the k
 * centroids of a codebook fixed at 90%+ sparsity recovers far less (bench/results/compression.md). Other strategies
 * take one stage, as before.
 */
/** The steps of each stage of `compressInStages`, or null when it takes one stage. */
export function stageSteps(specs: LayerSpec[], steps: number): { prune: number; clusters: number } | null {
  const first = Math.round(steps * PRUNE_STAGE_SHARE);
  if (!specs.some((s) => s.pruneRatio > 0 && s.clusters > 0) || first === 0 || first === steps) return null;
  return { prune: first, clusters: steps - first };
}

export async function compressInStages(
  model: tf.LayersModel,
  originals: OriginalWeights,
  plan: Array<{ layer: LayerInfo; spec: LayerSpec }>,
  data: Dataset,
  ft: CompressOptions,
): Promise<Array<{ layer: LayerInfo; compressed: CompressedLayer }>> {
  const stages = stageSteps(plan.map((p) => p.spec), ft.steps);
  if (!stages) return compressModel(model, originals, plan, data, ft);
  const first = stages.prune;
  const pruneOnly = plan.map((p) => (p.spec.pruneRatio > 0 && p.spec.clusters > 0 ? { ...p, spec: { ...p.spec, clusters: 0, bits: 32 } } : p));
  await compressModel(model, originals, pruneOnly, data, { ...ft, steps: first, gradualPruning: ft.gradualPruning ?? GRADUAL_PRUNING });
  const retrained = new OriginalWeights(model, plan.map((p) => p.layer));
  try {
    const onStep = ft.onStep;
    return await compressModel(model, retrained, plan, data, { ...ft, steps: ft.steps - first, gradualPruning: undefined, seed: `${ft.seed}:clusters`, onStep: onStep ? (step, loss) => onStep(first + step, loss) : undefined });
  } finally {
    retrained.dispose();
  }
}
