/**
 * The compressible layers of a LayersModel (Dense, Conv2D, DepthwiseConv2D) as plain descriptors: shapes, parameter
 * and multiply-accumulate counts. Everything the state vector, the budget and the learners need, read once.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../errors.js';

export type LayerKind = 'dense' | 'conv' | 'depthwise';

export interface LayerInfo {
  /** Position among the compressible layers. */
  index: number;
  name: string;
  kind: LayerKind;
  /** Kernel shape as stored: dense [in, out]; conv [kh, kw, cin, cout]; depthwise [kh, kw, cin, multiplier]. */
  kernelShape: number[];
  /** The shape the learners compress and store: the kernel shape, except depthwise [kh, kw, 1, cin * multiplier] so
   * that per-channel buckets and codebooks (last axis) are one per real channel. Same flat order as the kernel. */
  storageShape: number[];
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride: number;
  /** Input feature-map side (height; 1 for dense). */
  inputSize: number;
  /** Output feature-map height x width (1 for dense). */
  outputPixels: number;
  /** Kernel weights (what gets compressed). */
  params: number;
  /** Multiply-accumulates of one forward pass of one image. */
  macs: number;
}

function shapeOf(t: tf.SymbolicTensor | tf.SymbolicTensor[]): number[] {
  return (Array.isArray(t) ? t[0] : t).shape.map((d) => d ?? 1);
}

export function compressibleLayers(model: tf.LayersModel): LayerInfo[] {
  const infos: LayerInfo[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls !== 'Dense' && cls !== 'Conv2D' && cls !== 'DepthwiseConv2D') continue;
    const kernel = layer.getWeights()[0];
    const kernelShape = kernel.shape.slice();
    const input = shapeOf(layer.input);
    const output = shapeOf(layer.output);
    const params = kernelShape.reduce((a, b) => a * b, 1);
    const config = layer.getConfig() as { strides?: number | number[]; kernelSize?: number | number[] };
    const first = (v: number | number[] | undefined) => (Array.isArray(v) ? v[0] : (v ?? 1));
    if (cls === 'Dense') {
      if (input.length !== 2) throw new ModelError(`dense layer ${layer.name} has a ${input.length}-D input; only 2-D inputs (after Flatten) are supported`);
      infos.push({ index: infos.length, name: layer.name, kind: 'dense', kernelShape, storageShape: kernelShape, inChannels: kernelShape[0], outChannels: kernelShape[1], kernelSize: 1, stride: 1, inputSize: 1, outputPixels: 1, params, macs: params });
    } else {
      const outputPixels = output[1] * output[2];
      infos.push({
        index: infos.length,
        name: layer.name,
        kind: cls === 'Conv2D' ? 'conv' : 'depthwise',
        kernelShape,
        storageShape: cls === 'Conv2D' ? kernelShape : [kernelShape[0], kernelShape[1], 1, kernelShape[2] * kernelShape[3]],
        inChannels: kernelShape[2],
        outChannels: cls === 'Conv2D' ? kernelShape[3] : kernelShape[2] * kernelShape[3],
        kernelSize: first(config.kernelSize),
        stride: first(config.strides),
        inputSize: input[1],
        outputPixels,
        params,
        macs: params * outputPixels,
      });
    }
  }
  if (infos.length === 0) throw new ModelError(`model ${model.name} has no Dense, Conv2D or DepthwiseConv2D layer to compress`);
  return infos;
}

/** Parameters outside the compressible kernels (biases, batch-norm, ...), stored in fp32. */
export function fixedParams(model: tf.LayersModel, layers: LayerInfo[]): number {
  const kernels = layers.reduce((n, l) => n + l.params, 0);
  // countParams() already counts every weight, trainable or not (batch-norm moving statistics included)
  return model.countParams() - kernels;
}

/** A weight-bearing layer whose weights stay at full precision, and why. */
export interface LeftOutLayer {
  name: string;
  className: string;
  /** Its weights (all of them: kernels, biases, recurrent kernels, ...). */
  params: number;
  reason: 'type not supported' | 'excluded';
}

/** Layers whose weights are fp32 by design and small: normalisation statistics and scales. Not listed as left out. */
const FP32_BY_DESIGN = new Set(['BatchNormalization', 'LayerNormalization']);

/**
 * Every weight-bearing layer of `model` that the search does not compress, so a run can say so instead of leaving it
 * silently at fp32: layers of a type no learner handles yet (SeparableConv2D, Conv1D, Embedding, LSTM, ...), and
 * compressible layers outside `searched` (excluded by the user). Biases and normalisation layers are fp32 by design
 * and counted in the budget's fixed cost, not listed.
 */
export function layersLeftOut(model: tf.LayersModel, searched: LayerInfo[]): LeftOutLayer[] {
  const names = new Set(searched.map((l) => l.name));
  const out: LeftOutLayer[] = [];
  for (const layer of model.layers) {
    const params = layer.countParams();
    const cls = layer.getClassName();
    if (params === 0 || FP32_BY_DESIGN.has(cls) || names.has(layer.name)) continue;
    const compressible = cls === 'Dense' || cls === 'Conv2D' || cls === 'DepthwiseConv2D';
    out.push({ name: layer.name, className: cls, params, reason: compressible ? 'excluded' : 'type not supported' });
  }
  return out;
}

/** One line for a run's start: "left at full precision: sep (SeparableConv2D, type not supported, 4,672 weights), ...". */
export function describeLeftOut(left: LeftOutLayer[]): string {
  const parts = left.map((l) => `${l.name} (${l.className}, ${l.reason}, ${l.params.toLocaleString('en-US')} weights)`);
  return `left at full precision: ${parts.join(', ')}`;
}
