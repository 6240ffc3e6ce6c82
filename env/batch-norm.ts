/**
 * Batch-norm re-estimation: after a model's weights are compressed, set every BatchNormalization layer's moving mean
 * and variance to the statistics of its inputs under the compressed weights, measured on a few training batches.
 *
 * Why: compressing a convolution to 1-2 bits changes the scale and offset of its outputs, and the moving statistics
 * that batch norm uses at inference still describe the fp32 model. tfjs updates them with momentum 0.99, so after a
 * 30-step episode fine-tune they are still 0.99^30 = 74% the old ones, and a compressed mobilenet-tiny scores near
 * chance whatever its strategy, which leaves the search blind (bench/results/search-quality-round6.md, round 3). The same
 * remedy is BN re-estimation in Nagel et al. 2021 ("A White Paper on Neural Network Quantization", section 4.2),
 * AdaBN (Li et al. 2016) and the evaluation of sub-networks in one-shot NAS (Guo et al. 2020, SPOS). It is forward
 * passes only: 16 batches cost about what 5 training steps cost.
 *
 * How: one forward pass per batch in training mode (every batch norm normalises with its batch's statistics, as during
 * training, so the input of a later layer is what training would see), reading the input of every batch-norm layer;
 * the population statistics are the means over batches of each channel's mean and of its mean square, so
 * variance = E[x^2] - E[x]^2 over all the images (PyTorch's cumulative average, momentum=None). The training-mode pass
 * also moves the moving statistics by tfjs's own update (ours, observed, skips it); they are overwritten at the end.
 * On a plain chain of layers the pass stops at the last batch norm: what follows it changes no statistic.
 */
import * as tf from '../tfjs.js';
import type { Dataset } from './data/dataset.js';
import { BatchSampler } from './batches.js';
import { layerChain } from './folded-inference.js';
import { fusedTrainingRuns, withBatchStatistics } from './kernels/batch-norm-training.js';
import type { PrefixCache } from './prefix-cache.js';
import { wasmFusionsOn } from './wasm-kernels.js';

/** Training batches BN re-estimation reads by default (16 x 64 = 1,024 images). */
export const BN_RECALIBRATION_BATCHES = 16;

export interface BatchNormRecalibration {
  batches: number;
  batchSize: number;
  /** Seeds the batch order; equal seeds read the same images (common random numbers across episodes). */
  seed: number | string;
}

interface BatchNormSite {
  layer: tf.layers.Layer;
  /** Axes reduced to get per-channel statistics: all but the layer's channel axis. */
  axes: number[];
  mean: tf.LayerVariable;
  variance: tf.LayerVariable;
}

function sitesOf(model: tf.LayersModel): BatchNormSite[] {
  const sites: BatchNormSite[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const rank = (layer.input as tf.SymbolicTensor).shape.length;
    const axisConfig = (layer.getConfig() as { axis?: number | number[] }).axis ?? -1;
    const channelAxis = new Set((Array.isArray(axisConfig) ? axisConfig : [axisConfig]).map((a) => (a < 0 ? a + rank : a)));
    const find = (suffix: string) => layer.weights.find((w) => w.originalName.endsWith(suffix));
    const mean = find('moving_mean');
    const variance = find('moving_variance');
    if (!mean || !variance) continue;
    sites.push({ layer, axes: [...Array(rank).keys()].filter((a) => !channelAxis.has(a)), mean, variance });
  }
  return sites;
}

let shortcuts = true;
/**
 * Off, re-estimation passes the whole model and lets tfjs's momentum update run, as before the shortcuts (same
 * statistics: bench/episode-profile.ts measures both side by side). On by default. The prefix cache's own pass
 * (env/prefix-cache.ts) always stops at the last batch norm: for the old pass in full, also give the measurer
 * `prefixBytes: 0`, as bench/episode-work.ts does.
 */
export function setRecalibrationShortcuts(on: boolean): void {
  shortcuts = on;
}

/** Whether `model` has batch-norm layers whose statistics re-estimation would set. */
export function hasBatchNorm(model: tf.LayersModel): boolean {
  return model.layers.some((l) => l.getClassName() === 'BatchNormalization');
}

/**
 * Each site's batch mean and mean square from our fused training-mode batch norm (env/kernels/batch-norm-training.ts),
 * which computes them anyway, over one pass of the whole model; null when a site was not seen exactly once (a layer
 * ours does not run, or one used twice), and the caller reads the sites' inputs instead. Saves the three passes per
 * site (mean, square, mean) of reading them.
 */
