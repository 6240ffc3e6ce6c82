/**
 * Activation fake-quantization (the `abits` knob): the INPUT of each chosen layer is quantized to `bits` bits,
 * uniform and asymmetric over a tracked range, during the fine-tune, batch-norm re-estimation and evaluation.
 *
 * Follows tfmot's QAT `MovingAverageQuantizer` (and TF's FakeQuantWithMinMaxVars): the range [min, max] is an
 * exponential moving average of each training batch's min and max, widened to hold 0 so that 0 (ReLU's floor,
 * padding) is exact; the gradient passes straight through inside the range and is 0 outside it (the clipped STE).
 * The range is frozen once the fine-tune ends, and every later pass (batch-norm re-estimation, evaluation) uses it.
 * Deliberate differences:
 * - tfmot starts the range at [-6, 6] and decays it by 0.999 a step, which a 30-step episode fine-tune would never move
 *   from; we start at the first batch's min and max and move by EMA_RATE (PyTorch's MovingAverageMinMaxObserver,
 *   averaging constant 0.01);
 * - without a fine-tune (0 steps) the range is tracked the same way over a few training batches in inference mode
 *   (`calibrateActivations`), as post-training quantization calibrates;
 * - the range is not nudged so that 0 falls on a grid point: 0 is inside the range, within half a step of a level.
 *
 * How: `withActivationQuant` wraps `layer.call` of the chosen layers for the duration of a callback and restores the
 * prototype's method in a `finally`, so the model object carries no lasting change (the written model has fp32
 * activations; the tfjs export cannot carry them). A layer with two kernel units (SeparableConv2D, recurrent layers)
 * has one input: the first unit's bits quantize it, and the inner activations of the layer are not quantized.
 * Ranges are plain numbers (read with one dataSync per layer and training step), so no tensor outlives a pass.
 */
import * as tf from '../tfjs.js';
import type { Dataset } from './data/dataset.js';
import { BatchSampler } from './batches.js';

/** A layer whose input is quantized, and to how many bits (2..8). */
export interface ActivationSite {
  layerName: string;
  bits: number;
}

/** A site with its frozen range: what model.ashk records per layer. */
export interface ActivationRange extends ActivationSite {
  min: number;
  max: number;
}

/** Weight of each new batch in the range's moving average (PyTorch's averaging constant). */
export const EMA_RATE = 0.01;

/**
 * `x` quantized to `bits` bits over [lo, hi] (lo <= 0 <= hi): `round((clip(x) - lo) / s) * s + lo` with
 * s = (hi - lo) / (2^bits - 1). Gradient: dy where lo <= x <= hi, 0 elsewhere.
 */
export function fakeQuantize(x: tf.Tensor, lo: number, hi: number, bits: number): tf.Tensor {
  if (!(hi > lo)) return x.clone();
  const scale = (hi - lo) / (2 ** bits - 1);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const v = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([v]);
    const value = v.clipByValue(lo, hi).sub(lo).div(scale).round().mul(scale).add(lo);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => dy.mul(saved[0].greaterEqual(lo).logicalAnd(saved[0].lessEqual(hi)).cast(dy.dtype));
    return { value, gradFunc };
  });
  return f(x);
}

type Call = tf.layers.Layer['call'];

/** The range state of one site. */
interface Tracker extends ActivationSite {
  min: number;
  max: number;
  observed: boolean;
}

/** The quantizer of one pass over a model: tracks ranges until `freeze()`, then quantizes with the frozen ones. */
export class ActivationQuantizer {
  private readonly trackers: Map<string, Tracker>;
  private frozen = false;

  constructor(sites: ActivationSite[]) {
    this.trackers = new Map(sites.map((s) => [s.layerName, { ...s, min: 0, max: 0, observed: false }]));
  }

  get layerNames(): string[] {
    return [...this.trackers.keys()];
  }

  /** Whether every site has seen at least one batch. */
  get observed(): boolean {
    return [...this.trackers.values()].every((t) => t.observed);
  }

  freeze(): void {
    this.frozen = true;
  }

  /** Each site's range (min <= 0 <= max), in the order of the sites. */
  ranges(): ActivationRange[] {
    return [...this.trackers.values()].map(({ layerName, bits, min, max }) => ({ layerName, bits, min, max }));
  }

  /** Quantize the input of `layerName`: observe the batch first while tracking. */
  quantize(layerName: string, x: tf.Tensor): tf.Tensor {
    const t = this.trackers.get(layerName);
    if (!t) return x;
    if (!this.frozen) {
      const [lo, hi] = tf.tidy(() => tf.stack([x.min(), x.max()]).dataSync());
      const rate = t.observed ? EMA_RATE : 1;
      t.min = Math.min(0, t.min + rate * (lo - t.min));
      t.max = Math.max(0, t.max + rate * (hi - t.max));
      t.observed = true;
    } else if (!t.observed) {
      throw new Error(`activation range of layer ${layerName} was frozen before any batch was seen; calibrate first`);
    }
    return fakeQuantize(x, t.min, t.max, t.bits);
  }
}

/**
 * Run `fn` with the inputs of `sites`' layers fake-quantized (a quantizer it can freeze and read), or with null when
 * there is no site; every wrapped `call` is restored when `fn` settles.
 */
export async function withActivationQuant<T>(model: tf.LayersModel, sites: ActivationSite[], fn: (q: ActivationQuantizer | null) => Promise<T>): Promise<T> {
  if (sites.length === 0) return fn(null);
  const quantizer = new ActivationQuantizer(sites);
  const restore: Array<() => void> = [];
  try {
    for (const name of quantizer.layerNames) {
      const layer = model.getLayer(name);
      const own = Object.getOwnPropertyDescriptor(layer, 'call');
      const original = layer.call as Call;
      const wrapped: Call = (inputs, kwargs) => {
        const list = Array.isArray(inputs) ? inputs : [inputs];
        const first = quantizer.quantize(name, list[0]);
        return original.call(layer, Array.isArray(inputs) ? [first, ...list.slice(1)] : first, kwargs);
      };
      Object.defineProperty(layer, 'call', { value: wrapped, configurable: true, writable: true });
      restore.push(() => (own ? Object.defineProperty(layer, 'call', own) : delete (layer as { call?: Call }).call));
    }
    return await fn(quantizer);
  } finally {
    for (const r of restore.reverse()) r();
  }
}

/** The sites of a strategy: each layer whose units set activation bits, at its first unit's bits. */
export function activationSites(units: Array<{ layerName: string; activationBits?: number }>): ActivationSite[] {
  const sites = new Map<string, number>();
  for (const u of units) if (u.activationBits !== undefined && !sites.has(u.layerName)) sites.set(u.layerName, u.activationBits);
  return [...sites].map(([layerName, bits]) => ({ layerName, bits }));
}

/**
 * Set the ranges of a quantizer that has not tracked (no fine-tune) from `batches` training batches in inference mode,
 * then freeze them. The batch order is seeded like batch-norm re-estimation's.
 */
export async function calibrateActivations(model: tf.LayersModel, quantizer: ActivationQuantizer, data: Dataset, opts: { batches: number; batchSize: number; seed: number | string }): Promise<void> {
  const sampler = new BatchSampler(data.train, data.inputShape, opts.batchSize, `activations:${opts.seed}`);
  for (let b = 0; b < Math.max(1, opts.batches); b++) {
    const [x, y] = sampler.next();
    tf.tidy(() => {
      model.apply(x, { training: false });
    });
    x.dispose();
    y.dispose();
  }
  quantizer.freeze();
}
