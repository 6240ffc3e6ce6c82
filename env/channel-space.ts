/**
 * The channels knob's view of a model (AMC, He et al. 2018): which layers open a prunable channel group and so take a
 * preserve ratio, how many channels each group keeps under a strategy, the layers' shapes once those channels are
 * gone, the cost of a whole strategy, and the per-episode surgery.
 *
 * The dependency groups (batch norm, depthwise, residual add, concat, flatten: env/channel-pruning/analysis.ts) are
 * found once per run, on the original model. A group's size is chosen by the first layer (in model order) that
 * produces it; the other producers of a group joined by an add follow it. A kept count is the preserve ratio times
 * the group's channels rounded DOWN (at least 1): AMC rounds up to multiples of 8 and can overshoot the budget.
 *
 * Costs couple layers: cutting a layer's output channels also cuts the input of every layer that reads them (and the
 * depthwise and batch-norm layers in between). So a strategy is costed whole, from the kept counts of every group:
 * `total` is exact for the built model (the tests compare it with countFlops and countParams of the surgery's result).
 */
import * as tf from '../tfjs.js';
import { ConfigError } from '../errors.js';
import { FULL_PRECISION, type LayerSpec } from '../learners/types.js';
import { analyzeChannels } from './channel-pruning/analysis.js';
import { keptSize, prunedParams } from './channel-pruning/cost.js';
import { type ChannelSelectionMethod, pruneChannels } from './channel-pruning/select.js';
import type { ChannelAnalysis, WeightAxes } from './channel-pruning/types.js';
import { type CostKind, layerCost } from './budget.js';
import type { Dataset } from './data/dataset.js';
import { preserveOf } from './knobs.js';
import { compressibleLayers, type LayerInfo } from './layers.js';
import type { LatencyTable } from './latency-table.js';

/** Training images LASSO selection and the least-squares refit sample feature maps from. */
export const CHANNEL_SAMPLE_IMAGES = 256;

export class ChannelSpace {
  readonly analysis: ChannelAnalysis;
  /** Per layer of `layers`: the group whose size its preserve ratio sets, or null when it cannot take one. */
  readonly groupOf: Array<number | null>;
  /** Per layer of `layers`: why it cannot take a preserve ratio, or null when it can. */
  readonly refusal: Array<string | null>;
  private readonly kernels: WeightAxes[];
  private readonly fullCounts: number[];

  constructor(
    model: tf.LayersModel,
    /** Every compressible layer of the model (env/layers.ts), in model order. */
    readonly layers: LayerInfo[],
  ) {
    this.analysis = analyzeChannels(model);
    const byName = new Map(this.analysis.weights.map((w) => [w.layer, w]));
    // a unit's kernel as the analysis sees it; a kernel it does not map keeps its shape
    this.kernels = layers.map((l) => byName.get(l.layerName)?.weights[l.weightIndex] ?? { name: l.name, shape: l.kernelShape, axes: l.kernelShape.map(() => null) });
    this.fullCounts = this.analysis.groups.map((g) => g.channels);
    const opened = new Set<number>();
    this.groupOf = layers.map(() => null);
    this.refusal = layers.map((l, i) => {
      const g = this.analysis.groups.find((gr) => gr.producers.includes(l.name));
      if (!g) return l.className === 'DepthwiseConv2D' ? "a depthwise layer's channels follow the layer before it" : `a ${l.className} layer's channels are not pruned`;
      if (g.frozen !== null) return g.frozen;
      if (opened.has(g.id)) return `its channels are joined (by an add) with ${g.producers[0]}'s, which sets them`;
      opened.add(g.id);
      this.groupOf[i] = g.id;
      return null;
    });
  }

  /** Names of the layers that can take a preserve ratio. */
  prunable(): string[] {
    return this.layers.filter((_, i) => this.groupOf[i] !== null).map((l) => l.name);
  }

  /** Which layers the knob can shrink and why the others cannot, in one clause for a refusal: "the channels knob
   * prunes only d1 (d2: its channels are joined ...; out: ...)". */
  describe(): string {
    const prunable = this.prunable();
    const others = this.layers.flatMap((l, i) => (this.refusal[i] === null ? [] : [`${l.name}: ${this.refusal[i]}`]));
    const why = others.length > 0 ? ` (${others.slice(0, 4).join('; ')}${others.length > 4 ? `; ${others.length - 4} more` : ''})` : '';
    return prunable.length === 0 ? `the channels knob prunes none of this model's layers${why}` : `the channels knob prunes only ${prunable.join(', ')}${why}`;
  }

