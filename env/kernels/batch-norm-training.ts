/**
 * Batch norm in training mode as one op with its own gradient, on wasm.
 *
 * tfjs-layers normalises a training batch with `tf.moments` (Mean, Sub, Square, Mean) and then `tf.batchNorm`, and
 * tfjs differentiates that chain op by op: the batch norm's gradient, then back through the variance (a tiled copy,
 * a product with 2 (x - mean), a sum for the mean's share) and the mean (another tiled copy), and Adds that gather the
 * three paths into dx: about fourteen full-size passes and some sixty small kernel calls per layer and step. The
 * gradient of the whole normalisation has a closed form (Ioffe and Szegedy 2015, section 3; here with the population
 * variance tfjs uses, and xc = x - mean, r = 1 / sqrt(variance + eps), N values per channel):
 *   dbeta = sum(dy),  dgamma = r sum(dy xc),
 *   dx = gamma r dy - gamma r dbeta / N - gamma r^3 sum(dy xc) / N * xc,
 * sums over every axis but the last. Here it is two per-channel affine maps and an Add for dx and two leading-axis
 * sums and a product for the rest (channel-affine.ts and wasm-kernels.ts's leading-axis Sum), six passes. The forward
 * pass is tfjs's (mean, centred square mean, then `xc * gamma r + beta` as one affine map), so its values are tfjs's
 * up to float32 rounding; the gradient is exact mathematics in another order (test/env/wasm-fused-layers.test.ts).
 *
 * How it reaches the layer: BatchNormalization's `call` is wrapped (`setBatchNormTraining`); while it is on, a call
 * in training mode over the last axis with both gamma and beta on wasm runs ours and updates the moving statistics as
 * tfjs-layers does (`moving -= (moving - batch) * (1 - momentum)`), except while batch-norm re-estimation observes the
 * batches (env/batch-norm.ts), which overwrites them at its end;
 * every other call (inference, other axes, other backends) runs tfjs-layers' own.
 */
import * as tf from '../../tfjs.js';
import { channelAffine } from './channel-affine.js';

export interface BatchNormTrainingResult {
  y: tf.Tensor;
  /** The batch's per-channel mean and (population) variance, shape [c]; no gradient flows through them. Kept out of
   * every tidy: the caller disposes them. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** Whether ours covers a batch norm over the last axis of `x` (float32, rank 2 to 4, at least two values a channel). */
export function fusedTrainingCovers(x: tf.Tensor): boolean {
  return x.dtype === 'float32' && x.rank >= 2 && x.rank <= 4 && x.size / x.shape[x.rank - 1] >= 2;
}

/**
 * Normalises `x` over every axis but the last with the batch's statistics, then scales by gamma and shifts by beta;
 * differentiable in x, gamma and beta by the closed form above.
 */
export function batchNormInTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): BatchNormTrainingResult {
  const c = x.shape[x.rank - 1];
  const leading = x.shape.slice(0, -1).map((_, i) => i);
  const count = x.size / c;
  let mean: tf.Tensor1D | null = null;
  let variance: tf.Tensor1D | null = null;
  // inside customGrad's forward no op is recorded on the tape: the statistics reach the caller without a gradient path
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const m = tf.mean(xIn, leading) as tf.Tensor1D;
    const xc = channelAffine(xIn, null, tf.neg(m));
    const v = tf.mean(tf.square(xc), leading) as tf.Tensor1D;
    const r = tf.rsqrt(tf.add(v, epsilon));
    const gr = tf.mul(tf.reshape(g, [c]), r);
    // the engine runs the forward pass in a tidy of its own: kept, and disposed by the caller
    mean = tf.keep(m);
    variance = tf.keep(v);
    save([xc, r, gr]);
    return {
      value: channelAffine(xc, gr, tf.reshape(b, [c])),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xcS, rS, grS] = saved;
        const sumDy = tf.sum(dy, leading);
        const sumDyXc = tf.sum(tf.mul(dy, xcS), leading);
        // dx = gr dy + (-gr r^2 sum(dy xc) / N) xc + (-gr sum(dy) / N)
        const slope = tf.mul(grS, tf.mul(tf.square(rS), tf.div(sumDyXc, -count)));
        const shift = tf.mul(grS, tf.div(sumDy, -count));
        const dx = tf.add(channelAffine(dy, grS, null), channelAffine(xcS, slope, shift));
        return [dx, tf.reshape(tf.mul(sumDyXc, rS), g.shape), tf.reshape(sumDy, b.shape)];
      },
    };
  });
  const y = op(x, gamma, beta);
  return { y, mean: mean!, variance: variance! };
}

