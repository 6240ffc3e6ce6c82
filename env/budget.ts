/**
 * Budgets and the walls that make them hard constraints (AMC's action wall, HAQ's final pass; docs/search.md).
 *
 * A budget limits one cost summed over the model: packed `size` in bytes, `flops` (the dense multiply-accumulates the
 * built model runs: only channel pruning lowers them, as AMC counts), `sparse-flops` (the MACs that remain after
 * weight pruning, i.e. sparse MACs, which no tfjs backend runs faster) or `bitops` (sparse MACs x weight bits x
 * activation bits: the abits knob's, else ACTIVATION_BITS). Layers outside the search (excluded by name, or non-compressible tensors such as biases and
 * batch-norm) add a fixed cost. With the channels knob a layer's cost also depends on its neighbours' channels; the
 * env then costs whole strategies (env/channel-space.ts) and uses these per-layer costs only to order candidates.
 *
 * - Before each layer, AMC's action wall: assuming every later layer takes its cheapest setting, this layer may cost
 *   at most `limit - spent - minCostOfRest`. If the agent's choice costs more, we take the feasible setting NEAREST
 *   to the agent's action (for one knob this is AMC's clamp; for several it is the natural generalisation) and, among
 *   equally near ones, the most expensive: no budget is wasted by rounding down further than needed.
 * - After the episode, HAQ's pass: while over the limit, walk from the last layer to the first, taking each one step
 *   cheaper. With the wall in place it never fires; it guards pinned settings and float round-off.
 */
import { BudgetError, ConfigError } from '../errors.js';
import { formatBytes, formatCount, formatMs } from '../units.js';
import { keptWeights, sizeBits } from '../learners/size.js';
import type { LayerSpec } from '../learners/types.js';
import type { LayerInfo } from './layers.js';
import { type LatencyTable, unitMs } from './latency-table.js';

export type BudgetKind = 'size' | 'flops' | 'bitops' | 'latency';
/** What a budget counts: its kind, with `flops` split into dense MACs and sparse MACs (stored as kind `flops`). */
export type CostKind = 'size' | 'flops' | 'sparse-flops' | 'bitops' | 'latency';

export interface BudgetSpec {
  kind: BudgetKind;
  /** flops budgets: count sparse MACs (`sparse-flops:0.5`) instead of the dense MACs of the built model. */
  sparse?: boolean;
  /** For size: bytes, or bits per weight (`bits`), or a compression ratio (`ratio`); flops/bitops: a fraction;
   * latency: a fraction of the uncompressed model's measured time, or milliseconds (`ms`) per predict call. */
  value: number;
  unit: 'bytes' | 'bits' | 'ratio' | 'fraction' | 'ms';
}

/** Activation bits the bit-operation count assumes for a layer whose activations the abits knob does not set (8, the
 * HAQ convention: its fp32 activations would run as 8-bit on an integer accelerator). */
export const ACTIVATION_BITS = 8;

/**
 * Every budget of `--budget` (one, or two joined by a comma: `size:2bits,latency:0.6`). Two of one kind are refused:
 * the tighter one alone would say the same.
 */
export function parseBudgets(text: string): BudgetSpec[] {
  const specs = text.split(',').map((t) => t.trim()).filter(Boolean).map(parseBudget);
  if (specs.length === 0) throw new ConfigError(`cannot read budget '${text}'; use e.g. size:3bits, or two joined by a comma: size:2bits,latency:0.6`);
  if (specs.length > 2) throw new ConfigError(`budget '${text}' gives ${specs.length} budgets; give one, or two joined by a comma (size:2bits,latency:0.6)`);
  if (specs.length === 2 && costKindOf(specs[0]) === costKindOf(specs[1])) {
    throw new ConfigError(`budget '${text}' gives two ${costKindOf(specs[0])} budgets; keep the tighter one`);
  }
  return specs;
}

/** Parse `size:3bits`, `size:20kB`, `size:12x`, `flops:0.5`, `sparse-flops:0.5`, `bitops:0.1` (or `bitops:25%`),
 * `latency:0.5` (or `latency:12ms`). */
