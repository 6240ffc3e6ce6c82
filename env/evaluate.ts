/**
 * Accuracy (argmax of the class scores against the labels) and mean cross-entropy of a model on a split, in batches,
 * no leaks. The loss is a smoother score than the accuracy on a thousand images (it moves with every confidence, not
 * only with flipped answers): sensitivities use it.
 */
import * as tf from '../tfjs.js';
import type { DataSplit } from './data/dataset.js';
import { sliceBatch } from './batches.js';
import { foldedForward, layerChain } from './folded-inference.js';
import type { PrefixCache } from './prefix-cache.js';
import { wasmFusionsOn } from './wasm-kernels.js';

export async function evaluateAccuracy(model: tf.LayersModel, split: DataSplit, inputShape: number[], batchSize = 500): Promise<number> {
  return (await evaluateModel(model, split, inputShape, batchSize)).accuracy;
}

export interface ModelScore {
  accuracy: number;
  /** Mean categorical cross-entropy. */
  loss: number;
}

/** Input values per forward pass when scoring in whole slices (500 MNIST images; 27 of 224x224x3 become 32). */
const PASS_VALUES = 1 << 22;

/** `prefix`: the layers before the measurement's first changed one are taken from what it kept (env/prefix-cache.ts). */
export async function evaluateModel(model: tf.LayersModel, split: DataSplit, inputShape: number[], batchSize = 500, prefix?: PrefixCache | null): Promise<ModelScore> {
  let correct = 0;
  let lossSum = 0;
  const logits = !outputsProbabilities(model);
  // with our wasm fusions: batch norm folded into the convolutions, and each slice in one pass (predict cuts batches
  // of 32, each paying every layer's fixed cost), slices cut to PASS_VALUES input values (large images: at least 32,
  // predict's batch); the same values up to float32 rounding
  const fused = wasmFusionsOn();
  const step = fused ? Math.max(32, Math.min(batchSize, Math.floor(PASS_VALUES / inputShape.reduce((a, b) => a * b, 1)))) : batchSize;
  const folded = fused ? foldedForward(model) : null;
  const forward = folded ? folded.apply : (x: tf.Tensor) => model.predict(x, fused ? { batchSize: step } : {}) as tf.Tensor;
  const stages = prefix && fused ? (folded ?? chainStages(model)) : null;
  try {
    for (let from = 0; from < split.count; from += step) {
      const to = Math.min(split.count, from + step);
      const sums = tf.tidy(() => {
        const [x, y] = sliceBatch(split, inputShape, from, to);
        const probs = (stages && prefix!.scored(split, step, from / step, x, { cut: stages.cut, apply: stages.applyRange })) || forward(x);
        const hits = predictedClass(probs, logits).equal(y).sum().cast('float32');
        const loss = crossEntropy(probs, y, Math.max(2, probs.shape[probs.shape.length - 1]!), logits).mul(to - from);
        return tf.stack([hits, loss]);
      });
      const [h, l] = await sums.data();
      sums.dispose();
      correct += h;
      lossSum += l;
    }
  } finally {
    folded?.dispose();
  }
  return split.count === 0 ? { accuracy: 0, loss: 0 } : { accuracy: correct / split.count, loss: lossSum / split.count };
}

/** A chain's layers as stages of their own, for a model with nothing to fold (whole slices, as `predict` at `step`). */
function chainStages(model: tf.LayersModel): { cut: (at: number) => number; applyRange: (x: tf.Tensor, from: number, to: number) => tf.Tensor } | null {
  const chain = layerChain(model);
  if (!chain) return null;
  return {
    cut: (at) => at,
    applyRange: (x, from, to) =>
      tf.tidy(() => {
        let y = x;
        for (let i = from; i < to; i++) y = chain[i].apply(y, { training: false }) as tf.Tensor;
        return y === x ? tf.clone(x) : y;
      }),
  };
}

/**
 * Whether `model`'s outputs are probabilities (its output layer ends in a softmax, as the built-in models and Keras
 * classifiers trained with categorical cross-entropy do; a sigmoid is scored the same way) rather than logits (a
 * linear output layer, or one without an activation such as an Add, trained with `from_logits=True` /
 * tf.losses.softmaxCrossEntropy). The argmax is the same either way; the loss is not.
 */
export function outputsProbabilities(model: tf.LayersModel): boolean {
  const layer = model.outputs[0].sourceLayer;
  if (layer.getClassName() === 'Softmax') return true;
  const activation = (layer.getConfig() as { activation?: unknown }).activation;
  return activation !== undefined && activation !== 'linear';
}

/**
 * Log-probabilities of the classes from a model's outputs: the clipped log of probabilities, or the log-softmax of
 * logits. One output column is a binary classifier's (Keras' Dense(1, sigmoid) and binary cross-entropy): the
 * probability p of class 1, or its logit z, becomes the two columns log [1 - p, p] = [log sigmoid(-z), log sigmoid(z)].
 */
export function logProbabilities(outputs: tf.Tensor, logits: boolean): tf.Tensor {
  return tf.tidy(() => {
    if (outputs.shape[outputs.shape.length - 1] === 1) {
      if (logits) return tf.concat([tf.logSigmoid(outputs.neg()), tf.logSigmoid(outputs)], -1);
      const p = outputs.clipByValue(1e-7, 1 - 1e-7);
      return tf.concat([tf.scalar(1).sub(p).log(), p.log()], -1);
    }
    return logits ? tf.logSoftmax(outputs) : outputs.clipByValue(1e-7, 1 - 1e-7).log();
  });
}

/** The class of each example: the argmax of its outputs (of its two columns for a one-column binary classifier). */
export function predictedClass(outputs: tf.Tensor, logits: boolean): tf.Tensor {
  return tf.tidy(() => (outputs.shape[outputs.shape.length - 1] === 1 ? logProbabilities(outputs, logits) : outputs).argMax(-1));
}

/** Mean categorical cross-entropy of softmax outputs (or of `logits`) against integer labels. */
export function crossEntropy(outputs: tf.Tensor, labels: tf.Tensor1D, numClasses: number, logits = false): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels, numClasses);
    return oneHot.mul(logProbabilities(outputs, logits)).sum(-1).neg().mean() as tf.Scalar;
  });
}