/** The parts of tfjs-layers' BatchNormalization that ours reads (private fields of the class). */
interface BatchNormLayer {
  axis: number | number[];
  momentum: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type Call = (this: BatchNormLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

/** BatchNormalization's prototype (through tfjs-layers' class registry: the class itself is not exported). */
function batchNormPrototype(): { call: Call } {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap.BatchNormalization;
  if (!entry) throw new Error('tfjs-layers registers no BatchNormalization class');
  return (entry[0] as unknown as { prototype: { call: Call } }).prototype;
}

let installed = false;
let enabled = false;

/** Told each batch's statistics of every training-mode batch norm ours runs: the layer, mean and variance ([c]). */
export type BatchStatisticsObserver = (layer: tf.layers.Layer, mean: tf.Tensor1D, variance: tf.Tensor1D) => void;
let observer: BatchStatisticsObserver | null = null;
/** `moving: true` of withBatchStatistics: the moving statistics updated while observed, as before (bench/episode-profile.ts). */
let movingWhileObserved = false;

/**
 * Runs `fn` with `observe` told the batch statistics of each training-mode batch norm ours computes (the tensors are
 * disposed after the call: keep what you need). env/batch-norm.ts re-estimates the moving statistics from them, so
 * while observed ours leaves the moving statistics as they are (the caller sets them; `moving: true` updates them
 * anyway, as before, for a benchmark's side-by-side).
 */
export function withBatchStatistics<T>(observe: BatchStatisticsObserver, fn: () => T, opts: { moving?: boolean } = {}): T {
  const outer = [observer, movingWhileObserved] as const;
  observer = observe;
  movingWhileObserved = opts.moving === true;
  try {
    return fn();
  } finally {
    [observer, movingWhileObserved] = outer;
  }
}

/** Whether ours runs this layer's training-mode calls now (on wasm with the fusions on, over the last axis, both
 * gamma and beta). */
export function fusedTrainingRuns(layer: tf.layers.Layer, rank: number): boolean {
  const bn = layer as unknown as BatchNormLayer;
  return enabled && tf.getBackend() === 'wasm' && bn.gamma != null && bn.beta != null && lastAxis(bn, rank);
}

function lastAxis(layer: BatchNormLayer, rank: number): boolean {
  const axes = Array.isArray(layer.axis) ? layer.axis : [layer.axis];
  return axes.length === 1 && (axes[0] === -1 || axes[0] === rank - 1);
}

/**
 * Training-mode calls of BatchNormalization on wasm run ours while `on`, tfjs-layers' own otherwise. The class's
 * `call` is wrapped once, on the first call with `on`, and stays wrapped (a layer whose `call` was wrapped in turn,
 * as activation-quant.ts does for the duration of a pass, keeps a reference to it); the switch is the flag.
 */
export function setBatchNormTraining(on: boolean): void {
  enabled = on;
  if (!on || installed) return;
  installed = true;
  const proto = batchNormPrototype();
  const own = proto.call;
  proto.call = function (this: BatchNormLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const layer = this as unknown as tf.layers.Layer;
    if (kwargs?.training !== true || !fusedTrainingCovers(x) || !fusedTrainingRuns(layer, x.rank)) return own.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormInTraining(x, this.gamma!.read(), this.beta!.read(), this.epsilon);
      // observed (batch-norm re-estimation), the moving statistics are the observer's to set: its caller overwrites
      // them after the passes, so tfjs's momentum update (ten small kernels a layer and batch) would be thrown away
      if (!observer || movingWhileObserved) for (const [moving, batch] of [[this.movingMean, mean], [this.movingVariance, variance]] as const) {
        const old = moving.read();
        moving.write(tf.sub(old, tf.mul(tf.sub(old, tf.reshape(batch, old.shape)), 1 - this.momentum)));
      }
      observer?.(layer, mean, variance);
      tf.dispose([mean, variance]);
      return y;
    });
  };
}
