/**
 * The compressible kernels of a LayersModel as plain descriptors: shapes, parameter and multiply-accumulate counts.
 * Everything the state vector, the budget and the learners need, read once.
 *
 * Supported layer types (tfjs-layers class names): Dense, Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D,
 * SeparableConv2D, Embedding, SimpleRNN, GRU, LSTM, and the wrappers Bidirectional (of SimpleRNN, GRU or LSTM) and
 * TimeDistributed (of Dense). Every other weight-bearing layer is named by `layersLeftOut`.
 *
 * One searched unit per kernel. A layer with several kernels gives one unit each, named `<layer>/<role>`:
 * SeparableConv2D `sep/depthwise` + `sep/pointwise`, recurrent layers `gru/kernel` (input) + `gru/recurrent`, a
 * Bidirectional four (`bi/forward/kernel`, `bi/forward/recurrent`, `bi/backward/kernel`, `bi/backward/recurrent`); a
 * layer with one kernel keeps the layer's name, so strategy files of earlier versions still match. Why not one unit
 * with a shared setting: the kernels differ by an order of magnitude in size and in sensitivity (a 3x3 depthwise
 * kernel holds 9 weights a channel, the pointwise kernel C_in x C_out; HAQ gives them different bit widths), and a
 * recurrent kernel's error is fed back at every time step while the input kernel's is not. One setting for both would
 * price the small sensitive kernel like the large one. Each unit names its layer (`layerName`) and which of
 * `layer.weights` it is (`weightIndex`): `kernelVariable` is the one place that turns a unit into the variable to read
 * and write. `--exclude sep` matches every unit of layer sep, `--exclude sep/pointwise` one.
 *
 * How each type is costed (MACs per example):
 * - Dense (also on sequences), TimeDistributed(Dense), Conv1D, Conv2D, the SeparableConv2D and DepthwiseConv2D
 *   kernels: weights x output positions;
 * - Conv2DTranspose: weights x INPUT pixels (every input pixel scatters the whole kernel);
 * - SimpleRNN / GRU / LSTM kernels (input and recurrent, each direction of a Bidirectional): weights x time steps;
 * - Embedding: 0 (a table lookup multiplies nothing; its table still counts for size budgets).
 * The learners bucket and cluster along the last axis of `storageShape`: output channels for convolutions and dense
 * kernels, the gates' units for recurrent kernels, the embedding dimension for a table; for Conv2DTranspose (kernel
 * [kh, kw, out, in]) the last axis is the INPUT channels: buckets stay valid, they are just per input channel.
 */
import * as tf from '../tfjs.js';
import { ModelError } from '../errors.js';

/** The unit's arithmetic, for the state vector and strategy files: matrix product (dense, embedding, recurrent),
 * sliding window over channels (conv, conv1d, transposed, pointwise), per-channel window (depthwise). */
export type LayerKind = 'dense' | 'conv' | 'depthwise';

export interface LayerInfo {
  /** Position among the compressible units. */
  index: number;
  /** The unit's name: the layer's, or `<layer>/<role>` for a layer with two kernels (see the file head). */
  name: string;
  /** The tfjs layer holding the kernel. */
  layerName: string;
  /** Which of `model.getLayer(layerName).weights` the kernel is. */
  weightIndex: number;
  /** The layer's tfjs class, e.g. 'SeparableConv2D'. */
  className: string;
  kind: LayerKind;
  /** Kernel shape as stored: dense [in, out]; conv [kh, kw, cin, cout]; conv1d [k, cin, cout]; transposed
   * [kh, kw, cout, cin]; depthwise [kh, kw, cin, multiplier]; embedding [vocabulary, dim]; recurrent [in or units,
   * gates x units]. */
  kernelShape: number[];
  /** The shape the learners compress and store: the kernel shape, except depthwise [kh, kw, 1, cin * multiplier] so
   * that per-channel buckets and codebooks (last axis) are one per real channel. Same flat order as the kernel. */
  storageShape: number[];
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride: number;
  /** Input feature-map side (height; the sequence length for sequence layers; 1 for dense on a vector). */
  inputSize: number;
  /** Output positions: feature-map height x width, sequence length, time steps (1 for dense on a vector). */
  outputPixels: number;
  /** Kernel weights (what gets compressed). */
  params: number;
  /** Multiply-accumulates of one forward pass of one example. */
  macs: number;
}

