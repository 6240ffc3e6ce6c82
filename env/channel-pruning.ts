/**
 * Structured channel pruning with real model surgery: which channels are tied together (dependency analysis), how many
 * to keep under a FLOPs budget (planning), which ones (L1 or LASSO, learners/channel-selection.ts), and a NEW, smaller
 * LayersModel with the kept weights copied in. The original model is never modified.
 *
 * Peers: He et al. 2017 (LASSO selection + least-squares reconstruction), PocketFlow's ChannelPrunedLearner (uniform /
 * list / skip options), AMC (FLOPs budget). REFERENCE.md section 4.
 *
 * Dependency analysis. Every Conv2D and Dense layer opens a "channel space" (its output channels). Each tensor's last
 * axis is described position by position as (space, channel), or fixed (model inputs, outputs of layers we do not
 * understand). Layers map these layouts:
 * - batch-norm, activations, pooling, global pooling, dropout, padding: pass-through (channel c stays channel c);
 * - DepthwiseConv2D with depth multiplier 1: pass-through, its kernel and bias follow its input channels;
 * - Add / Average / Maximum / Minimum / Multiply / Subtract: the spaces meeting at a position are joined (union-find),
 *   so all tensors joined by a residual add form one group;
 * - Concatenate on the channel axis: the layouts are concatenated (the consumer sees a group at an offset);
 * - Flatten of [H, W, C]: the layout is repeated H*W times, i.e. position p*C + c carries channel c (NHWC order);
 * - anything else (Reshape, Softmax, SeparableConv2D, channels-first data, depth multiplier > 1, ...) freezes the
 *   groups that reach it, and so does reaching a model output (the class scores are never pruned).
 * A group is a union of spaces: its producers (the Conv2D / Dense layers whose filters / units shrink), its members
 * (batch-norm and depthwise layers whose per-channel weights shrink with it) and its consumers (the Conv2D / Dense
 * layers whose input axis shrinks, with the input position -> group channel map).
 *
 * Costs. FLOPs are multiply-accumulates of the kernels (Conv2D kh*kw*cin*cout*Hout*Wout, DepthwiseConv2D
 * kh*kw*c*m*Hout*Wout, Dense in*out), as `env/layers.ts` counts them; biases and batch-norm are not counted. Both the
 * FLOPs and the parameters of a pruned model follow from the kept count of each group alone, so a plan can be costed
 * before any surgery, and the tests check the built model against that formula.
 *
 * Deliberate differences:
 * - AMC rounds channel counts UP to multiples of 8 and can overshoot the FLOPs budget. `planChannels` rounds DOWN
 *   (to `multipleOf`, default 1), then spends what is left of the budget one channel step at a time on the group
 *   with the lowest kept fraction, so the budget always holds and is nearly met.
 * - He et al. prune layer by layer, each time sampling the already-pruned network; so do we (group by group in model
 *   order, rebuilding the pruned model for each), with the target Y always the ORIGINAL model's consumer output.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { BudgetError, ConfigError, ModelError } from '../errors.js';
import {
  type ChannelProblem,
  channelL1Norms,
  channelProblem,
  combineProblems,
  lassoSelect,
  leastSquares,
  relativeOutputError,
  topChannels,
} from '../learners/channel-selection.js';

// ---------------------------------------------------------------------------------------------------------------
// Types

/** One axis of a weight (or a consumer's input) position by position: group id (-1 = fixed) and group channel. */
export interface AxisLayout {
  group: Int32Array;
  channel: Int32Array;
  /** Positions that belong to no prunable channel. */
  fixed: number;
  /** [group, positions per channel]: each channel of `group` appears exactly that many times on this axis. */
  uses: Array<[number, number]>;
}

/** One weight of a layer, in `layer.weights` order: which of its axes shrink with which groups (null = unchanged). */
export interface WeightAxes {
  /** The weight's own name, e.g. 'kernel', 'bias', 'gamma', 'moving_variance'. */
  name: string;
  shape: number[];
  axes: Array<AxisLayout | null>;
}

export interface LayerWeights {
  layer: string;
  weights: WeightAxes[];
}

export interface GroupConsumer {
  layer: string;
  kind: 'conv' | 'dense';
  /** Group channel carried by each position of the consumer's input axis (-1: another group or fixed). */
  channelOf: Int32Array;
}

export interface ChannelGroup {
  id: number;
  channels: number;
  /** Conv2D / Dense layers whose output channels are this group (several after a residual add). */
  producers: string[];
  /** Batch-norm and depthwise layers whose per-channel weights follow the group. */
  members: string[];
  consumers: GroupConsumer[];
  /** Why the group cannot be pruned, or null when it can. */
  frozen: string | null;
}

export type ComputeKind = 'conv' | 'depthwise' | 'dense';

export interface ComputeLayer {
  name: string;
  kind: ComputeKind;
  kernelShape: number[];
  /** Output positions per image (Hout*Wout for convolutions, 1 for a dense layer on a vector). */
  outputPositions: number;
  /** Multiply-accumulates per image. */
  macs: number;
  /** The kernel's axes (the first weight of the layer). */
  kernel: WeightAxes;
}

