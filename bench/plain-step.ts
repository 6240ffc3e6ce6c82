/**
 * The reference every speed benchmark divides by: ms per plain training step (Adam on the cross-entropy, no
 * compression), after one warm-up step.
 */
import * as tf from '../tfjs.js';
import { BatchSampler } from '../env/batches.js';
import type { Dataset } from '../env/data/dataset.js';
import { crossEntropy } from '../env/evaluate.js';

export interface PlainStepOptions {
  steps: number;
  /** Seed of the batch order. */
  seed: string;
  batchSize: number;
  learningRate: number;
}

export function plainStepMs(model: tf.LayersModel, data: Dataset, o: PlainStepOptions): number {
  const sampler = new BatchSampler(data.train, data.inputShape, o.batchSize, o.seed);
  const optimizer = tf.train.adam(o.learningRate);
  const once = () => {
    const [x, y] = sampler.next();
    const loss = optimizer.minimize(() => crossEntropy(model.apply(x, { training: true }) as tf.Tensor, y, data.numClasses), true);
    loss!.dataSync();
    tf.dispose([loss!, x, y]);
  };
  once();
  const t0 = performance.now();
  for (let i = 0; i < o.steps; i++) once();
  optimizer.dispose();
  return (performance.now() - t0) / o.steps;
}
