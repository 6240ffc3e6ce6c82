/**
 * Dependency analysis for channel pruning: which channels of which layers must shrink together. Every Conv2D and
 * Dense layer opens a "channel space" (its output channels). Each tensor's last axis is described position by
 * position as (space, channel), or fixed (model inputs, outputs of layers we do not understand). Layers map these
 * layouts:
 * - batch-norm, activations, pooling, global pooling, dropout, padding: pass-through (channel c stays channel c);
 * - DepthwiseConv2D with depth multiplier 1: pass-through, its kernel and bias follow its input channels;
 * - Add / Average / Maximum / Minimum / Multiply / Subtract: the spaces meeting at a position are joined (union-find),
 *   so all tensors joined by a residual add form one group;
 * - Concatenate on the channel axis: the layouts are concatenated (the consumer sees a group at an offset);
 * - Flatten of [H, W, C]: the layout is repeated H*W times, i.e. position p*C + c carries channel c (NHWC order);
 * - anything else freezes the groups that reach it, naming the layer and its type: Reshape, Softmax, channels-first
 *   data, depth multiplier > 1, and the compressed types channel pruning does not look through (SeparableConv2D,
 *   Conv1D, Conv2DTranspose, Embedding, SimpleRNN, GRU, LSTM: their kernels are still quantized, pruned and
 *   clustered weight by weight); so does reaching a model output (the class scores are never pruned).
 * A group is a union of spaces: its producers (the Conv2D / Dense layers whose filters / units shrink), its members
 * (batch-norm and depthwise layers whose per-channel weights shrink with it) and its consumers (the Conv2D / Dense
 * layers whose input axis shrinks, with the input position -> group channel map).
 *
 * Peers and the other channel-pruning jobs: see `types.ts`.
 */
import type * as tf from '../../tfjs.js';
import { ModelError } from '../../errors.js';
import { product, prunedParams } from './cost.js';
import { compressibleLayers } from '../layers.js';
import type { AxisLayout, ChannelAnalysis, ChannelGroup, ComputeLayer, LayerWeights } from './types.js';

interface Layout {
  space: Int32Array;
  channel: Int32Array;
}

const PASS_THROUGH = new Set([
  'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'Dropout', 'SpatialDropout1D', 'GaussianNoise',
  'GaussianDropout', 'AlphaDropout', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D',
  'MaxPooling1D', 'AveragePooling1D', 'GlobalAveragePooling1D', 'GlobalMaxPooling1D', 'ZeroPadding2D', 'Cropping2D',
  'UpSampling2D',
]);
const ELEMENTWISE = new Set(['Add', 'Average', 'Maximum', 'Minimum', 'Multiply', 'Subtract']);

function fixedLayout(n: number): Layout {
  return { space: new Int32Array(n).fill(-1), channel: new Int32Array(n).fill(-1) };
}

function spaceLayout(space: number, n: number): Layout {
  return { space: new Int32Array(n).fill(space), channel: Int32Array.from({ length: n }, (_, i) => i) };
}

function concatLayouts(parts: Layout[]): Layout {
  const n = parts.reduce((a, p) => a + p.space.length, 0);
  const out = fixedLayout(n);
  let at = 0;
  for (const p of parts) {
    out.space.set(p.space, at);
    out.channel.set(p.channel, at);
    at += p.space.length;
  }
  return out;
}

/** The channel count (last axis) of a channels-last shape. */
export function lastDim(shape: ReadonlyArray<number | null>): number {
  const d = shape[shape.length - 1];
  if (d === null || d === undefined) throw new ModelError(`a tensor of shape [${shape}] has no fixed channel count`);
  return d;
}

/**
 * The width of a tensor that carries no prunable channel: its last axis, or 0 when that is unknown (tfjs gives
 * Reshape([-1]) an output [null, null]); no layer with per-channel weights can be built on an unknown width.
 */