  /** Channels group `g` keeps at preserve ratio `ratio`: rounded down, at least one. */
  countOf(g: number, ratio: number): number {
    const c = this.fullCounts[g];
    return ratio >= 1 ? c : Math.min(c, Math.max(1, Math.floor(ratio * c + 1e-9)));
  }

  /** Kept channels per group when layer i of `layers` takes `specs[i]`'s preserve ratio. */
  counts(specs: LayerSpec[]): number[] {
    const counts = this.fullCounts.slice();
    specs.forEach((s, i) => {
      const g = this.groupOf[i];
      if (g !== null) counts[g] = this.countOf(g, preserveOf(s));
    });
    return counts;
  }

  /** Whether some layer's preserve ratio sets group g's size. */
  opens(g: number): boolean {
    return this.groupOf.includes(g);
  }

  /** The groups whose kept counts change layer i's kernel shape. */
  groupsOf(i: number): number[] {
    return [...new Set(this.kernels[i].axes.flatMap((a) => (a ? a.uses.map(([g]) => g) : [])))];
  }

  /** Whether `counts` removes any channel. */
  prunes(counts: number[]): boolean {
    return counts.some((k, g) => k < this.fullCounts[g]);
  }

  /** Layer i as the surgery builds it when group g keeps counts[g]: shapes, parameters and MACs cut. */
  prunedLayer(i: number, counts: number[]): LayerInfo {
    const l = this.layers[i];
    const axes = this.kernels[i];
    const shape = axes.shape.map((d, a) => keptSize(axes.axes[a], d, counts));
    const params = shape.reduce((a, b) => a * b, 1);
    if (params === l.params) return l;
    const base = { ...l, kernelShape: shape, params, macs: params * l.outputPixels };
    if (l.kind === 'dense') return { ...base, storageShape: shape, inChannels: shape[0], outChannels: shape[1] };
    if (l.kind === 'conv') return { ...base, storageShape: shape, inChannels: shape[2], outChannels: shape[3] };
    return { ...base, storageShape: [shape[0], shape[1], 1, shape[2] * shape[3]], inChannels: shape[2], outChannels: shape[2] * shape[3] };
  }

  /** [kept, original] output channels of layer i. */
  channelsOf(i: number, counts: number[]): [number, number] {
    return [this.prunedLayer(i, counts).outChannels, this.layers[i].outChannels];
  }

  /**
   * The cost of the whole model when layer i takes specs[i] (every layer of `layers`) and group g keeps counts[g]: the
   * layers' costs at their cut shapes, and for `size` every other weight (biases, batch norm) in fp32; for `latency`
   * the table's entries plus its constant.
   */
  total(kind: CostKind, specs: LayerSpec[], counts: number[], latency?: LatencyTable): number {
    let n = 0;
    let kernels = 0;
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.prunedLayer(i, counts);
      kernels += l.params;
      n += layerCost(kind, l, specs[i], latency);
    }
    if (kind === 'latency') return n + latency!.constantMs;
    return kind === 'size' ? n + 4 * (prunedParams(this.analysis, counts) - kernels) : n;
  }
}

/**
 * How full a strategy's costs make the budgets: the largest cost / limit (one budget: the cost itself, so a single
 * budget orders candidates exactly as before two existed). At most 1 (one budget: at most its limit) when it fits.
 */
function load(costs: number[], limits: number[]): number {
  if (limits.length === 1) return costs[0];
  return Math.max(...costs.map((c, k) => (limits[k] > 0 ? c / limits[k] : c > 0 ? Infinity : 0)));
}

/** Whether every cost is within its limit. */
export function fitsAll(costs: number[], limits: number[]): boolean {
  return costs.every((c, k) => c <= limits[k]);
}

/**
 * AMC's wall over whole strategies and every budget: the agent's wish if the model's lower bounds (undecided layers
 * at their cheapest, `costWith(spec)` with this layer at `spec`, one cost per budget) stay within their `limits`,
 * else the feasible candidate nearest the wish, the most expensive (fullest budget) among equally near ones; null
 * when none fits.
 */
export function coupledWall(candidates: LayerSpec[], costWith: (s: LayerSpec) => number[], limits: number[], wish: LayerSpec, distance: (s: LayerSpec) => number): LayerSpec | null {
  if (fitsAll(costWith(wish), limits)) return wish;
  let best: LayerSpec | null = null;
  let bestD = Infinity;
  let bestC = -Infinity;
  for (const s of candidates) {
    const costs = costWith(s);
    if (!fitsAll(costs, limits)) continue;
    const c = load(costs, limits);
    const d = distance(s);
    if (d < bestD - 1e-12 || (Math.abs(d - bestD) <= 1e-12 && c > bestC)) {
      best = s;
      bestD = d;
      bestC = c;
    }
  }
  return best;
}