export function parseBudget(text: string): BudgetSpec {
  const m = /^(size|flops|sparse-flops|bitops|latency):([0-9]*\.?[0-9]+)(bits|b|kb|mb|x|%|ms)?$/i.exec(text.trim());
  if (!m) throw new ConfigError(`cannot read budget '${text}'; use size:3bits, size:20kB, size:12x, flops:0.5, sparse-flops:0.5, bitops:0.25, latency:0.5 or latency:12ms`);
  if (m[1].toLowerCase() === 'sparse-flops') return { ...parseBudget(`flops:${m[2]}${m[3] ?? ''}`), sparse: true };
  const kind = m[1].toLowerCase() as BudgetKind;
  const value = Number(m[2]);
  const unit = (m[3] ?? '').toLowerCase();
  if (kind === 'size') {
    if (unit === 'bits') {
      if (!(value >= 1 && value <= 32)) {
        throw new ConfigError(`size budget '${text}' needs an average bit width per weight from 1 to 32, e.g. size:3bits or size:1.5bits`);
      }
      return { kind, value, unit: 'bits' };
    }
    // a zero size (or 0x, 0%) would divide by zero or ask for an empty model
    if (unit && !(value > 0)) throw new ConfigError(`size budget '${text}' must be greater than 0`);
    if (unit === 'x') return { kind, value, unit: 'ratio' };
    if (unit === 'b') return { kind, value, unit: 'bytes' };
    if (unit === 'kb') return { kind, value: value * 1000, unit: 'bytes' };
    if (unit === 'mb') return { kind, value: value * 1e6, unit: 'bytes' };
    if (unit === '%') return { kind, value: 100 / value, unit: 'ratio' };
    throw new ConfigError(`size budget '${text}' needs a unit: bits (per weight, e.g. size:3bits), B, kB, MB or x (ratio)`);
  }
  if (kind === 'latency' && unit === 'ms') {
    if (!(value > 0)) throw new ConfigError(`latency budget '${text}' must be more than 0 ms`);
    return { kind, value, unit: 'ms' };
  }
  const fraction = unit === '%' ? value / 100 : value;
  if (unit && unit !== '%') throw new ConfigError(`${kind} budget '${text}' is a fraction of the full model, e.g. ${kind}:0.5 or ${kind}:50%`);
  if (!(fraction > 0 && fraction <= 1)) throw new ConfigError(`${kind} budget '${text}' must be a fraction in (0, 1] of the full model, e.g. ${kind}:0.5 or ${kind}:50%`);
  return { kind, value: fraction, unit: 'fraction' };
}

/**
 * Multiply-accumulates a layer keeps under a setting: its MACs times the fraction of weights the setting really
 * leaves non-zero (learners/size.ts keptWeights), not `1 - pruneRatio`: 2:4 keeps half whatever the ratio, block
 * pruning keeps whole blocks, clustering without preserved sparsity keeps every weight.
 */
export function sparseMacs(layer: LayerInfo, spec: LayerSpec): number {
  if (spec.pruneRatio === 0) return layer.macs;
  const n = layer.storageShape.reduce((a, b) => a * b, 1);
  return (layer.macs * keptWeights(layer.storageShape, spec)) / n;
}

/** What a budget spec counts. */
export function costKindOf(spec: BudgetSpec): CostKind {
  return spec.kind === 'flops' && spec.sparse ? 'sparse-flops' : spec.kind;
}

/**
 * The cost of one layer under a setting, in the budget's unit (bytes for size, ms for latency: the table's entry at
 * its channels, whatever its bits); `layer` has the shape it is built at.
 */
export function layerCost(kind: CostKind, layer: LayerInfo, spec: LayerSpec, latency?: LatencyTable): number {
  switch (kind) {
    case 'latency':
      if (!latency) throw new Error('a latency cost needs the run\'s latency table');
      return unitMs(latency, layer);
    case 'size':
      return sizeBits(layer.storageShape, spec) / 8;
    case 'flops':
      return layer.macs;
    case 'sparse-flops':
      return sparseMacs(layer, spec);
    case 'bitops':
      return sparseMacs(layer, spec) * Math.min(spec.bits, 32) * (spec.activationBits ?? ACTIVATION_BITS);
  }
}

