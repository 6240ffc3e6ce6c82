/**
 * Plain supervised training of a LayersModel with our own seeded loop (model.fit shuffles with Math.random, which
 * would break `--seed` determinism). Used to train the built-in baselines.
 */
import * as tf from '../tfjs.js';
import type { Dataset } from './data/dataset.js';
import { BatchSampler } from './batches.js';
import { crossEntropy, outputsProbabilities } from './evaluate.js';

export interface TrainProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Divide the learning rate by 10 after this fraction of the steps (a step decay); 1 = never. */
  decayAt?: number;
  /** Called every `progressEvery` steps with the running loss. */
  onProgress?: (p: TrainProgress) => void;
  progressEvery?: number;
}

export async function trainModel(model: tf.LayersModel, data: Dataset, opts: TrainOptions): Promise<{ loss: number }> {
  const sampler = new BatchSampler(data.train, data.inputShape, opts.batchSize, `train:${opts.seed}`);
  const optimizer = tf.train.adam(opts.learningRate);
  const totalSteps = sampler.stepsPerEpoch * opts.epochs;
  const every = opts.progressEvery ?? 10;
  const logits = !outputsProbabilities(model);
  let lastLoss = NaN;
  try {
    const decayStep = Math.round(totalSteps * (opts.decayAt ?? 1));
    for (let step = 1; step <= totalSteps; step++) {
      // tfjs reads the Adam learning rate at every step; the field is protected only in its typings
      if (step === decayStep + 1) (optimizer as unknown as { learningRate: number }).learningRate = opts.learningRate / 10;
      const [x, y] = sampler.next();
      const loss = optimizer.minimize(() => crossEntropy(model.apply(x, { training: true }) as tf.Tensor, y, data.numClasses, logits), true);
      x.dispose();
      y.dispose();
      if (step % every === 0 || step === totalSteps) {
        lastLoss = (await loss!.data())[0];
        opts.onProgress?.({ step, totalSteps, epoch: Math.ceil(step / sampler.stepsPerEpoch), loss: lastLoss });
      }
      loss?.dispose();
      // let key presses, redraws and signals in (the loop is otherwise synchronous)
      if (step % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    optimizer.dispose();
  }
  return { loss: lastLoss };
}
