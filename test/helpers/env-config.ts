/**
 * Environment configs and hand-made layers for the env tests: a complete `EnvConfig` from a few overrides, and
 * `LayerInfo` descriptors whose costs a reader can work out by hand.
 */
import type { EnvConfig } from '../../env/compression-env.js';
import { DEFAULT_BOUNDS, type Knob, type SearchSpace } from '../../env/knobs.js';
import type { LayerInfo } from '../../env/layers.js';
import { layerSpec } from '../../learners/types.js';

/** What the agent does not choose: full precision, per-channel buckets, k-means++ clusters keeping zeros. */
export const BASE = layerSpec({ bits: 32, pruneRatio: 0, clusters: 0, bucket: 'channel' });

export function space(knobs: Knob[]): SearchSpace {
  return { knobs, bounds: { ...DEFAULT_BOUNDS }, base: BASE };
}

/** An env config without fine-tuning, rewarding plain accuracy on 200 validation images. */
export function envConfig(overrides: Partial<EnvConfig> = {}): EnvConfig {
  return {
    space: space(['bits']),
    budget: { kind: 'size', value: 4, unit: 'bits' },
    reward: 'accuracy',
    lambda: 0,
    maxDrop: 0.01,
    order: 'forward',
    exclude: [],
    pin: {},
    finetune: { steps: 0, batchSize: 32, learningRate: 1e-3, distill: false },
    evalSize: 200,
    seed: 1,
    ...overrides,
  };
}

/** A dense layer [inputs, outputs]: inputs x outputs parameters and as many MACs. */
export function dense(index: number, inputs: number, outputs: number): LayerInfo {
  const params = inputs * outputs;
  return { index, name: `d${index}`, layerName: `d${index}`, weightIndex: 0, className: 'Dense', kind: 'dense', kernelShape: [inputs, outputs], storageShape: [inputs, outputs], inChannels: inputs, outChannels: outputs, kernelSize: 1, stride: 1, inputSize: 1, outputPixels: 1, params, macs: params };
}
