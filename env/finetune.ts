/**
 * Fine-tuning a compressed model with the straight-through estimator (STE).
 *
 * Each compressed layer keeps full-precision "shadow" parameters: the weights themselves, or, for a layer with a
 * codebook (clusters, non-uniform points), its codebook entries with fixed assignments. Every step:
 *   1. the layer's kernel is set to the learners' projection of its shadow (`projectLayer`, through `layerProjector`
 *      which works out the bucket structure once per mask: the very quantizer the packed file stores, with per-bucket
 *      or per-codebook ranges over the kept weights, pruned weights exactly 0);
 *   2. gradients of the loss are taken with respect to the kernels (and every other trainable weight);
 *   3. the STE passes the kernel gradient straight to the shadow: masked for pruned weights (they stay exactly zero,
 *      forward and backward), summed over the members of each centroid for codebook layers (Deep Compression), with
 *      the zero centroid of sparsity-preserving clustering never trained;
 *   4. one optimizer (Adam) updates shadows and the other weights.
 * After the last step `finalizeLayer` turns the shadows into exact compressed weights, so the accuracy measured
 * afterwards is the accuracy of the model that would be packed. Train what you pack: this file has no quantizer,
 * mask rule or pruning schedule of its own; they are the learners' (compress-layer, magnitude-pruning,
 * pruning-schedule).
 *
 * Optional knowledge distillation (Hinton et al. 2015) from the uncompressed teacher, and optional gradual pruning:
 * tfmot's PolynomialDecay from 0 to each layer's target over the first part of the fine-tune, the mask recomputed by
 * the spec's own rule (magnitude, block or 2:4) at each pruning step and multiplied into the shadow weights every step,
 * as tfmot's prune_low_magnitude does.
 *
 * Common random numbers: the batch sequence depends on `seed` only, so two fine-tunes with the same seed see the
 * same batches in the same order whatever they compress (env/compression-env.ts passes one seed per run).
 *
 * Deliberate differences from tfmot: assignments of codebook layers are frozen for the fine-tune (tfmot recomputes
 * them every step, which lets clustering drift away from the pruning mask; we keep PCQAT's promise instead), and
 * quantization ranges are re-read from the shadow at every step (PocketFlow's UniformQuantLearner does the same).
 */
import * as tf from '../tfjs.js';
import { ModelError } from '../errors.js';
import { type CompressedLayer, finalizeLayer, layerProjector, pruneMask, type TrainedParams } from '../learners/compress-layer.js';
import { polynomialDecay, type PruningSchedule } from '../learners/pruning-schedule.js';
import type { Dataset } from './data/dataset.js';
import { BatchSampler } from './batches.js';
import { crossEntropy, logProbabilities, outputsProbabilities } from './evaluate.js';
import { dilatedLayer } from './layers.js';

/** A compressed layer of the model being fine-tuned: its kernel variable and the learners' compressed structure. */
export interface FinetuneLayer {
  /** The unit's kernel variable (env/layers.ts kernelVariable): any kernel of any supported layer, recurrent ones
   * included (their gradient flows through every time step). */
  kernel: tf.LayerVariable;
  compressed: CompressedLayer;
}

/** Gradual pruning: reach each layer's target over the first `rampFraction` of the steps, a new mask every `frequency`. */
export interface GradualPruning {
  rampFraction: number;
  frequency: number;
}

export interface FinetuneOptions {
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Seeds the batch order; equal seeds give equal batch sequences (common random numbers). */
  seed: number | string;
  /** Training batches for batch-norm re-estimation after the compression and fine-tune (env/batch-norm.ts); 0 = off,
   * default BN_RECALIBRATION_BATCHES. Read by compressModel, not by finetune. */
  bnBatches?: number;
  /** Uncompressed teacher for knowledge distillation; off when absent. */
  teacher?: tf.LayersModel;
  distillTemperature?: number;
  /** Share of the loss given to the teacher's soft targets, in [0, 1]. */
  distillWeight?: number;
  /** Prune gradually (tfmot's cubic PolynomialDecay from 0) instead of at once. */
  gradualPruning?: GradualPruning;
  /** Learning rate over the steps (scheduledLr): constant (default), or cosine down to 0 at the end. */
  lrSchedule?: LrSchedule;
  onStep?: (step: number, loss: number) => void;
  /** Checked every step: an aborted signal stops the fine-tune with an AbortError. */
  signal?: AbortSignal;
  /** Called as each part of a step begins (bench/finetune-profile.ts times them; the step is synchronous on wasm). */
  onPhase?: (phase: FinetunePhase) => void;
}