/** Everything the walls need, computed once per run. */
export interface BudgetPlan {
  kind: BudgetKind;
  /** What the plan counts (`flops` plans count dense or sparse MACs). */
  costKind: CostKind;
  /** The limit in the budget's unit. */
  limit: number;
  /** Cost of the uncompressed model. */
  full: number;
  /** Cost nothing in the search can change (fixed tensors, excluded and pinned layers). */
  fixed: number;
  /** Per searched layer: candidate settings sorted by cost, with their costs. */
  candidates: Array<{ specs: LayerSpec[]; costs: number[] }>;
  minCost: number[];
  label: string;
}

export interface PlanInput {
  kind: BudgetKind;
  spec: BudgetSpec;
  /** A layer's cost at a setting when it is not `layerCost` of `layers[i]` (channel pruning: its own channels cut). */
  costOf?: (i: number, spec: LayerSpec) => number;
  /** The cheapest whole strategy's cost when it is not the sum of per-layer minima (channel pruning couples layers). */
  smallest?: number;
  /** The layers the agent walks, in model order. */
  layers: LayerInfo[];
  /** Candidate settings per searched layer (a pinned layer has exactly one). */
  candidates: LayerSpec[][];
  /** Cost of everything outside the searched layers (biases, BN, excluded layers) at full precision. */
  fixedCost: number;
  /** Cost of the searched layers at full precision. */
  fullLayerCost: number;
  /** The base spec for `size:Nbits` budgets (uniform N bits on every searched layer). */
  uniformSpec: (bits: number, layer: number) => LayerSpec;
  /** The run's latency table (latency budgets). */
  latency?: LatencyTable;
  /** With the channels knob: which layers it can shrink (ChannelSpace.describe, said when a budget is out of reach) and
   * whether there are any. */
  channels?: { text: string; prunable: boolean };
}

/** The stored bit widths (1..8, 16, 32) at or just below and just above `bits`. */
export function bitsAround(bits: number): [number, number] {
  const widths = [1, 2, 3, 4, 5, 6, 7, 8, 16, 32];
  const hi = widths.find((w) => w >= bits) ?? 32;
  const lo = [...widths].reverse().find((w) => w <= bits) ?? 1;
  return [lo, hi];
}

export function planBudget(input: PlanInput): BudgetPlan {
  const { kind, spec, layers } = input;
  const full = input.fixedCost + input.fullLayerCost;
  let limit: number;
  let label: string;
  if (spec.unit === 'bits') {
    // between stored widths (1.5 bits, 12 bits) the limit is interpolated between the two uniform sizes around it:
    // size is affine in bits, so this is the size of an average of `value` bits per weight, scales included
    const [lo, hi] = bitsAround(spec.value);
    const uniform = (bits: number) => layers.reduce((n, l, i) => n + layerCost('size', l, input.uniformSpec(bits, i)), 0);
    const t = hi === lo ? 0 : (spec.value - lo) / (hi - lo);
    limit = input.fixedCost + uniform(lo) + (t > 0 ? t * (uniform(hi) - uniform(lo)) : 0);
    label = `size <= uniform ${spec.value}-bit (${formatBytes(limit)})`;
  } else if (spec.unit === 'ratio') {
    limit = full / spec.value;
    label = `size <= fp32 / ${spec.value} (${formatBytes(limit)})`;
  } else if (spec.unit === 'bytes') {
    limit = spec.value;
    label = `size <= ${formatBytes(limit)}`;
  } else if (spec.unit === 'ms') {
    limit = spec.value;
    label = `latency <= ${formatMs(limit)} (fp32 ${formatMs(full)})`;
  } else if (kind === 'latency') {
    limit = full * spec.value;
    label = `latency <= ${(spec.value * 100).toFixed(1)}% of fp32 (${formatMs(limit)} of ${formatMs(full)})`;
  } else {
    limit = full * spec.value;
    label = `${kind} <= ${(spec.value * 100).toFixed(1)}% of full (${formatCount(limit)})`;
  }
  const costKind = costKindOf(spec);
  if (costKind === 'sparse-flops') label = `sparse ${label}`;
  const costOf = input.costOf ?? ((i: number, s: LayerSpec) => layerCost(costKind, layers[i], s, input.latency));
  const candidates = input.candidates.map((specs, i) => {
    const pairs = specs.map((s) => ({ s, c: costOf(i, s) })).sort((a, b) => a.c - b.c);
    return { specs: pairs.map((p) => p.s), costs: pairs.map((p) => p.c) };
  });
  const minCost = candidates.map((c) => c.costs[0]);
  const smallest = input.smallest ?? input.fixedCost + minCost.reduce((a, b) => a + b, 0);
  if (limit < smallest * (1 - 1e-12)) {
    const amount = kind === 'size' ? formatBytes(smallest) : kind === 'latency' ? formatMs(smallest) : formatCount(smallest);
    const what = `${amount} (${((smallest / full) * 100).toFixed(2)}% of ${kind === 'flops' || kind === 'bitops' ? 'full' : 'fp32'})`;
    const hint = input.channels !== undefined && (costKind === 'latency' || costKind === 'flops')
      ? `; ${input.channels.text}: raise the budget${costKind === 'latency' && input.channels.prunable ? ' or lower the channels bound (--channels 0.1-1)' : ''}`
      : costKind === 'latency' ? '; only kept channels lower fp32 latency: raise the budget or lower the channels bound (--channels 0.1-1)' : costKind === 'flops' ? '; flops counts the dense MACs the built model runs, which only the channels knob lowers: add channels to --knobs, or count sparse MACs with sparse-flops' : '; raise the budget or widen the knob bounds';
    throw new BudgetError(`budget ${label} is below the smallest achievable ${costKind}, ${what}${hint}`);
  }
  // a limit accepted within round-off of the minimum must admit the cheapest strategy, which costs exactly `smallest`
  limit = Math.max(limit, smallest);
  return { kind, costKind, limit, full, fixed: input.fixedCost, candidates, minCost, label };
}

