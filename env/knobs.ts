/**
 * From the agent's raw action in [0,1]^k to a layer's setting, and back.
 *
 * - bits: HAQ's rule `round(a * (bmax - bmin + 1) + bmin - 0.5)`, so each bit width owns an equal slice of [0, 1];
 * - prune ratio: linear in [lo, hi], on a grid of `pruneStep` (identical strategies then repeat and are cached);
 * - clusters: on a log scale in [cmin, cmax] (the difference between 4 and 8 clusters matters as much as between
 *   32 and 64), rounded to an integer;
 * - channels: AMC's preserve ratio (the fraction of a layer's output channels kept), linear in [lo, hi] on a grid of
 *   `channelStep`; 1 = all channels. Only layers that open a prunable channel group take it (env/channel-space.ts);
 *   the env fixes it at 1 elsewhere;
 * - abits: the bits of the layer's INPUT activations (env/activation-quant.ts), HAQ's rule as for bits. Last in
 *   KNOBS so the action order of runs stored before it existed is unchanged; absent (not searched) = fp32
 *   activations, costed at 8 bits by the bitops budget.
 * The prune and cluster knobs read the action at a resolution of 1/ACTION_RESOLUTION, so the settings an action can
 * produce are a finite set, and `candidateSpecs` (the grid the budget wall costs) is exactly that set. Reading the
 * action at full resolution let fine prune steps or wide cluster bounds produce settings missing from the grid: the
 * wall then could not cost the agent's wish and replaced it even when it fitted.
 * `specToAction` returns the centre of the slice a setting owns: the action the agent is told was applied.
 */
import type { LayerSpec } from '../learners/types.js';
import { ConfigError } from '../errors.js';

export type Knob = 'bits' | 'prune' | 'clusters' | 'channels' | 'abits';
export const KNOBS: readonly Knob[] = ['bits', 'prune', 'clusters', 'channels', 'abits'];

export interface KnobBounds {
  bits: [number, number];
  prune: [number, number];
  clusters: [number, number];
  /** Grid step of the prune ratio. */
  pruneStep: number;
  /** Preserve-ratio range of the channels knob (AMC: [0.2, 1]) and its grid step. */
  channels: [number, number];
  channelStep: number;
  /** Activation-bit range of the abits knob (absent in configs stored before it: DEFAULT_BOUNDS.abits). */
  abits?: [number, number];
}

export const DEFAULT_BOUNDS: KnobBounds = { bits: [2, 8], prune: [0, 0.9], clusters: [4, 64], pruneStep: 0.05, channels: [0.2, 1], channelStep: 0.05, abits: [2, 8] };

/** The activation-bit range of a space (2..8: fake quantization below 2 bits has no zero-holding grid). */
export const abitBounds = (bounds: KnobBounds): [number, number] => bounds.abits ?? [2, 8];

export interface SearchSpace {
  /** Which knobs the agent sets, in action order. */
  knobs: Knob[];
  bounds: KnobBounds;
  /** Everything the agent does not choose (bucket, cluster init, quant kind, and unsearched knobs' values). */
  base: LayerSpec;
}

export function validateSpace(space: SearchSpace): void {
  const { bits, prune, clusters, pruneStep, channels, channelStep } = space.bounds;
  const abits = abitBounds(space.bounds);
  if (space.knobs.length === 0) throw new ConfigError('search at least one knob: --knobs bits, prune, clusters, channels or abits');
  for (const k of space.knobs) if (!KNOBS.includes(k)) throw new ConfigError(`unknown knob '${k}'; use bits, prune, clusters, channels or abits`);
  if (!(abits[0] >= 2 && abits[1] <= 8 && abits[0] <= abits[1])) throw new ConfigError(`activation bit bounds ${abits.join('..')} must satisfy 2 <= min <= max <= 8`);
  if (!(channels[0] > 0 && channels[1] <= 1 && channels[0] <= channels[1])) throw new ConfigError(`channel bounds ${channels.join('..')} must satisfy 0 < min <= max <= 1 (a preserve ratio)`);
  if (!(channelStep > 0 && channelStep <= 0.5)) throw new ConfigError(`channel step ${channelStep} must be in (0, 0.5]`);
  if (!(bits[0] >= 1 && bits[1] <= 8 && bits[0] <= bits[1])) throw new ConfigError(`bit bounds ${bits.join('..')} must satisfy 1 <= min <= max <= 8`);
  if (!(prune[0] >= 0 && prune[1] < 1 && prune[0] <= prune[1])) throw new ConfigError(`prune bounds ${prune.join('..')} must satisfy 0 <= min <= max < 1`);
  if (!(clusters[0] >= 2 && clusters[0] <= clusters[1] && clusters[1] <= 65536)) throw new ConfigError(`cluster bounds ${clusters.join('..')} must satisfy 2 <= min <= max`);
  if (!(pruneStep > 0 && pruneStep <= 0.5)) throw new ConfigError(`prune step ${pruneStep} must be in (0, 0.5]`);
}