export type LrSchedule = 'constant' | 'cosine';

/**
 * The learning rate of step `step` (from 0) of `steps`: `lr`, or with 'cosine' `lr x (1 + cos(pi x step / steps)) / 2`
 * (SGDR's annealing, Loshchilov & Hutter 2017, without restarts): lr at the first step, lr / 2 halfway, near 0 at the
 * last, so where a fine-tune ends depends less on its last batches (bench/results/final-noise.md: it cut the final noise from 0.30 to 0.24 points but cost 0.3 points of accuracy, so the final stage keeps the constant rate).
 */
export function scheduledLr(lr: number, schedule: LrSchedule, step: number, steps: number): number {
  return schedule === 'cosine' && steps > 0 ? (lr * (1 + Math.cos((Math.PI * step) / steps))) / 2 : lr;
}

/** The parts of a fine-tune step, in order; 'bookkeeping' is the rest (loss read, disposal, yielding). */
export const FINETUNE_PHASES = ['prune', 'project', 'batch', 'forward', 'backward', 'ste', 'optimizer', 'bookkeeping'] as const;
export type FinetunePhase = (typeof FINETUNE_PHASES)[number];

interface Shadow {
  layer: FinetuneLayer;
  /** The trained parameters: full-precision weights in the storage shape, or the flat codebook entries. */
  param: tf.Variable;
  codebook: boolean;
  /** Codebook layers: each weight's entry, for the gradient's scatter-sum. */
  indices: tf.Tensor1D | null;
  /** Codebook layers: 0 for the reserved zero centroids of sparsity-preserving clustering, 1 elsewhere. */
  centroidGradMask: tf.Tensor1D | null;
  /** The mask in force (fixed, or the pruning schedule's latest), its tensor, and the learners' projection under it. */
  mask: Uint8Array | null;
  maskTensor: tf.Tensor | null;
  projector: (trained: TrainedParams) => Float32Array;
  /** Gradual pruning's schedule for this layer, null when pruned at once. */
  schedule: PruningSchedule | null;
}

let shadowCounter = 0;

function setMask(s: Shadow, mask: Uint8Array | null): void {
  s.maskTensor?.dispose();
  s.mask = mask;
  s.maskTensor = mask ? tf.tensor(Float32Array.from(mask), s.layer.compressed.shape) : null;
  s.projector = layerProjector(s.layer.compressed, mask);
}

function makeShadow(layer: FinetuneLayer, startWeights: Float32Array, gradual: { endStep: number; frequency: number } | null): Shadow {
  const id = shadowCounter++;
  const c = layer.compressed;
  if (c.centroids && c.indices) {
    const gradMask = new Float32Array(c.centroids.length).fill(1);
    if (c.zeroIndices) for (const z of c.zeroIndices) gradMask[z] = 0;
    const s: Shadow = {
      layer,
      param: tf.tidy(() => tf.variable(tf.tensor1d(c.centroids!), true, `ashk_centroids_${id}`)),
      codebook: true,
      indices: tf.tensor1d(c.indices, 'int32'),
      centroidGradMask: tf.tensor1d(gradMask),
      mask: null,
      maskTensor: null,
      projector: () => new Float32Array(0),
      schedule: null,
    };
    setMask(s, c.mask);
    return s;
  }
  // gradual pruning starts from the unpruned weights; at once, from the pipeline's mask
  const ramp = gradual && c.mask && c.spec.pruneRatio > 0 && c.spec.pruneKind !== '2:4';
  const w = Float32Array.from(startWeights);
  if (c.mask && !ramp) for (let i = 0; i < w.length; i++) if (!c.mask[i]) w[i] = 0;
  const s: Shadow = {
    layer,
    param: tf.tidy(() => tf.variable(tf.tensor(w, c.shape), true, `ashk_weights_${id}`)),
    codebook: false,
    indices: null,
    centroidGradMask: null,
    mask: null,
    maskTensor: null,
    projector: () => new Float32Array(0),
    schedule: ramp
      ? polynomialDecay({ initialSparsity: 0, finalSparsity: c.spec.pruneRatio, beginStep: 0, endStep: gradual!.endStep, frequency: gradual!.frequency, power: 3 })
      : null,
  };
  setMask(s, ramp ? null : c.mask);
  return s;
}

