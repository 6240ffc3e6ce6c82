/**
 * From the agent's raw action in [0,1]^k to a layer's setting, and back.
 *
 * - bits: HAQ's rule `round(a * (bmax - bmin + 1) + bmin - 0.5)`, so each bit width owns an equal slice of [0, 1];
 * - prune ratio: linear in [lo, hi], on a grid of `pruneStep` (identical strategies then repeat and are cached);
 * - clusters: on a log scale in [cmin, cmax] (the difference between 4 and 8 clusters matters as much as between
 *   32 and 64), rounded to an integer.
 * The prune and cluster knobs read the action at a resolution of 1/ACTION_RESOLUTION, so the settings an action can
 * produce are a finite set, and `candidateSpecs` (the grid the budget wall costs) is exactly that set. Reading the
 * action at full resolution let fine prune steps or wide cluster bounds produce settings missing from the grid: the
 * wall then could not cost the agent's wish and replaced it even when it fitted.
 * `specToAction` returns the centre of the slice a setting owns: the action the agent is told was applied.
 */
import type { LayerSpec } from '../learners/types.js';
import { ConfigError } from '../errors.js';

export type Knob = 'bits' | 'prune' | 'clusters';
export const KNOBS: readonly Knob[] = ['bits', 'prune', 'clusters'];

export interface KnobBounds {
  bits: [number, number];
  prune: [number, number];
  clusters: [number, number];
  /** Grid step of the prune ratio. */
  pruneStep: number;
}

export const DEFAULT_BOUNDS: KnobBounds = { bits: [2, 8], prune: [0, 0.9], clusters: [4, 64], pruneStep: 0.05 };

export interface SearchSpace {
  /** Which knobs the agent sets, in action order. */
  knobs: Knob[];
  bounds: KnobBounds;
  /** Everything the agent does not choose (bucket, cluster init, quant kind, and unsearched knobs' values). */
  base: LayerSpec;
}

export function validateSpace(space: SearchSpace): void {
  const { bits, prune, clusters, pruneStep } = space.bounds;
  if (space.knobs.length === 0) throw new ConfigError('search at least one knob: --knobs bits, prune or clusters');
  for (const k of space.knobs) if (!KNOBS.includes(k)) throw new ConfigError(`unknown knob '${k}'; use bits, prune or clusters`);
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

export function clustersFromAction(a: number, [lo, hi]: [number, number]): number {
  return Math.min(hi, Math.max(lo, Math.round(Math.exp(Math.log(lo) + snapAction(a) * (Math.log(hi) - Math.log(lo))))));
}

export function actionToSpec(action: number[], space: SearchSpace): LayerSpec {
  const spec: LayerSpec = { ...space.base };
  space.knobs.forEach((knob, i) => {
    const a = action[i];
    if (knob === 'bits') spec.bits = bitsFromAction(a, space.bounds.bits);
    else if (knob === 'prune') spec.pruneRatio = pruneFromAction(a, space.bounds.prune, space.bounds.pruneStep);
    else spec.clusters = clustersFromAction(a, space.bounds.clusters);
  });
  return spec;
}

export function specToAction(spec: LayerSpec, space: SearchSpace): number[] {
  const { bits, prune, clusters } = space.bounds;
  return space.knobs.map((knob) => {
    if (knob === 'bits') return clamp01((spec.bits - bits[0] + 0.5) / (bits[1] - bits[0] + 1));
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
  const values: Record<Knob, number[]> = { bits: [space.base.bits], prune: [space.base.pruneRatio], clusters: [space.base.clusters] };
  const { bits, prune, clusters, pruneStep } = space.bounds;
  if (space.knobs.includes('bits')) values.bits = range(bits[0], bits[1], 1);
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
  const out: LayerSpec[] = [];
  for (const b of values.bits) for (const p of values.prune) for (const c of values.clusters) out.push({ ...space.base, bits: b, pruneRatio: p, clusters: c });
  return out;
}

function range(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let v = lo; v <= hi; v += step) out.push(v);
  return out;
}

/** The short per-layer view of a spec used in events, the store and strategy files. */
export function describeSpec(name: string, spec: LayerSpec): { name: string; bits: number; pruneRatio: number; clusters: number } {
  return { name, bits: spec.bits, pruneRatio: spec.pruneRatio, clusters: spec.clusters };
}
