/**
 * Fine-tuning a compressed model with the straight-through estimator (STE).
 *
 * Each compressed layer keeps full-precision "shadow" parameters: the weights themselves, or, for a clustered layer,
 * its centroids and fixed assignments. Every step:
 *   1. the layer's kernel is set to the compressed projection of its shadow (pruning mask, cluster gather,
 *      uniform quantization of the weights or of the codebook);
 *   2. gradients of the loss are taken with respect to the kernels (and every other trainable weight);
 *   3. the STE passes the kernel gradient straight to the shadow: masked for pruned weights (they stay exactly zero,
 *      forward and backward), summed over the members of each centroid for clustered layers (Deep Compression), with
 *      the zero centroid of sparsity-preserving clustering never trained;
 *   4. one optimizer (Adam) updates shadows and the other weights.
 * After the last step `finalize` turns the shadows into exact compressed weights with the learners' own functions,
 * so the accuracy measured afterwards is the accuracy of the model that would be packed.
 *
 * Optional knowledge distillation (Hinton et al. 2015) from the uncompressed teacher, and optional gradual pruning
 * (tfmot's polynomial decay from 0 to each layer's target over the fine-tune) instead of pruning at once.
 *
 * Deliberate differences from tfmot: assignments of clustered layers are frozen for the fine-tune (tfmot recomputes
 * them every step, which lets clustering drift away from the pruning mask; we keep PCQAT's promise instead), and
 * quantization ranges are re-read from the shadow at every step (PocketFlow's UniformQuantLearner does the same).
 */
import * as tf from '@tensorflow/tfjs';
import { type CompressedLayer, finalizeLayer, pruneMask } from '../learners/compress-layer.js';
import type { LayerSpec } from '../learners/types.js';
import type { Dataset } from './data/dataset.js';
import { BatchSampler } from './batches.js';
import { crossEntropy } from './evaluate.js';

/** A compressed layer of the model being fine-tuned: its kernel variable and the learners' compressed structure. */
export interface FinetuneLayer {
  /** The layer's kernel variable (Dense kernel, Conv2D kernel, DepthwiseConv2D depthwise kernel). */
  kernel: tf.LayerVariable;
  compressed: CompressedLayer;
}

export interface FinetuneOptions {
  steps: number;
  batchSize: number;
  learningRate: number;
  seed: number | string;
  /** Uncompressed teacher for knowledge distillation; off when absent. */
  teacher?: tf.LayersModel;
  distillTemperature?: number;
  /** Share of the loss given to the teacher's soft targets, in [0, 1]. */
  distillWeight?: number;
  /** Prune gradually (cubic ramp from 0 over the first `rampFraction` of the steps) instead of at once. */
  gradualPruning?: { rampFraction: number; frequency: number };
  onStep?: (step: number, loss: number) => void;
  /** Checked every step: an aborted signal stops the fine-tune with an AbortError. */
  signal?: AbortSignal;
}

interface Shadow {
  layer: FinetuneLayer;
  /** Full-precision weights (layers without a codebook). */
  weights: tf.Variable | null;
  /** Codebook entries (cluster centroids or non-uniform points), flat over all codebooks. */
  centroids: tf.Variable | null;
  mask: tf.Tensor | null;
  indices: tf.Tensor1D | null;
  /** 0 for the reserved zero centroids of sparsity-preserving clustering, 1 elsewhere. */
  centroidGradMask: tf.Tensor1D | null;
}

let shadowCounter = 0;

function makeShadow(layer: FinetuneLayer, startWeights: Float32Array, maskNow: boolean): Shadow {
  const id = shadowCounter++;
  const c = layer.compressed;
  const mask = c.mask ? tf.tensor(Float32Array.from(c.mask), c.shape) : null;
  const codebook = c.centroids;
  if (codebook && c.indices) {
    const gradMask = new Float32Array(codebook.length).fill(1);
    if (c.zeroIndices) for (const z of c.zeroIndices) gradMask[z] = 0;
    return {
      layer,
      weights: null,
      centroids: tf.tidy(() => tf.variable(tf.tensor1d(codebook), true, `ashk_centroids_${id}`)),
      mask,
      indices: tf.tensor1d(c.indices, 'int32'),
      centroidGradMask: tf.tensor1d(gradMask),
    };
  }
  const w = Float32Array.from(startWeights);
  if (c.mask && maskNow) for (let i = 0; i < w.length; i++) if (!c.mask[i]) w[i] = 0;
  return { layer, weights: tf.tidy(() => tf.variable(tf.tensor(w, c.shape), true, `ashk_weights_${id}`)), centroids: null, mask, indices: null, centroidGradMask: null };
}

