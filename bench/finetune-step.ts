/**
 * The fine-tune step the kernel benchmarks time (bench/kernels.ts, bench/transpose.ts, bench/patch-operand.ts): the
 * typical searched strategy (every layer 4 bits per output channel, half pruned at once) fine-tuned at batch 64 without
 * batch-norm re-estimation, ms per step from the end of its first step (setup) to the end of its last.
 */
import type * as tf from '../tfjs.js';
import { compressModel, type OriginalWeights } from '../env/compress-model.js';
import type { Dataset } from '../env/data/dataset.js';
import { compressibleLayers } from '../env/layers.js';
import { layerSpec } from '../learners/types.js';

export const TYPICAL_SPEC = layerSpec({ bits: 4, pruneRatio: 0.5, bucket: 'channel' });

/** ms per fine-tune step of the typical strategy; the model keeps the fine-tuned weights (restore them with `originals`). */
export async function finetuneStepMs(model: tf.LayersModel, originals: OriginalWeights, data: Dataset, steps: number): Promise<number> {
  const plan = compressibleLayers(model).map((layer) => ({ layer, spec: TYPICAL_SPEC }));
  let [first, last] = [0, 0];
  await compressModel(model, originals, plan, data, {
    steps: steps + 1, batchSize: 64, learningRate: 5e-4, seed: 1, bnBatches: 0,
    onStep: (step) => {
      if (step === 1) first = performance.now();
      last = performance.now();
    },
  });
  return (last - first) / steps;
}
