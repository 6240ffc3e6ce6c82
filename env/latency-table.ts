/**
 * The latency lookup table (NetAdapt, Yang et al. 2018, section 3.3): the time of each searched unit at each (input
 * channels, output channels) pair a strategy can give it, measured once on the backend the model will run on; a
 * model's predicted latency is the sum of its units' entries plus a constant measured on the whole model (what the
 * table does not cover: batch norm, activations, pooling, the call's own overhead).
 *
 * Why channels only: tfjs runs every weight in fp32 (a packed file is decoded to fp32 on load), so bits, pruning and
 * clusters leave the time unchanged; only the kept channels change the shapes the kernels run on.
 *
 * Where we differ from NetAdapt: its table is keyed by the layer's whole shape and filled on the phone; ours is keyed
 * by the unit's name and its (in, out) channels (the rest of its shape is the original's), filled on the run's own
 * backend, or read from a file measured elsewhere (docs/latency.md gives the format). The constant is fitted so that
 * the prediction of the uncompressed model equals its measured time; NetAdapt has none.
 *
 * Pure: the pairs to time and the timing itself are env/latency-timing.ts, the cache and the file run/latency.ts.
 */
import { ConfigError } from '../errors.js';
import type { LayerInfo } from './layers.js';

export interface LatencyTable {
  /** What the times belong to: the model's key, the tfjs backend, the machine. */
  model: string;
  backend: string;
  machine: string;
  /** Images per timed predict call (--latency-batch). */
  batch: number;
  /** Time of one predict call of the whole uncompressed model (its fastest block of calls), in milliseconds. */
  fullMs: number;
  /** fullMs minus the table's sum at full channels: the time outside the timed units (may be negative). */
  constantMs: number;
  /** The calibration's factor already applied to `layers` (env/latency-calibration.ts); absent (1) in a table measured
   * elsewhere and summed as it is. Entries timed later for a cached table are multiplied by it. */
  scale?: number;
  /** Per unit name: `${in}x${out}` -> milliseconds of the unit's op at that many channels (fastest block). A unit absent here
   * is not timed alone (its kind has no timed op): its time is inside the constant and never changes. */
  layers: Record<string, Record<string, number>>;
  /** Where the table came from, for messages: a file path, or the workdir cache. */
  source?: string;
}

/** The key of one entry. */
export function pairKey(inChannels: number, outChannels: number): string {
  return `${inChannels}x${outChannels}`;
}

/** The table's time of `layer` (as built, with its channels cut), in ms: 0 for a unit the table does not time. */
export function unitMs(table: LatencyTable, layer: LayerInfo): number {
  const entries = table.layers[layer.name];
  if (!entries) return 0;
  const ms = entries[pairKey(layer.inChannels, layer.outChannels)];
  if (ms === undefined) {
    throw new ConfigError(
      `latency table ${table.source ?? ''} has no time for layer ${layer.name} at ${layer.inChannels} input x ${layer.outChannels} output channels; ` +
        'measure the table with this run\'s --knobs and --channels bounds (leave out --latency-table to measure it here)',
    );
  }
  return ms;
}

/** Predicted latency of a model whose compressible units are `units` (as built): the constant plus the table's sum. */
export function predictLatency(table: LatencyTable, units: LayerInfo[]): number {
  return units.reduce((s, l) => s + unitMs(table, l), table.constantMs);
}