export interface ChannelAnalysis {
  groups: ChannelGroup[];
  /** Conv2D, DepthwiseConv2D and Dense layers in model order. */
  layers: ComputeLayer[];
  /** Every layer with weights, in model order. */
  weights: LayerWeights[];
  totalFlops: number;
  totalParams: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Dependency analysis

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

function lastDim(shape: ReadonlyArray<number | null>): number {
  const d = shape[shape.length - 1];
  if (d === null || d === undefined) throw new ModelError(`a tensor of shape [${shape}] has no fixed channel count`);
  return d;
}

function product(dims: ReadonlyArray<number | null>): number {
  return dims.reduce<number>((a, b) => a * (b ?? 1), 1);
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
  const compute: Array<{ name: string; kind: ComputeKind; outputPositions: number }> = [];

  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const outputShape = layer.outputShape as number[];
    if (cls === 'InputLayer') {
      layouts.set(layer.name, fixedLayout(lastDim(outputShape)));
      continue;
    }
    if (layer.inboundNodes.length !== 1) {
      throw new ModelError(`layer ${layer.name} is called ${layer.inboundNodes.length} times (a shared layer); channel pruning needs every layer used once`);
    }
    const node = layer.inboundNodes[0];
    if (node.tensorIndices.some((i) => i !== 0)) throw new ModelError(`layer ${layer.name} reads the second output of a multi-output layer; channel pruning does not support that`);
    const inputShapes = node.inputTensors.map((t) => t.shape.map((d) => d ?? -1));
    const inputs = node.inboundLayers.map((l, k) => layouts.get(l.name) ?? fixedLayout(lastDim(inputShapes[k])));
    const s: Single = { name: layer.name, cls, config: layer.getConfig() as Record<string, unknown>, inputs, inputShapes, outputShape };
    const weightNames = layer.weights.map((w) => w.originalName.split('/').pop() ?? w.originalName);
    const weightShapes = layer.weights.map((w) => w.shape.map((d) => d ?? -1));
    // per weight name: the layout of each axis (missing names keep every axis)
    let axesByName: Record<string, RawAxes> = {};
    let out: Layout;

    const unknown = (why: string): Layout => {
      for (const l of inputs) spaces.freeze(l, why);
      return fixedLayout(lastDim(outputShape));
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
      compute.push({ name: layer.name, kind: cls === 'Conv2D' ? 'conv' : 'dense', outputPositions: product(outputShape.slice(1, -1)) });
    } else if (cls === 'DepthwiseConv2D') {
      const multiplier = (s.config.depthMultiplier as number | undefined) ?? 1;
      if (multiplier !== 1 || channelsFirst) {
        out = unknown(multiplier !== 1 ? `${layer.name} has depth multiplier ${multiplier}` : `${layer.name} is channels-first`);
      } else {
        out = inputs[0];
        rawMembers.push({ layer: layer.name, layout: out });
        axesByName = { depthwise_kernel: [null, null, out, null], bias: [out] };
      }
      compute.push({ name: layer.name, kind: 'depthwise', outputPositions: product(outputShape.slice(1, -1)) });
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
  return resolveGroups(model, spaces, rawWeights, rawConsumers, rawMembers, compute);
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
    return fixedLayout(lastDim(s.outputShape));
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
  compute: Array<{ name: string; kind: ComputeKind; outputPositions: number }>,
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
  const layers: ComputeLayer[] = compute.map((c) => {
    const kernel = (weightsOf.get(c.name) as LayerWeights).weights[0];
    const macs = product(kernel.shape) * c.outputPositions;
    return { name: c.name, kind: c.kind, kernelShape: kernel.shape.slice(), outputPositions: c.outputPositions, macs, kernel };
  });
  const counts = groups.map((g) => g.channels);
  const analysis: ChannelAnalysis = { groups, layers, weights, totalFlops: layers.reduce((a, l) => a + l.macs, 0), totalParams: 0 };
  analysis.totalParams = prunedParams(analysis, counts);
  if (analysis.totalParams !== model.countParams()) {
    throw new ModelError(`channel analysis counts ${analysis.totalParams} parameters but the model has ${model.countParams()}; a layer's weights were not understood`);
  }
  return analysis;
}

// ---------------------------------------------------------------------------------------------------------------
// Costs of a plan (kept channels per group)

function keptSize(axis: AxisLayout | null, dim: number, counts: number[]): number {
  if (axis === null) return dim;
  return axis.uses.reduce((n, [g, per]) => n + per * counts[g], axis.fixed);
}

/** Multiply-accumulates per image of every Conv2D / DepthwiseConv2D / Dense layer when group g keeps counts[g]. */
export function prunedFlops(analysis: ChannelAnalysis, counts: number[]): { layers: Array<{ name: string; macs: number }>; total: number } {
  const layers = analysis.layers.map((l) => ({
    name: l.name,
    macs: l.outputPositions * l.kernel.shape.reduce((a, dim, i) => a * keptSize(l.kernel.axes[i], dim, counts), 1),
  }));
  return { layers, total: layers.reduce((a, l) => a + l.macs, 0) };
}

/** Every weight of the model (trainable or not, as `countParams()` counts) when group g keeps counts[g]. */
export function prunedParams(analysis: ChannelAnalysis, counts: number[]): number {
  let n = 0;
  for (const lw of analysis.weights) for (const w of lw.weights) n += w.shape.reduce((a, dim, i) => a * keptSize(w.axes[i], dim, counts), 1);
  return n;
}

/** Multiply-accumulates per image counted on a built model, from its kernels and output shapes. */
export function countFlops(model: tf.LayersModel): { layers: Array<{ name: string; kind: ComputeKind; macs: number }>; total: number } {
  const kinds: Record<string, ComputeKind> = { Conv2D: 'conv', DepthwiseConv2D: 'depthwise', Dense: 'dense' };
  const layers: Array<{ name: string; kind: ComputeKind; macs: number }> = [];
  for (const layer of model.layers) {
    const kind = kinds[layer.getClassName()];
    if (!kind) continue;
    const kernel = layer.weights[0].shape as number[];
    const out = layer.outputShape as number[];
    layers.push({ name: layer.name, kind, macs: product(kernel) * product(out.slice(1, -1)) });
  }
  return { layers, total: layers.reduce((a, l) => a + l.macs, 0) };
}

// ---------------------------------------------------------------------------------------------------------------
// Planning: how many channels each group keeps

export interface ChannelPlanOptions {
  /** Fraction of channels kept in every prunable group (rounded down, at least `minChannels`); default 1. */
  preserve?: number;
  /** Preserve ratio per group, keyed by the name of a layer producing it (PocketFlow's "list"); wins over the rest. */
  perLayer?: Record<string, number>;
  /**
   * Keep at most this fraction of the original FLOPs: the groups not in `perLayer` share one preserve ratio, the
   * largest that fits, then leftover budget is spent a channel step at a time. Overrides `preserve`.
   */
  flops?: number;
  /** Leave the first Conv2D / Dense layer's shape alone (its output channels). */
  skipFirst?: boolean;
  /** Leave the last Conv2D / Dense layer's shape alone (the classifier's input channels). */
  skipLast?: boolean;
  /** Layers whose shape stays as it is: every group they produce, carry or consume is left unpruned. */
  skip?: string[];
  /** Kept counts are multiples of this (or the whole group); rounding is always down. Default 1. */
  multipleOf?: number;
  /** Fewest channels a pruned group keeps; default 1. */
  minChannels?: number;
}

/** Which groups the options allow to prune, and why the others not. */
export function prunableGroups(analysis: ChannelAnalysis, opts: ChannelPlanOptions = {}): { ids: number[]; skipped: Map<number, string> } {
  const skipped = new Map<number, string>();
  const names = new Set(opts.skip ?? []);
  const known = new Set(analysis.weights.map((w) => w.layer));
  for (const n of names) if (!known.has(n)) throw new ConfigError(`skip names layer '${n}', which has no weights in this model; layers with weights: ${[...known].join(', ')}`);
  const compute = analysis.layers;
  if (opts.skipFirst && compute.length > 0) names.add(compute[0].name);
  if (opts.skipLast && compute.length > 0) names.add(compute[compute.length - 1].name);
  for (const g of analysis.groups) {
    if (g.frozen !== null) {
      skipped.set(g.id, g.frozen);
      continue;
    }
    const touched = [...g.producers, ...g.members, ...g.consumers.map((c) => c.layer)].find((n) => names.has(n));
    if (touched !== undefined) skipped.set(g.id, `layer ${touched} is skipped`);
  }
  return { ids: analysis.groups.filter((g) => !skipped.has(g.id)).map((g) => g.id), skipped };
}

/**
 * Kept channels per group (the original count for groups left alone). With `flops`, the FLOPs of the result never
 * exceed `flops` x the original; BudgetError when even the smallest allowed counts do not fit.
 */
export function planChannels(analysis: ChannelAnalysis, opts: ChannelPlanOptions = {}): number[] {
  const counts = analysis.groups.map((g) => g.channels);
  const { ids, skipped } = prunableGroups(analysis, opts);
  const step = opts.multipleOf ?? 1;
  const minChannels = opts.minChannels ?? 1;
  if (!(Number.isInteger(step) && step >= 1)) throw new ConfigError(`multipleOf must be a positive integer, got ${step}`);
  if (!(Number.isInteger(minChannels) && minChannels >= 1)) throw new ConfigError(`minChannels must be a positive integer, got ${minChannels}`);
  const checkRatio = (r: number, what: string) => {
    if (!(Number.isFinite(r) && r > 0 && r <= 1)) throw new ConfigError(`${what} must be in (0, 1], got ${r}`);
  };
  // allowed counts of a group: multiples of `step` from max(minChannels, step), and the whole group
  const floorCount = (g: number, x: number) => {
    const c = analysis.groups[g].channels;
    const lowest = Math.min(c, Math.ceil(Math.max(minChannels, step) / step) * step);
    const down = Math.floor(x / step + 1e-9) * step;
    return Math.min(c, Math.max(lowest, down));
  };
  const nextCount = (g: number, k: number) => Math.min(analysis.groups[g].channels, (Math.floor(k / step) + 1) * step);

  const listed = new Set<number>();
  for (const [name, ratio] of Object.entries(opts.perLayer ?? {})) {
    checkRatio(ratio, `perLayer['${name}']`);
    const g = analysis.groups.find((gr) => gr.producers.includes(name));
    if (!g) {
      const producers = analysis.groups.flatMap((gr) => gr.producers);
      throw new ConfigError(`perLayer names '${name}', which produces no channel group; use one of ${producers.join(', ')}`);
    }
    if (skipped.has(g.id)) throw new ConfigError(`perLayer asks to prune ${name}, but its group cannot be pruned: ${skipped.get(g.id)}`);
    const k = floorCount(g.id, ratio * g.channels);
    if (listed.has(g.id) && counts[g.id] !== k) throw new ConfigError(`perLayer gives different ratios to ${g.producers.join(' and ')}, which are one group (joined by an add)`);
    listed.add(g.id);
    counts[g.id] = k;
  }
  const free = ids.filter((g) => !listed.has(g));
  if (opts.flops === undefined) {
    const preserve = opts.preserve ?? 1;
    checkRatio(preserve, 'preserve');
    for (const g of free) counts[g] = preserve === 1 ? analysis.groups[g].channels : floorCount(g, preserve * analysis.groups[g].channels);
    return counts;
  }
  checkRatio(opts.flops, 'flops');
  const budget = opts.flops * analysis.totalFlops;
  const cost = (c: number[]) => prunedFlops(analysis, c).total;
  const atRatio = (r: number) => {
    const c = counts.slice();
    for (const g of free) c[g] = floorCount(g, r * analysis.groups[g].channels);
    return c;
  };
  const smallest = atRatio(0);
  if (cost(smallest) > budget) {
    throw new BudgetError(
      `a FLOPs budget of ${(opts.flops * 100).toFixed(1)}% cannot be met: with these options the fewest FLOPs reachable are ${((cost(smallest) / analysis.totalFlops) * 100).toFixed(1)}% of ${analysis.totalFlops}; raise the budget or prune more groups`,
    );
  }
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (cost(atRatio(mid)) <= budget) lo = mid;
    else hi = mid;
  }
  const result = atRatio(lo);
  // spend what is left: one step to the group with the lowest kept fraction that still fits, until none fits
  for (;;) {
    const order = free
      .filter((g) => result[g] < analysis.groups[g].channels)
      .sort((a, b) => result[a] / analysis.groups[a].channels - result[b] / analysis.groups[b].channels || a - b);
    let grew = false;
    for (const g of order) {
      const before = result[g];
      result[g] = nextCount(g, before);
      if (cost(result) <= budget) {
        grew = true;
        break;
      }
      result[g] = before;
    }
    if (!grew) return result;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Surgery

/** Positions of an axis that survive when group g keeps the channels kept[g] (null: all). */
export function keptPositions(axis: AxisLayout, kept: ReadonlyArray<Int32Array | null>): Int32Array {
  const masks = new Map<number, Uint8Array>();
  const out: number[] = [];
  for (let i = 0; i < axis.group.length; i++) {
    const g = axis.group[i];
    const k = g < 0 ? null : kept[g];
    if (k === null || k === undefined) {
      out.push(i);
      continue;
    }
    let m = masks.get(g);
    if (!m) {
      m = new Uint8Array(axis.channel.reduce((a, c) => Math.max(a, c + 1), 0));
      for (const c of k) if (c < m.length) m[c] = 1;
      masks.set(g, m);
    }
    if (m[axis.channel[i]]) out.push(i);
  }
  return Int32Array.from(out);
}

/** Entries of a row-major tensor whose index on `axis` is in `positions`, in that order. */
export function gatherAxis(data: Float32Array, shape: number[], axis: number, positions: Int32Array): Float32Array {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const size = shape[axis];
  const out = new Float32Array(outer * positions.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < positions.length; k++) {
      const src = (o * size + positions[k]) * inner;
      out.set(data.subarray(src, src + inner), (o * positions.length + k) * inner);
    }
  }
  return out;
}

function checkKept(analysis: ChannelAnalysis, kept: ReadonlyArray<Int32Array | null>): void {
  if (kept.length !== analysis.groups.length) throw new ConfigError(`kept channels are given for ${kept.length} groups; the model has ${analysis.groups.length}`);
  kept.forEach((k, g) => {
    if (k === null) return;
    const group = analysis.groups[g];
    if (group.frozen !== null && k.length !== group.channels) throw new ConfigError(`group ${g} (${group.producers.join(', ')}) cannot be pruned: ${group.frozen}`);
    if (k.length === 0) throw new ConfigError(`group ${g} (${group.producers.join(', ')}) must keep at least one channel`);
    for (let i = 0; i < k.length; i++) {
      if (!(k[i] >= 0 && k[i] < group.channels) || (i > 0 && k[i] <= k[i - 1])) {
        throw new ConfigError(`kept channels of group ${g} must be ascending, distinct and in [0, ${group.channels}); got [${[...k]}]`);
      }
    }
  });
}

/**
 * A new LayersModel with only the kept channels: the topology is the original's with fewer filters / units, each
 * weight is the original's gathered along its pruned axes. `kernels` replaces a layer's kernel (its first weight,
 * in the ORIGINAL shape) before the gather (how reconstructed consumers come in). The original is not modified.
 */
export async function buildPrunedModel(
  model: tf.LayersModel,
  analysis: ChannelAnalysis,
  kept: ReadonlyArray<Int32Array | null>,
  kernels: ReadonlyMap<string, Float32Array> = new Map(),
): Promise<tf.LayersModel> {
  checkKept(analysis, kept);
  const topology = model.toJSON(null, false) as unknown as { config: { layers: Array<{ config: Record<string, unknown> }> } };
  const size = new Map<string, number>();
  kept.forEach((k, g) => {
    if (k !== null) for (const p of analysis.groups[g].producers) size.set(p, k.length);
  });
  for (const entry of topology.config.layers) {
    const k = size.get(entry.config.name as string);
    if (k === undefined) continue;
    if ('filters' in entry.config) entry.config.filters = k;
    else entry.config.units = k;
  }
  const pruned = await tf.models.modelFromJSON({ modelTopology: topology } as unknown as Parameters<typeof tf.models.modelFromJSON>[0]);
  try {
    for (const lw of analysis.weights) {
      const source = model.getLayer(lw.layer).getWeights();
      const replacement = kernels.get(lw.layer);
      const values: tf.Tensor[] = [];
      for (const [i, w] of lw.weights.entries()) {
        // gathered in JS into fresh tensors: nothing is shared with the original, and tfjs-backend-wasm 4.22 records
        // the internal 4-D shape of its own GatherV2 output, which FusedConv2D then rejects as a bias
        let data = i === 0 && replacement ? replacement : ((await source[i].data()) as Float32Array);
        const shape = w.shape.slice();
        w.axes.forEach((axis, a) => {
          if (axis === null) return;
          const positions = keptPositions(axis, kept);
          if (positions.length === shape[a]) return;
          data = gatherAxis(data, shape, a, positions);
          shape[a] = positions.length;
        });
        // the replacement array is updated again by later reconstructions: copy it
        values.push(tf.tensor(data === replacement ? data.slice() : data, shape));
      }
      pruned.getLayer(lw.layer).setWeights(values);
      tf.dispose(values);
    }
  } catch (e) {
    pruned.dispose();
    throw e;
  }
  return pruned;
}

// ---------------------------------------------------------------------------------------------------------------
// Selection and reconstruction on sampled feature maps

export type ChannelSelectionMethod = 'l1' | 'lasso';

export interface ChannelPruneOptions extends ChannelPlanOptions {
  /** Kept channels per group, overriding the plan options. */
  counts?: number[];
  /** 'l1': largest L1 norm of the producers' filters (default); 'lasso': He et al. on sampled feature maps. */
  method?: ChannelSelectionMethod;
  /** Refit each consumer by least squares on the sampled feature maps; default true for 'lasso', false for 'l1'. */
  reconstruct?: boolean;
  /** Images [n, h, w, c] to sample feature maps from ('lasso' or `reconstruct`); the caller keeps ownership. */
  inputs?: tf.Tensor;
  /** Sampled output positions per image for a convolutional consumer (a dense consumer gets one row per image). Default 2. */
  samplesPerImage?: number;
  /** Seed of the sampled positions. Default 1. */
  seed?: number;
  /** Relative ridge of the least-squares refit. Default 1e-6. */
  ridge?: number;
}

export interface GroupSelection {
  group: number;
  kept: Int32Array;
  method: ChannelSelectionMethod;
  /** LASSO only: the lambda used and whether it gave exactly the requested count. */
  lambda?: number;
  exact?: boolean;
  /** Relative output error ||Y - Y'||^2 / ||Y||^2 of the consumers, after selection, before and after the refit (sampled rows). */
  errorSelected?: number;
  errorReconstructed?: number;
}

export interface ChannelPruneResult {
  model: tf.LayersModel;
  analysis: ChannelAnalysis;
  counts: number[];
  /** Kept channels per group; null for a group left whole. */
  kept: Array<Int32Array | null>;
  selections: GroupSelection[];
  flops: { before: number; after: number };
  params: { before: number; after: number };
}

/** Plan, select, (reconstruct) and build: the pruned model and what was done. The caller disposes `result.model`. */
export async function pruneChannels(model: tf.LayersModel, opts: ChannelPruneOptions = {}): Promise<ChannelPruneResult> {
  const analysis = analyzeChannels(model);
  const counts = opts.counts ?? planChannels(analysis, opts);
  if (counts.length !== analysis.groups.length) throw new ConfigError(`counts has ${counts.length} entries; the model has ${analysis.groups.length} channel groups`);
  counts.forEach((k, g) => {
    const c = analysis.groups[g].channels;
    if (!(Number.isInteger(k) && k >= 1 && k <= c)) throw new ConfigError(`group ${g} (${analysis.groups[g].producers.join(', ')}) has ${c} channels; cannot keep ${k}`);
    if (k < c && analysis.groups[g].frozen !== null) throw new ConfigError(`group ${g} (${analysis.groups[g].producers.join(', ')}) cannot be pruned: ${analysis.groups[g].frozen}`);
  });
  const method = opts.method ?? 'l1';
  const reconstruct = opts.reconstruct ?? method === 'lasso';
  const kept: Array<Int32Array | null> = analysis.groups.map(() => null);
  const kernels = new Map<string, Float32Array>();
  const selections: GroupSelection[] = [];
  const order = analysis.groups.filter((g) => counts[g.id] < g.channels).map((g) => g.id);

  if (method === 'l1' && !reconstruct) {
    for (const g of order) {
      kept[g] = topChannels(groupL1Norms(model, analysis.groups[g]), counts[g]);
      selections.push({ group: g, kept: kept[g] as Int32Array, method });
    }
  } else {
    if (!opts.inputs) throw new ConfigError(`${method === 'lasso' ? 'LASSO selection' : 'reconstruction'} samples feature maps: pass inputs (a batch of training images)`);
    const sampler = new FeatureSampler(model, analysis, opts.inputs, opts.samplesPerImage ?? 2, opts.seed ?? 1);
    const original = await sampler.original();
    for (const g of order) {
      const current = await buildPrunedModel(model, analysis, kept, kernels);
      try {
        selections.push(await selectGroup(model, current, analysis, g, counts[g], method, reconstruct, kept, kernels, sampler, original, opts.ridge ?? 1e-6));
      } finally {
        current.dispose();
      }
      kept[g] = selections[selections.length - 1].kept;
    }
  }
  const pruned = await buildPrunedModel(model, analysis, kept, kernels);
  return {
    model: pruned,
    analysis,
    counts,
    kept,
    selections,
    flops: { before: analysis.totalFlops, after: countFlops(pruned).total },
    params: { before: analysis.totalParams, after: pruned.countParams() },
  };
}

/** Sum over the group's producers of the L1 norm of each output filter. */
export function groupL1Norms(model: tf.LayersModel, group: ChannelGroup): Float64Array {
  const scores = new Float64Array(group.channels);
  for (const p of group.producers) {
    const kernel = model.getLayer(p).getWeights()[0];
    const norms = channelL1Norms(kernel.dataSync() as Float32Array, kernel.shape, -1);
    for (let c = 0; c < scores.length; c++) scores[c] += norms[c];
  }
  return scores;
}

interface ConsumerGeometry {
  kind: 'conv' | 'dense';
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  padTop: number;
  padLeft: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
}

function pair(v: unknown, fallback: number): [number, number] {
  if (Array.isArray(v)) return [v[0] as number, (v[1] ?? v[0]) as number];
  if (typeof v === 'number') return [v, v];
  return [fallback, fallback];
}

function geometry(layer: ReturnType<tf.LayersModel['getLayer']>): ConsumerGeometry {
  const inShape = (layer.inboundNodes[0].inputTensors[0].shape as number[]).slice();
  const outShape = layer.outputShape as number[];
  if (layer.getClassName() === 'Dense') {
    if (inShape.length !== 2) throw new ModelError(`dense layer ${layer.name} reads a ${inShape.length}-D input; sampling supports 2-D inputs (after Flatten)`);
    return { kind: 'dense', kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 0, padLeft: 0, inH: 1, inW: 1, outH: 1, outW: 1 };
  }
  const cfg = layer.getConfig() as Record<string, unknown>;
  const [kh, kw] = pair(cfg.kernelSize, 1);
  const [sh, sw] = pair(cfg.strides, 1);
  const [dh, dw] = pair(cfg.dilationRate, 1);
  const [inH, inW] = [inShape[1], inShape[2]];
  const [outH, outW] = [outShape[1], outShape[2]];
  let padTop = 0;
  let padLeft = 0;
  if (cfg.padding === 'same') {
    // TensorFlow's 'same': total padding split with the extra row / column at the end
    padTop = Math.floor(Math.max((outH - 1) * sh + (kh - 1) * dh + 1 - inH, 0) / 2);
    padLeft = Math.floor(Math.max((outW - 1) * sw + (kw - 1) * dw + 1 - inW, 0) / 2);
  } else if (cfg.padding !== 'valid') {
    throw new ModelError(`conv layer ${layer.name} has padding '${String(cfg.padding)}'; sampling supports 'same' and 'valid'`);
  }
  return { kind: 'conv', kh, kw, sh, sw, dh, dw, padTop, padLeft, inH, inW, outH, outW };
}

/** Consumer input rows [n, d] at fixed sample sites (image, output y, output x), for any version of the model. */
class FeatureSampler {
  private readonly consumers: string[];
  private readonly sites = new Map<string, Int32Array>();
  private readonly geometries = new Map<string, ConsumerGeometry>();

  constructor(
    private readonly model: tf.LayersModel,
    analysis: ChannelAnalysis,
    private readonly inputs: tf.Tensor,
    samplesPerImage: number,
    seed: number,
  ) {
    this.consumers = [...new Set(analysis.groups.flatMap((g) => g.consumers.map((c) => c.layer)))];
    const images = inputs.shape[0];
    for (const name of this.consumers) {
      const geo = geometry(model.getLayer(name));
      this.geometries.set(name, geo);
      const per = geo.kind === 'dense' ? 1 : samplesPerImage;
      const rng = seedrandom(`channel-samples:${seed}:${name}`);
      const sites = new Int32Array(images * per * 3);
      for (let i = 0; i < images * per; i++) {
        sites[i * 3] = Math.floor(i / per);
        sites[i * 3 + 1] = Math.floor(rng() * geo.outH);
        sites[i * 3 + 2] = Math.floor(rng() * geo.outW);
      }
      this.sites.set(name, sites);
    }
  }

  rows(name: string): number {
    return (this.sites.get(name) as Int32Array).length / 3;
  }

  /** The original model's rows for every consumer. */
  original(): Promise<Map<string, { x: Float32Array; d: number }>> {
    return this.sample(this.model, this.consumers);
  }

  /** Rows of `names` in `model` (a pruned version: same layer names, same spatial sizes). */
  async sample(model: tf.LayersModel, names: string[]): Promise<Map<string, { x: Float32Array; d: number }>> {
    const sub = tf.model({ inputs: model.inputs, outputs: names.map((n) => model.getLayer(n).input as tf.SymbolicTensor) });
    const result = new Map<string, { x: Float32Array; d: number }>();
    const channels = names.map((n) => lastDim(model.getLayer(n).inboundNodes[0].inputTensors[0].shape));
    names.forEach((n, k) => {
      const geo = this.geometries.get(n) as ConsumerGeometry;
      const d = geo.kh * geo.kw * channels[k];
      result.set(n, { x: new Float32Array(this.rows(n) * d), d });
    });
    const images = this.inputs.shape[0];
    const batch = 128;
    const cursor = names.map(() => 0);
    for (let from = 0; from < images; from += batch) {
      const to = Math.min(images, from + batch);
      const outs = tf.tidy(() => {
        const x = this.inputs.slice(from, to - from);
        const y = sub.predict(x);
        return Array.isArray(y) ? y : [y];
      });
      const data = await Promise.all(outs.map((o) => o.data() as Promise<Float32Array>));
      tf.dispose(outs);
      names.forEach((n, k) => {
        const geo = this.geometries.get(n) as ConsumerGeometry;
        const sites = this.sites.get(n) as Int32Array;
        const { x, d } = result.get(n) as { x: Float32Array; d: number };
        const c = channels[k];
        const feat = data[k];
        while (cursor[k] * 3 < sites.length && sites[cursor[k] * 3] < to) {
          const r = cursor[k]++;
          const img = sites[r * 3] - from;
          if (geo.kind === 'dense') {
            x.set(feat.subarray(img * c, (img + 1) * c), r * d);
            continue;
          }
          const oy = sites[r * 3 + 1];
          const ox = sites[r * 3 + 2];
          for (let ky = 0; ky < geo.kh; ky++) {
            const iy = oy * geo.sh - geo.padTop + ky * geo.dh;
            if (iy < 0 || iy >= geo.inH) continue;
            for (let kx = 0; kx < geo.kw; kx++) {
              const ix = ox * geo.sw - geo.padLeft + kx * geo.dw;
              if (ix < 0 || ix >= geo.inW) continue;
              const src = ((img * geo.inH + iy) * geo.inW + ix) * c;
              x.set(feat.subarray(src, src + c), r * d + (ky * geo.kw + kx) * c);
            }
          }
        }
      });
    }
    return result;
  }
}

/** x [n, d] times w [d, o], float64 accumulation, columns `cols` of w only. */
function multiply(x: Float32Array, w: Float32Array, n: number, d: number, o: number, cols: Int32Array): Float32Array {
  const k = cols.length;
  const y = new Float32Array(n * k);
  const acc = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    acc.fill(0);
    for (let i = 0; i < d; i++) {
      const v = x[r * d + i];
      if (v === 0) continue;
      for (let j = 0; j < k; j++) acc[j] += v * w[i * o + cols[j]];
    }
    for (let j = 0; j < k; j++) y[r * k + j] = acc[j];
  }
  return y;
}

async function selectGroup(
  model: tf.LayersModel,
  current: tf.LayersModel,
  analysis: ChannelAnalysis,
  g: number,
  keep: number,
  method: ChannelSelectionMethod,
  reconstruct: boolean,
  kept: ReadonlyArray<Int32Array | null>,
  kernels: Map<string, Float32Array>,
  sampler: FeatureSampler,
  original: Map<string, { x: Float32Array; d: number }>,
  ridge: number,
): Promise<GroupSelection> {
  const group = analysis.groups[g];
  const names = group.consumers.map((c) => c.layer);
  const samples = await sampler.sample(current, names);
  const weightsOf = new Map(analysis.weights.map((w) => [w.layer, w]));
  // per consumer: its problem in the current model's coordinates, and how to map back to the original kernel
  const parts = await Promise.all(
    group.consumers.map(async (consumer) => {
      const axes = (weightsOf.get(consumer.layer) as LayerWeights).weights[0];
      const shape = axes.shape;
      const inAxis = axes.axes[shape.length - 2] as AxisLayout;
      const outAxis = axes.axes[shape.length - 1];
      const cinOrig = shape[shape.length - 2];
      const oOrig = shape[shape.length - 1];
      const inPos = keptPositions(inAxis, kept);
      const outPos = outAxis ? keptPositions(outAxis, kept) : Int32Array.from({ length: oOrig }, (_, i) => i);
      const { x, d } = samples.get(consumer.layer) as { x: Float32Array; d: number };
      const n = sampler.rows(consumer.layer);
      const o = outPos.length;
      const spatial = d / inPos.length;
      const origRow = Int32Array.from({ length: d }, (_, i) => Math.floor(i / inPos.length) * cinOrig + inPos[i % inPos.length]);
      const channelOf = Int32Array.from({ length: d }, (_, i) => consumer.channelOf[inPos[i % inPos.length]]);
      const orig = original.get(consumer.layer) as { x: Float32Array; d: number };
      const origKernel = model.getLayer(consumer.layer).getWeights()[0];
      const y = multiply(orig.x, (await origKernel.data()) as Float32Array, n, orig.d, oOrig, outPos);
      const curKernel = current.getLayer(consumer.layer).getWeights()[0];
      const w = (await curKernel.data()) as Float32Array;
      if (w.length !== d * o || spatial !== Math.round(spatial)) throw new ModelError(`sampled inputs of ${consumer.layer} do not match its kernel [${curKernel.shape}]`);
      return { consumer, x, y, w, dims: { n, d, o }, origRow, channelOf, outPos, oOrig, problem: null as ChannelProblem | null };
    }),
  );

  let selection: Int32Array;
  let lambda: number | undefined;
  let exact: boolean | undefined;
  if (method === 'lasso') {
    for (const p of parts) p.problem = channelProblem(p.x, p.w, p.y, p.dims, p.channelOf, group.channels);
    const choice = lassoSelect(combineProblems(parts.map((p) => p.problem as ChannelProblem)), keep);
    selection = choice.kept;
    lambda = choice.lambda;
    exact = choice.exact;
  } else {
    selection = topChannels(groupL1Norms(model, group), keep);
  }
  const keepMask = new Uint8Array(group.channels);
  for (const c of selection) keepMask[c] = 1;

  let errSelected = 0;
  let errReconstructed = 0;
  for (const p of parts) {
    const cols = Int32Array.from(
      Array.from({ length: p.dims.d }, (_, i) => i).filter((i) => p.channelOf[i] < 0 || keepMask[p.channelOf[i]] === 1),
    );
    const sliced = new Float32Array(cols.length * p.dims.o);
    cols.forEach((c, s) => sliced.set(p.w.subarray(c * p.dims.o, (c + 1) * p.dims.o), s * p.dims.o));
    errSelected += relativeOutputError(p.x, p.y, p.dims, cols, sliced) / parts.length;
    if (!reconstruct) {
      errReconstructed += relativeOutputError(p.x, p.y, p.dims, cols, sliced) / parts.length;
      continue;
    }
    const refit = leastSquares(p.x, p.y, p.dims, cols, ridge);
    errReconstructed += relativeOutputError(p.x, p.y, p.dims, cols, refit) / parts.length;
    // write the refit into the consumer's kernel in the ORIGINAL shape; pruned rows are dropped by the surgery
    const base = kernels.get(p.consumer.layer) ?? Float32Array.from(model.getLayer(p.consumer.layer).getWeights()[0].dataSync());
    cols.forEach((c, s) => {
      const row = p.origRow[c] * p.oOrig;
      for (let j = 0; j < p.dims.o; j++) base[row + p.outPos[j]] = refit[s * p.dims.o + j];
    });
    kernels.set(p.consumer.layer, base);
  }
  return { group: g, kept: selection, method, lambda, exact, errorSelected: errSelected, errorReconstructed: errReconstructed };
}
