/**
 * The per-layer state vector (AMC's embedding with HAQ's and PocketFlow's additions, REFERENCE.md section 5):
 *   static:  layer index, dense / conv / depthwise flags, in channels, out channels, kernel size, stride,
 *            input feature-map size, parameters, MACs            (each column min-max normalised over the layers)
 *   dynamic: cost spent by earlier layers, budget remaining, minimum cost of the layers still to come
 *            (each as a fraction of the full model's cost, so they are in [0, 1] like the rest),
 *            the previous layer's applied action (k values in [0, 1]).
 * Every feature is normalised; none is mixed raw (AMC mixed raw and normalised features: a defect we avoid).
 */
import type { LayerInfo } from './layers.js';

export const STATIC_FEATURES = ['index', 'dense', 'conv', 'depthwise', 'inChannels', 'outChannels', 'kernel', 'stride', 'inputSize', 'params', 'macs'] as const;
export const DYNAMIC_FEATURES = ['spent', 'remaining', 'minRest'] as const;

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
  spent: number;
  remaining: number;
  minRest: number;
  /** Full model cost, the scale of the three above. */
  full: number;
  prevAction: number[];
}

export function buildState(staticRow: number[], d: DynamicState): number[] {
  const f = (v: number) => Math.min(1, Math.max(0, v / d.full));
  return [...staticRow, f(d.spent), f(d.remaining), f(d.minRest), ...d.prevAction];
}