function fixedWidth(shape: ReadonlyArray<number | null>): number {
  return shape[shape.length - 1] ?? 0;
}

/** The spaces (output channels of Conv2D / Dense layers) and their unions. */
class Spaces {
  readonly parent: number[] = [];
  readonly size: number[] = [];
  readonly producer: string[] = [];
  readonly frozen = new Map<number, string>();

  open(size: number, producer: string): number {
    this.parent.push(this.parent.length);
    this.size.push(size);
    this.producer.push(producer);
    return this.parent.length - 1;
  }

  find(s: number): number {
    while (this.parent[s] !== s) {
      this.parent[s] = this.parent[this.parent[s]];
      s = this.parent[s];
    }
    return s;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // the lower (earlier) space stays the root, so group order follows the model
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }

  freeze(layout: Layout, reason: string): void {
    for (const s of layout.space) if (s >= 0 && !this.frozen.has(s)) this.frozen.set(s, reason);
  }
}

type RawAxes = Array<Layout | null>;

interface Single {
  name: string;
  cls: string;
  config: Record<string, unknown>;
  inputs: Layout[];
  inputShapes: number[][];
  outputShape: number[];
}

/**
 * Find the channel groups of a Sequential or functional LayersModel (see the file head for the rules).
 * Throws ModelError for a layer called more than once (shared layers) or a multi-output layer feeding another.
 */
export function analyzeChannels(model: tf.LayersModel): ChannelAnalysis {
  const spaces = new Spaces();
  const layouts = new Map<string, Layout>();
  const rawWeights: Array<{ layer: string; weights: Array<{ name: string; shape: number[]; axes: RawAxes }> }> = [];
  const rawConsumers: Array<{ layer: string; kind: 'conv' | 'dense'; layout: Layout }> = [];
  const rawMembers: Array<{ layer: string; layout: Layout }> = [];

  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const outputShape = layer.outputShape as number[];
    if (cls === 'InputLayer') {
      layouts.set(layer.name, fixedLayout(fixedWidth(outputShape)));
      continue;
    }
    if (layer.inboundNodes.length !== 1) {
      throw new ModelError(`layer ${layer.name} is called ${layer.inboundNodes.length} times (a shared layer); channel pruning needs every layer used once`);
    }
    const node = layer.inboundNodes[0];
    if (node.tensorIndices.some((i) => i !== 0)) throw new ModelError(`layer ${layer.name} reads the second output of a multi-output layer; channel pruning does not support that`);
    const inputShapes = node.inputTensors.map((t) => t.shape.map((d) => d ?? -1));
    const inputs = node.inboundLayers.map((l, k) => layouts.get(l.name) ?? fixedLayout(fixedWidth(node.inputTensors[k].shape)));
    const s: Single = { name: layer.name, cls, config: layer.getConfig() as Record<string, unknown>, inputs, inputShapes, outputShape };
    const weightNames = layer.weights.map((w) => w.originalName.split('/').pop() ?? w.originalName);
    const weightShapes = layer.weights.map((w) => w.shape.map((d) => d ?? -1));
    // per weight name: the layout of each axis (missing names keep every axis)
    let axesByName: Record<string, RawAxes> = {};
    let out: Layout;

    const unknown = (why: string): Layout => {
      for (const l of inputs) spaces.freeze(l, why);
      return fixedLayout(fixedWidth(outputShape));
    };
    const channelsFirst = s.config.dataFormat === 'channelsFirst';

    if (cls === 'Conv2D' || cls === 'Dense') {
      if (channelsFirst) {
        out = unknown(`${layer.name} is channels-first`);
      } else {
        const size = lastDim(outputShape);
        const space = spaces.open(size, layer.name);
        out = spaceLayout(space, size);
        if (s.config.activation === 'softmax') spaces.freeze(out, `${layer.name} ends in a softmax over its channels`);
        rawConsumers.push({ layer: layer.name, kind: cls === 'Conv2D' ? 'conv' : 'dense', layout: inputs[0] });
        axesByName = cls === 'Conv2D' ? { kernel: [null, null, inputs[0], out], bias: [out] } : { kernel: [inputs[0], out], bias: [out] };
      }
    } else if (cls === 'DepthwiseConv2D') {
      const multiplier = (s.config.depthMultiplier as number | undefined) ?? 1;
      if (multiplier !== 1 || channelsFirst) {
        out = unknown(multiplier !== 1 ? `${layer.name} has depth multiplier ${multiplier}` : `${layer.name} is channels-first`);
      } else {
        out = inputs[0];
        rawMembers.push({ layer: layer.name, layout: out });
        axesByName = { depthwise_kernel: [null, null, out, null], bias: [out] };
      }
    } else if (cls === 'BatchNormalization') {
      const axis = s.config.axis as number;
      if (axis !== -1 && axis !== outputShape.length - 1) {
        out = unknown(`${layer.name} normalises axis ${axis}, not the channels`);
      } else {
        out = inputs[0];
        rawMembers.push({ layer: layer.name, layout: out });
        axesByName = { gamma: [out], beta: [out], moving_mean: [out], moving_variance: [out] };
      }
    } else if (PASS_THROUGH.has(cls)) {
      out = channelsFirst ? unknown(`${layer.name} is channels-first`) : s.config.activation === 'softmax' ? unknown(`${layer.name} is a softmax over the channels`) : inputs[0];
    } else if (cls === 'Flatten') {
      out = flattenLayout(inputs[0], product(inputShapes[0].slice(1, -1)));
    } else if (ELEMENTWISE.has(cls) || (cls === 'Concatenate' && !concatOnChannels(s))) {
      out = joinLayouts(spaces, s);
    } else if (cls === 'Concatenate') {
      out = concatLayouts(inputs);
    } else {
      out = unknown(`${layer.name} is a ${cls} layer, which channel pruning does not look through`);
    }
    layouts.set(layer.name, out);
    if (layer.weights.length > 0) {
      rawWeights.push({
        layer: layer.name,
        weights: weightNames.map((name, i) => ({ name, shape: weightShapes[i], axes: axesByName[name] ?? weightShapes[i].map(() => null) })),
      });
    }
  }
  for (const t of model.outputs) {
    const l = layouts.get(t.sourceLayer.name);
    if (l) spaces.freeze(l, `reaches the model output ${t.sourceLayer.name}`);
  }
  return resolveGroups(model, spaces, rawWeights, rawConsumers, rawMembers);
}