/** The layer types whose kernels are compressed (the wrappers only around the types they name). */
export const SUPPORTED_LAYERS = ['Dense', 'Conv1D', 'Conv2D', 'Conv2DTranspose', 'DepthwiseConv2D', 'SeparableConv2D', 'Embedding', 'SimpleRNN', 'GRU', 'LSTM', 'Bidirectional', 'TimeDistributed'] as const;
const SUPPORTED = new Set<string>(SUPPORTED_LAYERS);
const RECURRENT = new Set(['SimpleRNN', 'GRU', 'LSTM']);

/** The class a wrapper wraps (Bidirectional, TimeDistributed), from its config. */
function innerClass(layer: tf.layers.Layer): string | undefined {
  return (layer.getConfig() as { layer?: { className?: string; class_name?: string } }).layer?.className;
}

/** Whether `layer`'s kernels are compressed: a supported class, a wrapper only around a recurrent layer or a Dense. */
function isSupported(layer: tf.layers.Layer): boolean {
  const cls = layer.getClassName();
  if (cls === 'Bidirectional') return RECURRENT.has(innerClass(layer) ?? '');
  if (cls === 'TimeDistributed') return innerClass(layer) === 'Dense';
  return SUPPORTED.has(cls);
}

/** The kernel of a unit: the variable compression reads, writes and fine-tunes. */
export function kernelVariable(model: tf.LayersModel, layer: Pick<LayerInfo, 'name' | 'layerName' | 'weightIndex'>): tf.LayerVariable {
  const v = model.getLayer(layer.layerName).weights[layer.weightIndex];
  if (!v) throw new ModelError(`layer ${layer.layerName} has no weight ${layer.weightIndex} (unit ${layer.name}); the model is not the one the units were read from`);
  return v;
}

function shapeOf(t: tf.SymbolicTensor | tf.SymbolicTensor[]): number[] {
  return (Array.isArray(t) ? t[0] : t).shape.map((d) => d ?? 1);
}

const product = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
const first = (v: number | number[] | undefined) => (Array.isArray(v) ? v[0] : (v ?? 1));

/** The last path part of a weight's name: 'kernel', 'recurrent_kernel', 'depthwise_kernel', 'embeddings', ... */
function weightRole(v: tf.LayerVariable): string {
  return (v.originalName ?? v.name).split('/').pop() ?? '';
}

type Unit = Omit<LayerInfo, 'index' | 'params' | 'macs' | 'storageShape'> & { positions: number; storageShape?: number[] };