const clamp01 = (a: number) => Math.min(1, Math.max(0, Number.isFinite(a) ? a : 0));

/** The prune and cluster knobs read an action in steps of 1 / ACTION_RESOLUTION. */
export const ACTION_RESOLUTION = 1000;
const snapAction = (a: number) => Math.round(clamp01(a) * ACTION_RESOLUTION) / ACTION_RESOLUTION;

/**
 * The centre of the slice of [0, 1] whose actions `f` maps to `value` (`f` non-decreasing over the action grid), or
 * null when no action produces it.
 */
function sliceCentre(value: number, f: (a: number) => number): number | null {
  const at = (i: number) => f(i / ACTION_RESOLUTION);
  let lo = 0;
  let hi = ACTION_RESOLUTION + 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at(mid) < value) lo = mid + 1;
    else hi = mid;
  }
  const first = lo;
  if (first > ACTION_RESOLUTION || at(first) !== value) return null;
  lo = first;
  hi = ACTION_RESOLUTION + 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at(mid) <= value) lo = mid + 1;
    else hi = mid;
  }
  return (first + lo - 1) / 2 / ACTION_RESOLUTION;
}

export function bitsFromAction(a: number, [lo, hi]: [number, number]): number {
  return Math.min(hi, Math.max(lo, Math.round(clamp01(a) * (hi - lo + 1) + lo - 0.5)));
}

export function pruneFromAction(a: number, [lo, hi]: [number, number], step: number): number {
  const raw = lo + snapAction(a) * (hi - lo);
  const snapped = Math.round(raw / step) * step;
  return Number(Math.min(hi, Math.max(lo, snapped)).toFixed(6));
}

/** Preserve ratio: linear in [lo, hi] on a grid of `step` (the grid starts at lo, so lo itself is reachable). */
export function preserveFromAction(a: number, [lo, hi]: [number, number], step: number): number {
  const raw = lo + snapAction(a) * (hi - lo);
  const snapped = lo + Math.round((raw - lo) / step) * step;
  return Number(Math.min(hi, Math.max(lo, snapped)).toFixed(6));
}

/** The preserve ratio a spec keeps (absent = 1, every channel). */
export function preserveOf(spec: LayerSpec): number {
  return spec.preserveRatio ?? 1;
}

export function clustersFromAction(a: number, [lo, hi]: [number, number]): number {
  return Math.min(hi, Math.max(lo, Math.round(Math.exp(Math.log(lo) + snapAction(a) * (Math.log(hi) - Math.log(lo))))));
}

export function actionToSpec(action: number[], space: SearchSpace): LayerSpec {
  const spec: LayerSpec = { ...space.base };
  space.knobs.forEach((knob, i) => {
    const a = action[i];
    if (knob === 'bits') spec.bits = bitsFromAction(a, space.bounds.bits);
    else if (knob === 'abits') spec.activationBits = bitsFromAction(a, abitBounds(space.bounds));
    else if (knob === 'prune') spec.pruneRatio = pruneFromAction(a, space.bounds.prune, space.bounds.pruneStep);
    else if (knob === 'channels') {
      // 1 (every channel) is left absent, as in candidateSpecs, so a strategy without channel cuts looks as before
      const r = preserveFromAction(a, space.bounds.channels, space.bounds.channelStep);
      if (r < 1) spec.preserveRatio = r;
      else delete spec.preserveRatio;
    }
    else spec.clusters = clustersFromAction(a, space.bounds.clusters);
  });
  return spec;
}

export function specToAction(spec: LayerSpec, space: SearchSpace): number[] {
  const { bits, prune, clusters, channels } = space.bounds;
  return space.knobs.map((knob) => {
    if (knob === 'bits') return clamp01((spec.bits - bits[0] + 0.5) / (bits[1] - bits[0] + 1));
    if (knob === 'abits') {
      const [lo, hi] = abitBounds(space.bounds);
      return clamp01(((spec.activationBits ?? hi) - lo + 0.5) / (hi - lo + 1));
    }
    if (knob === 'channels') {
      const p = preserveOf(spec);
      const centre = sliceCentre(p, (a) => preserveFromAction(a, channels, space.bounds.channelStep));
      return centre ?? (channels[1] === channels[0] ? 0.5 : clamp01((p - channels[0]) / (channels[1] - channels[0])));
    }
    // a setting no action produces (a pin outside the bounds): its position on the knob's scale, clamped
    if (knob === 'prune') {
      const centre = sliceCentre(spec.pruneRatio, (a) => pruneFromAction(a, prune, space.bounds.pruneStep));
      return centre ?? (prune[1] === prune[0] ? 0.5 : clamp01((spec.pruneRatio - prune[0]) / (prune[1] - prune[0])));
    }
    const clusterCentre = sliceCentre(spec.clusters, (a) => clustersFromAction(a, clusters));
    return clusterCentre ?? (clusters[1] === clusters[0] ? 0.5 : clamp01((Math.log(spec.clusters) - Math.log(clusters[0])) / (Math.log(clusters[1]) - Math.log(clusters[0]))));
  });
}

