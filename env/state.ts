/**
 * The per-layer state vector (AMC's embedding with HAQ's and PocketFlow's additions; docs/search.md):
 *   static:  layer index, dense / conv / depthwise flags, in channels, out channels, kernel size, stride,
 *            input feature-map size, parameters, MACs            (each column min-max normalised over the layers)
 *            One row per searched unit (env/layers.ts: one per kernel). The three flags are the unit's arithmetic, so
 *            the other supported layer types reuse them and the state keeps its size (agent checkpoints stay valid): Embedding,
 *            recurrent and dense kernels are 'dense', Conv1D, Conv2DTranspose and pointwise kernels 'conv',
 *            SeparableConv2D's depthwise kernel 'depthwise'; time steps and sequence lengths fill the map-size columns.
 *   dynamic: cost spent by earlier layers, budget remaining, minimum cost of the layers still to come (each as a
 *            fraction of the searched layers' share of the budget, `limit - fixed`, so they span [0, 1] whatever
 *            the budget: divided by the fp32 cost they spanned only [0, 0.1] under size:3bits), this layer's
 *            headroom (what the wall lets it spend, as a fraction of its most expensive setting), the position in
 *            the walk, a flag for "no previous layer", and the previous layer's applied action (k values in
 *            [0, 1]; zeros with the flag set on the first layer, so they never read as a real "lowest setting").
 * Every feature is normalised; none is mixed raw (AMC mixed raw and normalised features: a defect we avoid).
 */
import type { LayerInfo } from './layers.js';

export const STATIC_FEATURES = ['index', 'dense', 'conv', 'depthwise', 'inChannels', 'outChannels', 'kernel', 'stride', 'inputSize', 'params', 'macs'] as const;
export const DYNAMIC_FEATURES = ['spent', 'remaining', 'minRest', 'headroom', 'position', 'first'] as const;

export function stateSize(actionSize: number): number {
  return STATIC_FEATURES.length + DYNAMIC_FEATURES.length + actionSize;
}

/** Static features of each layer, min-max normalised per column (a constant column becomes 0). */
export function staticFeatures(layers: LayerInfo[]): number[][] {
  const raw = layers.map((l) => [
    l.index,
    l.kind === 'dense' ? 1 : 0,
    l.kind === 'conv' ? 1 : 0,
    l.kind === 'depthwise' ? 1 : 0,
    l.inChannels,
    l.outChannels,
    l.kernelSize,
    l.stride,
    l.inputSize,
    l.params,
    l.macs,
  ]);
  return minMaxColumns(raw);
}

export function minMaxColumns(rows: number[][]): number[][] {
  if (rows.length === 0) return [];
  const cols = rows[0].length;
  const lo = new Array<number>(cols).fill(Infinity);
  const hi = new Array<number>(cols).fill(-Infinity);
  for (const r of rows) r.forEach((v, c) => ((lo[c] = Math.min(lo[c], v)), (hi[c] = Math.max(hi[c], v))));
  return rows.map((r) => r.map((v, c) => (hi[c] > lo[c] ? (v - lo[c]) / (hi[c] - lo[c]) : 0)));
}

export interface DynamicState {
  /** Cost taken by the searched layers already decided. */
  spent: number;
  /** Budget left for the searched layers still to decide, this one included. */
  remaining: number;
  /** Cheapest cost of the searched layers after this one. */
  minRest: number;
  /** The searched layers' share of the budget (limit - fixed cost): the scale of the three above. */
  budget: number;
  /** This layer's most expensive setting: the scale of its headroom. */
  layerMax: number;
  /** Steps already taken in this episode's walk, and the walk's length. */
  position: number;
  length: number;
  /** The previous layer's applied action; ignored (zeros) on the first step. */
  prevAction: number[];
}

export function buildState(staticRow: number[], d: DynamicState): number[] {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const scale = (v: number, by: number) => (by > 0 ? clamp(v / by) : 0);
  const first = d.position === 0;
  return [
    ...staticRow,
    scale(d.spent, d.budget),
    scale(d.remaining, d.budget),
    scale(d.minRest, d.budget),
    scale(d.remaining - d.minRest, d.layerMax),
    d.length > 1 ? d.position / (d.length - 1) : 0,
    first ? 1 : 0,
    ...(first ? d.prevAction.map(() => 0) : d.prevAction),
  ];
}