/** The kernel units of one supported layer, before numbering. */
function unitsOf(layer: tf.layers.Layer): Unit[] {
  const cls = layer.getClassName();
  const weights = layer.weights;
  const at = (role: string) => {
    const i = weights.findIndex((w) => weightRole(w) === role);
    if (i < 0) throw new ModelError(`${cls} layer ${layer.name} has no '${role}' weight; re-save the model with tfjs-layers`);
    return i;
  };
  if (layer.inboundNodes.length > 1) {
    throw new ModelError(`layer ${layer.name} is called ${layer.inboundNodes.length} times (a shared layer); give each call its own layer to compress it`);
  }
  const input = shapeOf(layer.input);
  const output = shapeOf(layer.output);
  const config = layer.getConfig() as { strides?: number | number[]; kernelSize?: number | number[] };
  const stride = first(config.strides);
  const kernelSize = first(config.kernelSize);
  const base = { layerName: layer.name, className: cls };
  const shapeAt = (i: number) => (weights[i].shape as number[]).slice();
  switch (cls) {
    case 'Dense': {
      const i = at('kernel');
      const k = shapeAt(i);
      // on a sequence or a map the same kernel runs at every position of the middle axes
      const positions = product(input.slice(1, -1));
      return [{ ...base, name: layer.name, weightIndex: i, kind: 'dense', kernelShape: k, inChannels: k[0], outChannels: k[1], kernelSize: 1, stride: 1, inputSize: input.length > 2 ? input[1] : 1, outputPixels: positions, positions }];
    }
    case 'Conv1D':
    case 'Conv2D': {
      const i = at('kernel');
      const k = shapeAt(i);
      const positions = product(output.slice(1, -1));
      return [{ ...base, name: layer.name, weightIndex: i, kind: 'conv', kernelShape: k, inChannels: k[k.length - 2], outChannels: k[k.length - 1], kernelSize, stride, inputSize: input[1], outputPixels: positions, positions }];
    }
    case 'Conv2DTranspose': {
      const i = at('kernel');
      const k = shapeAt(i);
      return [{ ...base, name: layer.name, weightIndex: i, kind: 'conv', kernelShape: k, inChannels: k[3], outChannels: k[2], kernelSize, stride, inputSize: input[1], outputPixels: output[1] * output[2], positions: input[1] * input[2] }];
    }
    case 'DepthwiseConv2D':
    case 'SeparableConv2D': {
      const d = at('depthwise_kernel');
      const k = shapeAt(d);
      const pixels = output[1] * output[2];
      const depthwise: Unit = {
        ...base,
        name: cls === 'DepthwiseConv2D' ? layer.name : `${layer.name}/depthwise`,
        weightIndex: d,
        kind: 'depthwise',
        kernelShape: k,
        storageShape: [k[0], k[1], 1, k[2] * k[3]],
        inChannels: k[2],
        outChannels: k[2] * k[3],
        kernelSize,
        stride,
        inputSize: input[1],
        outputPixels: pixels,
        positions: pixels,
      };
      if (cls === 'DepthwiseConv2D') return [depthwise];
      const p = at('pointwise_kernel');
      const pk = shapeAt(p);
      // the pointwise 1x1 runs on the depthwise output, which has the layer's output size
      return [depthwise, { ...base, name: `${layer.name}/pointwise`, weightIndex: p, kind: 'conv', kernelShape: pk, inChannels: pk[2], outChannels: pk[3], kernelSize: 1, stride: 1, inputSize: output[1], outputPixels: pixels, positions: pixels }];
    }
    case 'Embedding': {
      const i = at('embeddings');
      const k = shapeAt(i);
      const length = input.length > 1 ? input[1] : 1;
      return [{ ...base, name: layer.name, weightIndex: i, kind: 'dense', kernelShape: k, inChannels: k[0], outChannels: k[1], kernelSize: 1, stride: 1, inputSize: length, outputPixels: length, positions: 0 }];
    }
    case 'TimeDistributed': {
      // a Dense run at every step: its kernel is the wrapper's
      const i = at('kernel');
      const k = shapeAt(i);
      const positions = product(input.slice(1, -1));
      return [{ ...base, name: layer.name, weightIndex: i, kind: 'dense', kernelShape: k, inChannels: k[0], outChannels: k[1], kernelSize: 1, stride: 1, inputSize: input[1], outputPixels: positions, positions }];
    }
    case 'SimpleRNN':
    case 'GRU':
    case 'LSTM':
    case 'Bidirectional': {
      const steps = input[1];
      // a Bidirectional holds its forward layer's weights, then its backward layer's ('bi/forward_lstm/kernel', ...)
      const directions = cls === 'Bidirectional' ? ['forward', 'backward'] : [null];
      return directions.flatMap((direction) =>
        (['kernel', 'recurrent_kernel'] as const).map((role) => {
          const i = direction === null ? at(role) : weights.findIndex((w) => weightRole(w) === role && (w.originalName ?? w.name).split('/').slice(-2)[0].startsWith(`${direction}_`));
          if (i < 0) throw new ModelError(`${cls} layer ${layer.name} has no ${direction} '${role}' weight; re-save the model with tfjs-layers`);
          const k = shapeAt(i);
          const name = `${layer.name}/${direction === null ? '' : `${direction}/`}${role === 'kernel' ? 'kernel' : 'recurrent'}`;
          return { ...base, name, weightIndex: i, kind: 'dense' as const, kernelShape: k, inChannels: k[0], outChannels: k[1], kernelSize: 1, stride: 1, inputSize: steps, outputPixels: steps, positions: steps };
        }),
      );
    }
    default:
      return [];
  }
}

export function compressibleLayers(model: tf.LayersModel): LayerInfo[] {
  const infos: LayerInfo[] = [];
  for (const layer of model.layers) {
    if (!isSupported(layer)) continue;
    for (const { positions, storageShape, ...u } of unitsOf(layer)) {
      const params = product(u.kernelShape);
      infos.push({ ...u, index: infos.length, storageShape: storageShape ?? u.kernelShape, params, macs: params * positions });
    }
  }
  if (infos.length === 0) {
    throw new ModelError(`model ${model.name} has no layer to compress; supported types are ${SUPPORTED_LAYERS.join(', ')} (Bidirectional of SimpleRNN, GRU or LSTM; TimeDistributed of Dense)`);
  }
  return infos;
}