function concatOnChannels(s: Single): boolean {
  const axis = (s.config.axis as number | undefined) ?? -1;
  return axis === -1 || axis === s.outputShape.length - 1;
}

function flattenLayout(input: Layout, positions: number): Layout {
  return concatLayouts(Array.from({ length: positions }, () => input));
}

/** Element-wise merges: the spaces meeting at each position become one group, channel c with channel c. */
function joinLayouts(spaces: Spaces, s: Single): Layout {
  const [first, ...rest] = s.inputs;
  const n = first.space.length;
  if (rest.some((l) => l.space.length !== n)) {
    for (const l of s.inputs) spaces.freeze(l, `${s.name} merges tensors of different channel counts (broadcasting)`);
    return fixedLayout(fixedWidth(s.outputShape));
  }
  for (const other of rest) {
    for (let i = 0; i < n; i++) {
      const a = first.space[i];
      const b = other.space[i];
      if (a < 0 && b < 0) continue;
      if (a < 0 || b < 0 || first.channel[i] !== other.channel[i]) {
        const why = `${s.name} joins channels that cannot be pruned together`;
        spaces.freeze(first, why);
        spaces.freeze(other, why);
        continue;
      }
      spaces.union(a, b);
    }
  }
  return first;
}

function resolveGroups(
  model: tf.LayersModel,
  spaces: Spaces,
  rawWeights: Array<{ layer: string; weights: Array<{ name: string; shape: number[]; axes: RawAxes }> }>,
  rawConsumers: Array<{ layer: string; kind: 'conv' | 'dense'; layout: Layout }>,
  rawMembers: Array<{ layer: string; layout: Layout }>,
): ChannelAnalysis {
  const groupOfRoot = new Map<number, number>();
  const groups: ChannelGroup[] = [];
  for (let sp = 0; sp < spaces.parent.length; sp++) {
    const root = spaces.find(sp);
    let g = groupOfRoot.get(root);
    if (g === undefined) {
      g = groups.length;
      groupOfRoot.set(root, g);
      groups.push({ id: g, channels: spaces.size[root], producers: [], members: [], consumers: [], frozen: null });
    }
    groups[g].producers.push(spaces.producer[sp]);
    const why = spaces.frozen.get(sp);
    if (why !== undefined && groups[g].frozen === null) groups[g].frozen = why;
  }
  const cache = new Map<Layout, AxisLayout>();
  const resolve = (l: Layout, where: string): AxisLayout => {
    let r = cache.get(l);
    if (r) return r;
    const group = new Int32Array(l.space.length);
    let fixed = 0;
    const counts = new Map<number, Int32Array>();
    for (let i = 0; i < group.length; i++) {
      const g = l.space[i] < 0 ? -1 : (groupOfRoot.get(spaces.find(l.space[i])) as number);
      group[i] = g;
      if (g < 0) {
        fixed++;
        continue;
      }
      let c = counts.get(g);
      if (!c) counts.set(g, (c = new Int32Array(groups[g].channels)));
      c[l.channel[i]]++;
    }
    const uses: Array<[number, number]> = [];
    for (const [g, c] of counts) {
      if (c.some((v) => v !== c[0]) && groups[g].frozen === null) groups[g].frozen = `${where} reads its channels unevenly`;
      uses.push([g, c[0]]);
    }
    r = { group, channel: l.channel, fixed, uses };
    cache.set(l, r);
    return r;
  };
  const weights: LayerWeights[] = rawWeights.map((lw) => ({
    layer: lw.layer,
    weights: lw.weights.map((w) => ({ name: w.name, shape: w.shape, axes: w.axes.map((a) => (a ? resolve(a, lw.layer) : null)) })),
  }));
  for (const m of rawMembers) {
    const axis = resolve(m.layout, m.layer);
    for (const [g] of axis.uses) groups[g].members.push(m.layer);
  }
  for (const c of rawConsumers) {
    const axis = resolve(c.layout, c.layer);
    for (const [g] of axis.uses) {
      const channelOf = Int32Array.from(axis.group, (gg, i) => (gg === g ? axis.channel[i] : -1));
      groups[g].consumers.push({ layer: c.layer, kind: c.kind, channelOf });
    }
  }
  const weightsOf = new Map(weights.map((w) => [w.layer, w]));
  // the kernels and MACs env/layers.ts counts for the budget (one unit per kernel), with the axes found here
  const layers: ComputeLayer[] = compressibleLayers(model).map((u) => {
    const kernel = (weightsOf.get(u.layerName) as LayerWeights).weights[u.weightIndex];
    return { name: u.name, layer: u.layerName, kind: u.kind, kernelShape: kernel.shape.slice(), outputPositions: u.macs / u.params, macs: u.macs, kernel };
  });
  const counts = groups.map((g) => g.channels);
  const analysis: ChannelAnalysis = { groups, layers, weights, totalFlops: layers.reduce((a, l) => a + l.macs, 0), totalParams: 0 };
  analysis.totalParams = prunedParams(analysis, counts);
  if (analysis.totalParams !== model.countParams()) {
    throw new ModelError(`channel analysis counts ${analysis.totalParams} parameters but the model has ${model.countParams()}; a layer's weights were not understood`);
  }
  return analysis;
}