function disposeShadow(s: Shadow): void {
  for (const t of [s.weights, s.centroids, s.mask, s.indices, s.centroidGradMask]) t?.dispose();
}

/** Uniform affine quantization in tensors (PocketFlow's rule), per bucket, round half to even like the learners. */
export function quantizeTensor(w: tf.Tensor, bits: number, bucket: LayerSpec['bucket'], bucketSize = 256): tf.Tensor {
  if (bits >= 16) return w.clone();
  return tf.tidy(() => {
    const levels = 2 ** bits - 1;
    const shape = w.shape;
    const n = w.size;
    let rows: tf.Tensor2D;
    let transposeBack = false;
    if (bucket === 'channel') {
      const channels = shape[shape.length - 1];
      rows = w.reshape([n / channels, channels]).transpose() as tf.Tensor2D;
      transposeBack = true;
    } else if (bucket === 'split') {
      const padded = Math.ceil(n / bucketSize) * bucketSize;
      const flat = w.reshape([n]);
      rows = (padded > n ? flat.pad([[0, padded - n]]) : flat).reshape([padded / bucketSize, bucketSize]) as tf.Tensor2D;
    } else {
      rows = w.reshape([1, n]) as tf.Tensor2D;
    }
    const lo = rows.min(1, true);
    const alpha = rows.max(1, true).sub(lo);
    const safe = alpha.maximum(1e-12);
    const q = rows.sub(lo).div(safe).mul(levels).round();
    let out: tf.Tensor = q.div(levels).mul(alpha).add(lo);
    if (transposeBack) out = out.transpose();
    return out.reshape([-1]).slice(0, n).reshape(shape);
  });
}

/**
 * The compressed kernel a shadow projects to (the forward pass of the STE). An approximation of the learners' exact
 * rule (one quantization range over all codebooks); `finalizeLayer` makes the weights exact after training.
 */
function project(s: Shadow, pruneMask: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    const { spec, shape } = s.layer.compressed;
    if (s.centroids && s.indices) {
      let codebook: tf.Tensor = s.centroids;
      // cluster codebooks are quantized (the zero centroids stay exactly zero); non-uniform points are stored as trained
      if (spec.clusters > 0 && spec.bits < 16) codebook = quantizeTensor(s.centroids, spec.bits, 'none').mul(s.centroidGradMask!);
      const kernel = tf.gather(codebook, s.indices).reshape(shape);
      return s.mask ? kernel.mul(s.mask) : kernel;
    }
    const mask = pruneMask ?? s.mask;
    const w = mask ? s.weights!.mul(mask) : s.weights!;
    const q = spec.bits < 16 ? quantizeTensor(w, spec.bits, spec.bucket, spec.bucketSize) : w;
    return mask ? q.mul(mask) : q;
  });
}

function distillLoss(student: tf.Tensor, teacher: tf.Tensor, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    // outputs are softmax probabilities: soften them as softmax(log p / T)
    const soft = (p: tf.Tensor) => tf.logSoftmax(p.clipByValue(1e-7, 1).log().div(temperature));
    const t = soft(teacher).exp();
    return t.mul(t.clipByValue(1e-7, 1).log().sub(soft(student))).sum(-1).mean().mul(temperature * temperature) as tf.Scalar;
  });
}

/**
 * Fine-tune `model` (whose compressed kernels are described by `layers`) in place, then write the finalized exact
 * compressed weights into the kernels. Returns the finalized layers. No tensor outlives the call.
 */