/**
 * AMC's wall for layer `i`: the setting to apply given the agent's wish, the cost already spent by layers before `i`
 * (in walk order) and the minimum cost of the layers still to come.
 * `distance(spec)` measures how far a candidate is from the agent's action.
 */
export function wall(plan: BudgetPlan, i: number, spent: number, minRest: number, wish: LayerSpec, distance: (s: LayerSpec) => number): LayerSpec {
  const allowed = plan.limit - plan.fixed - spent - minRest;
  const { specs, costs } = plan.candidates[i];
  const wishCost = costs[specs.findIndex((s) => sameSpec(s, wish))] ?? Infinity;
  if (wishCost <= allowed) return wish;
  let best = 0;
  let bestD = Infinity;
  for (let j = 0; j < specs.length && costs[j] <= allowed; j++) {
    const d = distance(specs[j]);
    if (d < bestD - 1e-12 || (Math.abs(d - bestD) <= 1e-12 && costs[j] >= costs[best])) {
      best = j;
      bestD = d;
    }
  }
  return specs[best];
}

/**
 * HAQ's after-episode pass: from the last layer to the first, one step cheaper each, until the budget holds.
 * One step is the most expensive candidate that costs strictly less: a candidate of equal cost (e.g. fewer bits under
 * a FLOPs budget) would lose accuracy and save nothing.
 */
export function enforceAfter(plan: BudgetPlan, strategy: LayerSpec[]): LayerSpec[] {
  const out = strategy.slice();
  const indexOf = (i: number) => {
    const j = plan.candidates[i].specs.findIndex((s) => sameSpec(s, out[i]));
    if (j < 0) throw new Error(`layer ${i}: setting ${out[i].bits}/${out[i].pruneRatio}/${out[i].clusters} is not one of its candidates`);
    return j;
  };
  // summed afresh after each change, in the order `CompressionEnv.cost` sums, so the two agree to the last bit
  const totalCost = () => plan.fixed + out.reduce((n, _, i) => n + plan.candidates[i].costs[indexOf(i)], 0);
  let total = totalCost();
  while (total > plan.limit) {
    let moved = false;
    for (let i = out.length - 1; i >= 0 && total > plan.limit; i--) {
      const { specs, costs } = plan.candidates[i];
      const j = indexOf(i);
      let k = j - 1;
      while (k >= 0 && costs[k] >= costs[j]) k--;
      if (k >= 0) {
        out[i] = specs[k];
        total = totalCost();
        moved = true;
      }
    }
    if (!moved) break;
  }
  return out;
}

export function sameSpec(a: LayerSpec, b: LayerSpec): boolean {
  return a.bits === b.bits && a.pruneRatio === b.pruneRatio && a.clusters === b.clusters && (a.preserveRatio ?? 1) === (b.preserveRatio ?? 1) && a.activationBits === b.activationBits;
}