/**
 * The first convolution of `model` with a dilation rate above 1, as "name (Class, dilation 2)", or null. tfjs has no
 * gradient for dilated convolutions (on any backend), so such a model can be compressed but not fine-tuned.
 */
export function dilatedLayer(model: tf.LayersModel): string | null {
  for (const layer of model.layers) {
    const rate = (layer.getConfig() as { dilationRate?: number | number[] }).dilationRate;
    const rates = rate === undefined ? [] : Array.isArray(rate) ? rate : [rate];
    if (rates.some((r) => r !== 1)) return `${layer.name} (${layer.getClassName()}, dilation ${rates.join('x')})`;
  }
  return null;
}

/** Parameters outside the compressible kernels (biases, batch-norm, ...), stored in fp32. */
export function fixedParams(model: tf.LayersModel, layers: LayerInfo[]): number {
  const kernels = layers.reduce((n, l) => n + l.params, 0);
  // countParams() already counts every weight, trainable or not (batch-norm moving statistics included)
  return model.countParams() - kernels;
}

/** A weight-bearing layer (or one kernel of a two-kernel layer) whose weights stay at full precision, and why. */
export interface LeftOutLayer {
  /** The layer's name, or the unit's (`sep/pointwise`) when the layer's other kernel is searched. */
  name: string;
  className: string;
  /** Its weights: all of the layer's (kernels, biases, ...), or the one kernel of a unit. */
  params: number;
  reason: 'type not supported' | 'excluded';
}

/** Layers whose weights are fp32 by design and small: normalisation statistics and scales. Not listed as left out. */
const FP32_BY_DESIGN = new Set(['BatchNormalization', 'LayerNormalization']);

/**
 * Every weight-bearing layer of `model` that the search does not compress, so a run can say so instead of leaving it
 * silently at fp32: layers of a type no learner handles (Conv3D, ConvLSTM2D, PReLU, a generic RNN of custom cells,
 * TimeDistributed of anything but Dense, ...), and compressible units outside `searched` (excluded by the user): a whole layer by its name
 * when none of its kernels is searched, else the kernel left out by its unit name. Biases and normalisation layers
 * are fp32 by design and counted in the budget's fixed cost, not listed.
 */
export function layersLeftOut(model: tf.LayersModel, searched: LayerInfo[]): LeftOutLayer[] {
  const names = new Set(searched.map((l) => l.name));
  const out: LeftOutLayer[] = [];
  for (const layer of model.layers) {
    const params = layer.countParams();
    const cls = layer.getClassName();
    if (params === 0 || FP32_BY_DESIGN.has(cls)) continue;
    if (!isSupported(layer)) {
      out.push({ name: layer.name, className: cls, params, reason: 'type not supported' });
      continue;
    }
    const units = unitsOf(layer);
    const kept = units.filter((u) => names.has(u.name));
    if (kept.length === 0) out.push({ name: layer.name, className: cls, params, reason: 'excluded' });
    else for (const u of units.filter((x) => !names.has(x.name))) out.push({ name: u.name, className: cls, params: product(u.kernelShape), reason: 'excluded' });
  }
  return out;
}

/** One line for a run's start: "left at full precision: c3 (Conv3D, type not supported, 4,672 weights), ...". */
export function describeLeftOut(left: LeftOutLayer[]): string {
  const parts = left.map((l) => `${l.name} (${l.className}, ${l.reason}, ${l.params.toLocaleString('en-US')} weights)`);
  return `left at full precision: ${parts.join(', ')}`;
}

/** The Embedding layer that reads `model`'s input directly (its values are token ids, rows of its table), or null. */
export function inputEmbedding(model: tf.LayersModel): { name: string; rows: number } | null {
  const input = model.inputs[0];
  const layer = model.layers.find((l) => l.getClassName() === 'Embedding' && l.inboundNodes.some((n) => n.inputTensors.includes(input)));
  return layer ? { name: layer.name, rows: (layer.getConfig() as { inputDim: number }).inputDim } : null;
}
