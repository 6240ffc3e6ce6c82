/**
 * Costs of a channel plan. FLOPs are multiply-accumulates of the kernels (Conv2D kh*kw*cin*cout*Hout*Wout,
 * DepthwiseConv2D kh*kw*c*m*Hout*Wout, Dense in*out, every type as `env/layers.ts` counts it); biases and batch-norm
 * are not counted. Both the FLOPs and the parameters of a pruned model follow from the kept count of each group alone,
 * so a plan can be costed before any surgery, and the tests check the built model against that formula (`countFlops`).
 */
import type * as tf from '../../tfjs.js';
import { compressibleLayers } from '../layers.js';
import type { AxisLayout, ChannelAnalysis, ComputeKind } from './types.js';

export function product(dims: ReadonlyArray<number | null>): number {
  return dims.reduce<number>((a, b) => a * (b ?? 1), 1);
}

/** The length of an axis once group g keeps counts[g] channels. */
export function keptSize(axis: AxisLayout | null, dim: number, counts: number[]): number {
  if (axis === null) return dim;
  return axis.uses.reduce((n, [g, per]) => n + per * counts[g], axis.fixed);
}

/** Multiply-accumulates per image of every compressible kernel when group g keeps counts[g]. */
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

/** Multiply-accumulates per image counted on a built model, from its kernels and shapes (env/layers.ts). */
export function countFlops(model: tf.LayersModel): { layers: Array<{ name: string; kind: ComputeKind; macs: number }>; total: number } {
  const layers = compressibleLayers(model).map((l) => ({ name: l.name, kind: l.kind, macs: l.macs }));
  return { layers, total: layers.reduce((a, l) => a + l.macs, 0) };
}