function observedStatistics(model: tf.LayersModel, sites: BatchNormSite[], x: tf.Tensor, chain: tf.layers.Layer[] | null): Array<[tf.Tensor, tf.Tensor]> | null {
  const index = new Map(sites.map((s, i) => [s.layer, i]));
  const seen: Array<Array<[tf.Tensor, tf.Tensor]>> = sites.map(() => []);
  withBatchStatistics(
    (layer, mean, variance) => {
      const i = index.get(layer);
      // kept: the observer is called inside the layer's tidy; E[x^2] = variance + mean^2
      if (i !== undefined) seen[i].push([tf.keep(tf.clone(mean)), tf.keep(tf.add(variance, tf.square(mean)))]);
    },
    () => {
      if (!chain || !shortcuts) return tf.dispose(model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]);
      let y = x;
      for (const layer of chain) y = layer.apply(y, { training: true }) as tf.Tensor;
    },
    { moving: !shortcuts },
  );
  // back into the caller's tidy: released from keep by one more scope-tracked clone each
  const all = seen.flat();
  const complete = seen.every((s) => s.length === 1);
  const out = complete ? seen.map((s) => [tf.clone(s[0][0]), tf.clone(s[0][1])] as [tf.Tensor, tf.Tensor]) : null;
  tf.dispose(all.flat());
  return out;
}

/**
 * Re-estimate the moving mean and variance of every BatchNormalization layer of `model` on `opts.batches` training
 * batches, in place. Does nothing for a model without batch norm or with `batches` 0. No tensor outlives the call but
 * what `prefix` keeps: the layers before the measurement's first changed one (env/prefix-cache.ts).
 */
export async function recalibrateBatchNorm(model: tf.LayersModel, data: Dataset, opts: BatchNormRecalibration, prefix?: PrefixCache | null): Promise<void> {
  const sites = sitesOf(model);
  if (sites.length === 0 || opts.batches <= 0) return;
  const probe = tf.model({ inputs: model.inputs, outputs: sites.map((s) => s.layer.input as tf.SymbolicTensor) });
  const sampler = new BatchSampler(data.train, data.inputShape, opts.batchSize, `bn:${opts.seed}`);
  const fused = wasmFusionsOn() && sites.every((s) => fusedTrainingRuns(s.layer, s.axes.length + 1));
  // a plain chain up to its last batch norm (the caller's tidy takes the intermediate tensors)
  const chain = layerChain(model);
  const last = chain ? Math.max(...sites.map((s) => chain.indexOf(s.layer))) : -1;
  const upToLast = chain && sites.every((s) => chain.includes(s.layer)) ? chain.slice(0, last + 1) : null;
  const sums = sites.map(() => ({ mean: null as tf.Tensor | null, square: null as tf.Tensor | null }));
  try {
    for (let b = 0; b < opts.batches; b++) {
      const [x, y] = sampler.next();
      try {
        tf.tidy(() => {
          const stats = fused ? (prefix?.batchStatistics(b, x, sites.map((s) => s.layer)) ?? observedStatistics(model, sites, x, upToLast)) : null;
          const outs = stats ? null : (probe.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]);
          const inputs = outs === null ? [] : Array.isArray(outs) ? outs : [outs];
          sites.forEach((s, i) => {
            const m = stats ? stats[i][0] : inputs[i].mean(s.axes);
            const sq = stats ? stats[i][1] : inputs[i].square().mean(s.axes);
            const acc = sums[i];
            const nextMean = acc.mean ? acc.mean.add(m) : m;
            const nextSquare = acc.square ? acc.square.add(sq) : sq;
            acc.mean?.dispose();
            acc.square?.dispose();
            acc.mean = tf.keep(nextMean);
            acc.square = tf.keep(nextSquare);
          });
        });
      } finally {
        x.dispose();
        y.dispose();
      }
      if ((b + 1) % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    tf.tidy(() => {
      sites.forEach((s, i) => {
        const mean = sums[i].mean!.div(opts.batches);
        const variance = sums[i].square!.div(opts.batches).sub(mean.square()).relu();
        s.mean.write(mean.reshape(s.mean.shape as number[]));
        s.variance.write(variance.reshape(s.variance.shape as number[]));
      });
    });
  } finally {
    for (const acc of sums) {
      acc.mean?.dispose();
      acc.square?.dispose();
    }
  }
}