/** Every setting the space can produce (the grid the budget wall chooses from), cheapest knobs last. */
export function candidateSpecs(space: SearchSpace): LayerSpec[] {
  // an abits value of 0 stands for "not set" (fp32 activations) in the loops below
  const values: Record<Knob, number[]> = { bits: [space.base.bits], prune: [space.base.pruneRatio], clusters: [space.base.clusters], channels: [preserveOf(space.base)], abits: [space.base.activationBits ?? 0] };
  const { bits, prune, clusters, pruneStep, channels, channelStep } = space.bounds;
  if (space.knobs.includes('bits')) values.bits = range(bits[0], bits[1], 1);
  if (space.knobs.includes('abits')) values.abits = range(...abitBounds(space.bounds), 1);
  if (space.knobs.includes('prune')) {
    const set = new Set<number>();
    for (let i = 0; i <= ACTION_RESOLUTION; i++) set.add(pruneFromAction(i / ACTION_RESOLUTION, prune, pruneStep));
    values.prune = [...set].sort((a, b) => a - b);
  }
  if (space.knobs.includes('clusters')) {
    const set = new Set<number>();
    for (let i = 0; i <= ACTION_RESOLUTION; i++) set.add(clustersFromAction(i / ACTION_RESOLUTION, clusters));
    values.clusters = [...set].sort((a, b) => a - b);
  }
  if (space.knobs.includes('channels')) {
    const set = new Set<number>();
    for (let i = 0; i <= ACTION_RESOLUTION; i++) set.add(preserveFromAction(i / ACTION_RESOLUTION, channels, channelStep));
    values.channels = [...set].sort((a, b) => a - b);
  }
  const out: LayerSpec[] = [];
  for (const r of values.channels) {
    for (const b of values.bits) {
      for (const p of values.prune) {
        for (const c of values.clusters) {
          const spec: LayerSpec = r === 1 ? { ...space.base, bits: b, pruneRatio: p, clusters: c } : { ...space.base, bits: b, pruneRatio: p, clusters: c, preserveRatio: r };
          for (const ab of values.abits) out.push(ab === 0 ? spec : { ...spec, activationBits: ab });
        }
      }
    }
  }
  return out;
}

function range(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let v = lo; v <= hi; v += step) out.push(v);
  return out;
}

/** The short per-layer view of a spec used in events, the store and strategy files. */
export interface SpecView {
  name: string;
  bits: number;
  pruneRatio: number;
  clusters: number;
  /** Channel pruning only (absent = every channel kept): the preserve ratio and the output channels kept / before. */
  preserveRatio?: number;
  channels?: [number, number];
  /** The abits knob only (absent = fp32 activations): bits of the layer's input activations. */
  activationBits?: number;
}

/** `channels`: [kept, original] output channels of the layer, when channel pruning changes them. */
export function describeSpec(name: string, spec: LayerSpec, channels?: [number, number]): SpecView {
  const view: SpecView = { name, bits: spec.bits, pruneRatio: spec.pruneRatio, clusters: spec.clusters };
  if (preserveOf(spec) < 1) view.preserveRatio = preserveOf(spec);
  if (channels && channels[0] < channels[1]) view.channels = channels;
  if (spec.activationBits !== undefined) view.activationBits = spec.activationBits;
  return view;
}

/** The spec without its preserve ratio: what the learners see once the channels are gone. */
export function withoutPreserve(spec: LayerSpec): LayerSpec {
  if (spec.preserveRatio === undefined) return spec;
  const { preserveRatio: _drop, ...rest } = spec;
  return rest;
}

/** What the learners see: the spec without its preserve ratio (done by surgery) and activation bits (done by
 * env/activation-quant.ts). */
export function learnerSpec(spec: LayerSpec): LayerSpec {
  if (spec.activationBits === undefined) return withoutPreserve(spec);
  const { activationBits: _drop, ...rest } = withoutPreserve(spec);
  return rest;
}
