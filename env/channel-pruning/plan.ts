/**
 * Channel planning: how many channels each group keeps, from a uniform preserve ratio, a per-layer list or a FLOPs
 * budget (PocketFlow's uniform / list / skip options, AMC's FLOPs budget).
 *
 * Deliberate difference: AMC rounds channel counts UP to multiples of 8 and can overshoot the FLOPs budget.
 * `planChannels` rounds DOWN (to `multipleOf`, default 1), then spends what is left of the budget one channel step at
 * a time on the group with the lowest kept fraction, so the budget always holds and is nearly met.
 */
import { BudgetError, ConfigError } from '../../errors.js';
import { prunedFlops } from './cost.js';
import type { ChannelAnalysis } from './types.js';

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
  if (opts.skipFirst && compute.length > 0) names.add(compute[0].layer);
  if (opts.skipLast && compute.length > 0) names.add(compute[compute.length - 1].layer);
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
