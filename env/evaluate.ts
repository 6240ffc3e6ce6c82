/**
 * Accuracy of a model on a split: argmax of the class scores against the labels, in batches, no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataSplit } from './data/dataset.js';
import { sliceBatch } from './batches.js';

export async function evaluateAccuracy(
  model: tf.LayersModel,
  split: DataSplit,
  inputShape: number[],
  batchSize = 500,
): Promise<number> {
  let correct = 0;
  for (let from = 0; from < split.count; from += batchSize) {
    const to = Math.min(split.count, from + batchSize);
    const hits = tf.tidy(() => {
      const [x, y] = sliceBatch(split, inputShape, from, to);
      const pred = (model.predict(x) as tf.Tensor).argMax(-1);
      return pred.equal(y).sum();
    });
    correct += (await hits.data())[0];
    hits.dispose();
  }
  return split.count === 0 ? 0 : correct / split.count;
}

/** Mean categorical cross-entropy of softmax outputs against integer labels. */
export function crossEntropy(probs: tf.Tensor, labels: tf.Tensor1D, numClasses: number): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels, numClasses);
    const clipped = probs.clipByValue(1e-7, 1 - 1e-7);
    return oneHot.mul(clipped.log()).sum(-1).neg().mean() as tf.Scalar;
  });
}
