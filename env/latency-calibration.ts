/**
 * The latency table's calibration: the table's entries are each unit's op timed alone, and alone an op pays what it
 * does not pay inside the model (its own call, tidy and read-back; a cold input) and misses what the model adds as
 * channels grow (the per-channel layers' and the next op's memory traffic). So the sum of the entries moves with a cut
 * by a different amount than the whole model does (measured on mobilenet-tiny: docs/latency.md). The calibration
 * times a few whole models, the uncompressed one and uniform cuts of it, in the table's own interleaved rounds (the
 * uncompressed one's fastest block, as the entries; each cut as that times its median share of it, block by block in
 * the same ticks), and fits
 *
 *     measured = fullMs + scale * (tableSum - tableSum at full channels)
 *
 * by least squares through the uncompressed model's point (so latency:0.5 stays half of its measured time, and the
 * table keeps predicting exactly that time for it). The entries are then stored multiplied by `scale`, so a model's
 * prediction stays "constant + sum of its units' entries" everywhere the table is read, and a file measured elsewhere
 * (scale 1, its own constant) keeps working unchanged.
 *
 * Not in NetAdapt (its table is summed as it is); a per-table scale is the least a fit on whole models can correct,
 * and it needs a model of each cut (the untrained architecture's surgery) and about a second of timing.
 */
import type * as tf from '../tfjs.js';
import { FULL_PRECISION, type LayerSpec } from '../learners/types.js';
import { type ChannelSpace, pruneForCounts } from './channel-space.js';
import type { LayerInfo } from './layers.js';
import { type LatencyTable, predictLatency } from './latency-table.js';

/** One timed model: the table's raw sum for it and its measured time, in ms. */
export interface CalibrationPoint {
  tableMs: number;
  measuredMs: number;
}

/**
 * The least-squares slope through `full` of the `cuts`' points: sum(dm * ds) / sum(ds^2), with ds and dm each point's
 * table sum and measured time minus the full model's. 1 (the table as it is) when no cut moves the table's sum, or
 * when the fit is not positive (a table that says a cut is slower cannot be scaled into sense).
 */
export function fitScale(full: CalibrationPoint, cuts: CalibrationPoint[]): number {
  let num = 0;
  let den = 0;
  for (const p of cuts) {
    const ds = p.tableMs - full.tableMs;
    num += (p.measuredMs - full.measuredMs) * ds;
    den += ds * ds;
  }
  const scale = den > 0 ? num / den : 1;
  return scale > 0 ? scale : 1;
}

/** The uniform preserve ratios the calibration cuts the model at: up to three of `ratios` below 1, spread from the smallest. */
export function calibrationRatios(ratios: number[]): number[] {
  const below = [...new Set(ratios.filter((r) => r < 1))].sort((a, b) => a - b);
  return [...new Set([0, 1, 2].map((k) => below[Math.floor((k * below.length) / 3)]).filter((r) => r !== undefined))];
}

/** The calibration's models: `model` cut uniformly at each of `calibrationRatios(ratios)` (the untrained architecture's
 * L1 surgery: times do not depend on the weights), with their compressible layers. The caller disposes the models. */
export async function calibrationCuts(model: tf.LayersModel, space: ChannelSpace, ratios: number[]): Promise<Array<{ model: tf.LayersModel; layers: LayerInfo[] }>> {
  const keep = (r: number): LayerSpec => ({ ...FULL_PRECISION, preserveRatio: r });
  const cuts: Array<{ model: tf.LayersModel; layers: LayerInfo[] }> = [];
  try {
    for (const r of calibrationRatios(ratios)) {
      const counts = space.counts(space.layers.map(() => keep(r)));
      if (space.prunes(counts)) cuts.push(await pruneForCounts(model, space, counts, 'l1'));
    }
  } catch (e) {
    cuts.forEach((c) => c.model.dispose());
    throw e;
  }
  return cuts;
}

/** The raw table's sum (constant 0, scale 1) for a model of compressible layers `layers`, ms. */
export function rawSum(entries: LatencyTable['layers'], layers: LayerInfo[]): number {
  return predictLatency({ model: '', backend: '', machine: '', batch: 1, fullMs: 0, constantMs: 0, layers: entries }, layers);
}