export async function finetune(
  model: tf.LayersModel,
  layers: FinetuneLayer[],
  data: Dataset,
  opts: FinetuneOptions,
  /** The uncompressed starting weights of each layer (shadows start here, masked). */
  startWeights: Float32Array[],
): Promise<CompressedLayer[]> {
  const shadows = layers.map((l, i) => makeShadow(l, startWeights[i], !opts.gradualPruning));
  const asVar = (w: tf.LayerVariable) => w.read() as tf.Variable;
  const kernelNames = new Set(layers.map((l) => asVar(l.kernel).name));
  const others = model.trainableWeights.map(asVar).filter((v) => !kernelNames.has(v.name));
  const kernelVars = layers.map((l) => asVar(l.kernel));
  const optimizer = tf.train.adam(opts.learningRate);
  const sampler = opts.steps > 0 ? new BatchSampler(data.train, data.inputShape, opts.batchSize, `finetune:${opts.seed}`) : null;
  const T = opts.distillTemperature ?? 4;
  const alpha = opts.teacher ? (opts.distillWeight ?? 0.5) : 0;
  let dynamicMasks: (tf.Tensor | null)[] = layers.map(() => null);
  // the ramp ends one step before the last, so the final steps train at the target sparsity
  const rampSteps = opts.gradualPruning ? Math.max(1, Math.min(opts.steps - 1, Math.round(opts.steps * opts.gradualPruning.rampFraction))) : 0;

  try {
    for (let step = 1; step <= opts.steps; step++) {
      if (opts.signal?.aborted) throw Object.assign(new Error('fine-tune aborted'), { name: 'AbortError' });
      const rampPoint = step === 1 || step === rampSteps + 1 || (step % (opts.gradualPruning?.frequency ?? 1) === 0 && step <= rampSteps);
      if (opts.gradualPruning && rampPoint) {
        const p = Math.min(1, (step - 1) / rampSteps);
        dynamicMasks.forEach((m) => m?.dispose());
        dynamicMasks = shadows.map((s) => (s.weights && s.mask ? rampMask(s, 1 - (1 - p) ** 3) : null));
      }
      const [x, y] = sampler!.next();
      const loss = tf.tidy(() => {
        // shadows live in the learners' storage shape (depthwise: [kh, kw, 1, c*m]); same flat order as the kernel
        shadows.forEach((s, i) => s.layer.kernel.write(project(s, dynamicMasks[i]).reshape(s.layer.kernel.shape as number[])));
        const teacherOut = opts.teacher ? (opts.teacher.predict(x) as tf.Tensor) : null;
        const { value, grads } = tf.variableGrads(() => {
          const out = model.apply(x, { training: true }) as tf.Tensor;
          let l = crossEntropy(out, y, data.numClasses);
          if (teacherOut) l = l.mul(1 - alpha).add(distillLoss(out, teacherOut, T).mul(alpha));
          return l as tf.Scalar;
        }, [...kernelVars, ...others]);
        const update: tf.NamedTensorMap = {};
        for (const v of others) if (grads[v.name]) update[v.name] = grads[v.name];
        shadows.forEach((s, i) => {
          const g = grads[kernelVars[i].name].reshape(s.layer.compressed.shape);
          const mask = dynamicMasks[i] ?? s.mask;
          if (s.centroids && s.indices) {
            const flat = (s.mask ? g.mul(s.mask) : g).reshape([-1]);
            // scatterND sums duplicate indices; UnsortedSegmentSum has no wasm kernel
            update[s.centroids.name] = tf.scatterND(s.indices.reshape([-1, 1]), flat, [s.centroids.size]).mul(s.centroidGradMask!);
          } else {
            update[s.weights!.name] = mask ? g.mul(mask) : g;
          }
        });
        optimizer.applyGradients(update as Record<string, tf.Variable>);
        return value;
      });
      x.dispose();
      y.dispose();
      if (opts.onStep) opts.onStep(step, (await loss.data())[0]);
      loss.dispose();
      // let key presses and signals in (the loop is otherwise synchronous)
      if (step % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // finalize with the learners: exact compressed weights, written into the kernels
    const finalized: CompressedLayer[] = [];
    for (const [i, s] of shadows.entries()) {
      const last = dynamicMasks[i];
      if (s.weights && last) tf.tidy(() => s.weights!.assign(s.weights!.mul(last)));
      const weights = s.weights ? ((await s.weights.data()) as Float32Array) : null;
      const centroids = s.centroids ? ((await s.centroids.data()) as Float32Array) : null;
      const c = s.layer.compressed;
      // after gradual pruning the mask is tfmot's rule on the trained weights (exact count, as the spec stores)
      const done = finalizeLayer(c.shape, c.spec, {
        weights,
        centroids,
        indices: c.indices,
        mask: last && weights ? pruneMask(weights, c.shape, c.spec) : c.mask,
        zeroIndices: c.zeroIndices,
      });
      tf.tidy(() => {
        s.layer.kernel.write(tf.tensor(done.values, s.layer.kernel.shape as number[]));
      });
      finalized.push(done);
    }
    return finalized;
  } finally {
    dynamicMasks.forEach((m) => m?.dispose());
    shadows.forEach(disposeShadow);
    optimizer.dispose();
  }
}

/** tfmot's magnitude mask of the current shadow weights at `fraction` of the layer's target sparsity. */
function rampMask(s: Shadow, fraction: number): tf.Tensor {
  return tf.tidy(() => {
    const target = s.layer.compressed.spec.pruneRatio * fraction;
    const w = s.weights!.abs().reshape([-1]);
    const n = w.size;
    const keep = Math.max(1, Math.round(n * (1 - target)));
    const threshold = tf.topk(w, keep).values.min();
    return w.greaterEqual(threshold).cast('float32').reshape(s.layer.compressed.shape);
  });
}
