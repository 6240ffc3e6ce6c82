/**
 * The latency table's calibration: the table's entries are each unit's op timed alone, and alone an op pays what it
 * does not pay inside the model (its own call, tidy and read-back; a cold input) and misses what the model adds as
 * channels grow (the per-channel layers' and the next op's memory traffic). So the sum of the entries moves with a cut
 * by a different amount than the whole model does (measured on mobilenet-tiny: docs/latency.md). The calibration
 * times a few whole models, the uncompressed one and uniform cuts of it, in the same interleaved rounds, and fits
 *
 *     measured = fullMs + scale * (tableSum - tableSum at full channels)
 *
 * by least squares through the uncompressed model's point (so latency:0.5 stays half of its measured time, and the
 * table keeps predicting exactly that time for it). The entries are then stored multiplied by `scale`, so a model's
 * prediction stays "constant + sum of its units' entries" everywhere the table is read, and a file measured elsewhere
 * (scale 1, its own constant) keeps working unchanged.
 *
 * Not in NetAdapt (its table is summed as it is); a per-table scale is the least a fit on whole models can correct,
 * and it needs a model of each cut (the untrained architecture's surgery) and a fraction of a second of timing.
 */
import type * as tf from '../tfjs.js';
import { FULL_PRECISION, type LayerSpec } from '../learners/types.js';
import { type ChannelSpace, pruneForCounts } from './channel-space.js';
import type { LatencyTable } from './latency-table.js';
import { predictLatency } from './latency-table.js';
import { timeModels } from './latency-clock.js';

/** Rounds of the calibration's whole-model timing (each times every model once, in turn). */
export const CALIBRATION_ROUNDS = 31;

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

export interface Calibration {
  scale: number;
  /** The uncompressed model's measured time (its fastest block in the calibration's rounds), ms. */
  fullMs: number;
  points: CalibrationPoint[];
}

/**
 * Time `model` and its uniform cuts at `calibrationRatios(ratios)` side by side (fastest block of each, as the
 * entries), and fit the scale of the raw table `layers` (constant 0) to them.
 */
export async function calibrate(model: tf.LayersModel, space: ChannelSpace, ratios: number[], batch: number, layers: LatencyTable['layers']): Promise<Calibration> {
  const raw: LatencyTable = { model: '', backend: '', machine: '', batch, fullMs: 0, constantMs: 0, layers };
  const keep = (r: number): LayerSpec => ({ ...FULL_PRECISION, preserveRatio: r });
  const cuts: Array<{ model: tf.LayersModel; tableMs: number }> = [];
  try {
    for (const r of calibrationRatios(ratios)) {
      const counts = space.counts(space.layers.map(() => keep(r)));
      if (!space.prunes(counts)) continue;
      const built = await pruneForCounts(model, space, counts, 'l1');
      cuts.push({ model: built.model, tableMs: predictLatency(raw, built.layers) });
    }
    const timed = await timeModels([model, ...cuts.map((c) => c.model)], batch, CALIBRATION_ROUNDS);
    const full = { tableMs: predictLatency(raw, space.layers), measuredMs: timed[0].minMs };
    const points = cuts.map((c, k) => ({ tableMs: c.tableMs, measuredMs: timed[k + 1].minMs }));
    return { scale: fitScale(full, points), fullMs: full.measuredMs, points: [full, ...points] };
  } finally {
    cuts.forEach((c) => c.model.dispose());
  }
}