function disposeShadow(s: Shadow): void {
  for (const t of [s.param, s.indices, s.centroidGradMask, s.maskTensor]) t?.dispose();
}

/** The kernel values of the shadow's current parameters: the learners' stored quantizer under the mask in force
 * (`layerProjector`: exactly `projectLayer`, with the bucket structure worked out once per mask). */
function project(s: Shadow): Float32Array {
  const data = s.param.dataSync() as Float32Array;
  return s.projector(s.codebook ? { centroids: data } : { weights: data });
}

/** At a pruning step of the schedule: the spec's own mask rule at the scheduled sparsity, multiplied into the shadow. */
function prunePoint(s: Shadow, step: number): void {
  const point = s.schedule!(step);
  if (!point.shouldPrune) return;
  const c = s.layer.compressed;
  const mask = pruneMask(s.param.dataSync() as Float32Array, c.shape, { ...c.spec, pruneRatio: point.sparsity });
  setMask(s, mask);
  if (s.maskTensor) tf.tidy(() => s.param.assign(s.param.mul(s.maskTensor!)));
}

function distillLoss(student: tf.Tensor, teacher: tf.Tensor, temperature: number, logits: boolean): tf.Scalar {
  return tf.tidy(() => {
    // soften the outputs as softmax(log p / T) (logits: softmax(z / T), the same up to a constant in log p); softmax
    // probabilities clipped as they always were, so a distilled run of a built-in model is unchanged
    const logOf = (p: tf.Tensor) => (logits || p.shape[p.shape.length - 1] === 1 ? logProbabilities(p, logits) : p.clipByValue(1e-7, 1).log());
    const soft = (p: tf.Tensor) => tf.logSoftmax(logOf(p).div(temperature));
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
  /** The uncompressed starting weights of each layer (shadows start here, masked unless pruned gradually). */
  startWeights: Float32Array[],
): Promise<CompressedLayer[]> {
  const dilated = opts.steps > 0 ? dilatedLayer(model) : null;
  if (dilated) {
    throw new ModelError(`layer ${dilated} cannot be fine-tuned: tfjs has no gradient for dilated convolutions; compress without fine-tuning (--finetune-steps 0 --rerank-top 0 --final-steps 0)`);
  }
  const gradual = gradualSteps(opts);
  const shadows = layers.map((l, i) => makeShadow(l, startWeights[i], gradual));
  const asVar = (w: tf.LayerVariable) => w.read() as tf.Variable;
  const kernelNames = new Set(layers.map((l) => asVar(l.kernel).name));
  const others = model.trainableWeights.map(asVar).filter((v) => !kernelNames.has(v.name));
  const kernelVars = layers.map((l) => asVar(l.kernel));
  const optimizer = tf.train.adam(opts.learningRate);
  const sampler = opts.steps > 0 ? new BatchSampler(data.train, data.inputShape, opts.batchSize, `finetune:${opts.seed}`) : null;
  const T = opts.distillTemperature ?? 4;
  const alpha = opts.teacher ? (opts.distillWeight ?? 0.5) : 0;
  const phase = opts.onPhase ?? (() => {});
  const logits = !outputsProbabilities(model);

  try {
    for (let step = 0; step < opts.steps; step++) {
      if (opts.signal?.aborted) throw Object.assign(new Error('fine-tune aborted'), { name: 'AbortError' });
      phase('prune');
      for (const s of shadows) if (s.schedule) prunePoint(s, step);
      phase('project');
      // shadows live in the learners' storage shape (depthwise: [kh, kw, 1, c*m]); same flat order as the kernel
      for (const s of shadows) {
        const values = project(s);
        tf.tidy(() => {
          s.layer.kernel.write(tf.tensor(values, s.layer.kernel.shape as number[]));
        });
      }
      phase('batch');
      const [x, y] = sampler!.next();
      phase('forward');
      const loss = tf.tidy(() => {
        const teacherOut = opts.teacher ? (opts.teacher.predict(x) as tf.Tensor) : null;
        const { value, grads } = tf.variableGrads(() => {
          const out = model.apply(x, { training: true }) as tf.Tensor;
          let l = crossEntropy(out, y, data.numClasses, logits);
          if (teacherOut) l = l.mul(1 - alpha).add(distillLoss(out, teacherOut, T, logits).mul(alpha));
          phase('backward');
          return l as tf.Scalar;
        }, [...kernelVars, ...others]);
        phase('ste');
        const update: tf.NamedTensorMap = {};
        for (const v of others) if (grads[v.name]) update[v.name] = grads[v.name];
        shadows.forEach((s, i) => {
          const g = grads[kernelVars[i].name].reshape(s.layer.compressed.shape);
          const masked = s.maskTensor ? g.mul(s.maskTensor) : g;
          // scatterND sums duplicate indices (a centroid's gradient is the sum over its members); UnsortedSegmentSum
          // has no wasm kernel
          update[s.param.name] = s.codebook
            ? tf.scatterND(s.indices!.reshape([-1, 1]), masked.reshape([-1]), [s.param.size]).mul(s.centroidGradMask!)
            : masked;
        });
        phase('optimizer');
        // tfjs's Adam reads its learningRate field at every applyGradients
        (optimizer as unknown as { learningRate: number }).learningRate = scheduledLr(opts.learningRate, opts.lrSchedule ?? 'constant', step, opts.steps);
        optimizer.applyGradients(update as Record<string, tf.Variable>);
        // tfmot multiplies the mask into the weights every step, so Adam's momentum cannot revive a pruned weight
        for (const s of shadows) if (s.schedule && s.maskTensor) s.param.assign(s.param.mul(s.maskTensor));
        return value;
      });
      phase('bookkeeping');
      x.dispose();
      y.dispose();
      if (opts.onStep) opts.onStep(step + 1, (await loss.data())[0]);
      loss.dispose();
      // let key presses and signals in (the loop is otherwise synchronous)
      if ((step + 1) % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // finalize with the learners: exact compressed weights, written into the kernels
    const finalized: CompressedLayer[] = [];
    for (const s of shadows) {
      const data = (await s.param.data()) as Float32Array;
      const c = s.layer.compressed;
      const done = finalizeLayer(c.shape, c.spec, {
        weights: s.codebook ? null : data,
        centroids: s.codebook ? data : null,
        indices: c.indices,
        // after gradual pruning the mask is the spec's rule on the trained weights (the exact count the spec stores)
        mask: s.schedule ? pruneMask(data, c.shape, c.spec) : c.mask,
        zeroIndices: c.zeroIndices,
      });
      tf.tidy(() => {
        s.layer.kernel.write(tf.tensor(done.values, s.layer.kernel.shape as number[]));
      });
      finalized.push(done);
    }
    return finalized;
  } finally {
    shadows.forEach(disposeShadow);
    optimizer.dispose();
  }
}

/**
 * The gradual-pruning ramp in 0-based steps: it ends at a pruning step (a multiple of the frequency) no later than one
 * step before the last, so the final steps train at the target sparsity.
 */
function gradualSteps(opts: FinetuneOptions): { endStep: number; frequency: number } | null {
  if (!opts.gradualPruning || opts.steps <= 0) return null;
  const ramp = Math.max(1, Math.min(opts.steps - 1, Math.round(opts.steps * opts.gradualPruning.rampFraction)));
  const frequency = Math.max(1, Math.min(opts.gradualPruning.frequency, ramp));
  return { endStep: Math.floor(ramp / frequency) * frequency, frequency };
}
