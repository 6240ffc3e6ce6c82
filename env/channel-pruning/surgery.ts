/**
 * Channel-pruning surgery: a NEW, smaller LayersModel built from the original's topology with fewer filters / units,
 * each weight gathered along its pruned axes. The original model is never modified.
 */
import * as tf from '../../tfjs.js';
import { ConfigError } from '../../errors.js';
import type { AxisLayout, ChannelAnalysis } from './types.js';

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