/**
 * HAQ's after-episode pass over whole strategies and every budget: while some budget is exceeded, from the last layer
 * to the first, each takes the candidate of largest load (cost / limit, the fullest budget's) that still lowers the
 * strategy's load. The wall makes it a guard.
 */
export function coupledEnforceAfter(candidates: LayerSpec[][], cost: (strategy: LayerSpec[]) => number[], limits: number[], strategy: LayerSpec[]): LayerSpec[] {
  const out = strategy.slice();
  let costs = cost(out);
  while (!fitsAll(costs, limits)) {
    let moved = false;
    for (let i = out.length - 1; i >= 0 && !fitsAll(costs, limits); i--) {
      const total = load(costs, limits);
      let best: { s: LayerSpec; costs: number[]; c: number } | null = null;
      for (const s of candidates[i]) {
        const cs = cost(out.map((o, j) => (j === i ? s : o)));
        const c = load(cs, limits);
        if (c < total && (best === null || c > best.c)) best = { s, costs: cs, c };
      }
      if (best) {
        out[i] = best.s;
        costs = best.costs;
        moved = true;
      }
    }
    if (!moved) break;
  }
  return out;
}

/** The layer that cannot take a preserve ratio, named with why and with the layers that can: one line. */
export function refusePreserve(space: ChannelSpace, name: string, what: string): never {
  const i = space.layers.findIndex((l) => l.name === name);
  throw new ConfigError(`${what}: layer ${name} cannot be channel-pruned (${space.refusal[i]}); layers that can: ${space.prunable().join(', ') || 'none'}`);
}

/** The first `CHANNEL_SAMPLE_IMAGES` training images, for LASSO selection and the refit. The caller disposes it. */
export function channelSamples(data: Dataset): tf.Tensor {
  const n = Math.min(CHANNEL_SAMPLE_IMAGES, data.train.count);
  const row = data.train.x.length / data.train.count;
  return tf.tensor(data.train.x.subarray(0, n * row), [n, ...data.inputShape]);
}

/**
 * The channel surgery of one episode (or of `apply`): a NEW, smaller model from `model`'s current (original) weights
 * with group g keeping counts[g] channels, selected by L1 norm or by LASSO with the least-squares refit, and its
 * compressible layers in model order. The caller disposes `model` of the result.
 */
export async function pruneForCounts(
  model: tf.LayersModel,
  space: ChannelSpace,
  counts: number[],
  method: ChannelSelectionMethod,
  inputs?: tf.Tensor,
): Promise<{ model: tf.LayersModel; layers: LayerInfo[] }> {
  const result = await pruneChannels(model, { counts, method, inputs, analysis: space.analysis, seed: 1 });
  try {
    return { model: result.model, layers: compressibleLayers(result.model) };
  } catch (e) {
    result.model.dispose();
    throw e;
  }
}

/**
 * The channel groups of `model` with each named layer's preserve ratio checked: a ratio below 1 on a layer that
 * cannot be channel-pruned is refused in one line (`what` says where it came from). Null when nothing is cut.
 */
export function checkPreserveRatios(model: tf.LayersModel, entries: Array<{ name: string; preserveRatio?: number }>, what: string): { space: ChannelSpace; counts: number[] } | null {
  if (!entries.some((e) => (e.preserveRatio ?? 1) < 1)) return null;
  const space = new ChannelSpace(model, compressibleLayers(model));
  const ratio = new Map(entries.map((e) => [e.name, e.preserveRatio ?? 1]));
  const specs = space.layers.map((l, i) => {
    const r = ratio.get(l.name) ?? 1;
    if (r < 1 && space.groupOf[i] === null) refusePreserve(space, l.name, `${what} gives ${l.name} preserveRatio ${r}`);
    return { ...FULL_PRECISION, ...(r < 1 ? { preserveRatio: r } : {}) };
  });
  return { space, counts: space.counts(specs) };
}

/** `apply`'s channel surgery: the smaller model a strategy's preserve ratios build from `model`, or null. */
export async function pruneForEntries(
  model: tf.LayersModel,
  entries: Array<{ name: string; preserveRatio?: number }>,
  method: ChannelSelectionMethod,
  data: Dataset,
): Promise<{ model: tf.LayersModel; layers: LayerInfo[] } | null> {
  const checked = checkPreserveRatios(model, entries, 'the strategy');
  if (!checked) return null;
  const inputs = method === 'lasso' ? channelSamples(data) : undefined;
  try {
    return await pruneForCounts(model, checked.space, checked.counts, method, inputs);
  } finally {
    inputs?.dispose();
  }
}
