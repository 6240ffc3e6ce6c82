/**
 * The per-layer columns shared by `CurrentEpisode` and `BestStrategy`, so the two tables line up when they stand
 * side by side: layer name, bits, prune %, cluster count, and the channels kept when the run prunes channels (kept /
 * original, e.g. `12/16`, or the preserve ratio as a percentage when the counts are not known). With the abits knob the
 * bits cell reads weight / activation bits, e.g. `4/8`.
 */

import type { LayerChoice } from '../../run/events.js';
import { fit } from './format.js';

/** Width of the name column: the longest name, at least 5 ("layer"), at most 16. */
export function layerNameWidth(names: readonly string[]): number {
  return Math.min(16, Math.max(5, ...names.map((name) => name.length)));
}

function keepCell(choice: LayerChoice): string {
  if (choice.channels) return `${choice.channels[0]}/${choice.channels[1]}`;
  return choice.preserveRatio === undefined ? '-' : `${Math.round(choice.preserveRatio * 100)}%`;
}

/** The width of the `keep` column (at least 4), or 0 when no choice prunes channels and the tables need none. */
export function hasKeepColumn(choices: readonly (LayerChoice | null)[]): number {
  const cut = choices.filter((c): c is LayerChoice => c !== null && (c.preserveRatio !== undefined || c.channels !== undefined));
  return cut.length === 0 ? 0 : Math.max(4, ...cut.map((c) => keepCell(c).length));
}

/** `keep`: the keep column's width (true = 4), or false / 0 for none. */
export function layerTableHeader(nameWidth: number, keep: boolean | number): string {
  return `${fit('layer', nameWidth)}  bits  prune  clusters${keep ? `  ${'keep'.padStart(keep === true ? 4 : keep)}` : ''}`;
}

/** One row; a `null` choice (not made yet) shows `·` in every column. Clusters 0 (no clustering) shows `-`. */
export function layerTableRow(name: string, nameWidth: number, choice: LayerChoice | null, keep: boolean | number): string {
  const width = keep === true ? 4 : Number(keep);
  const cells = choice
    ? [
        (choice.activationBits === undefined ? String(choice.bits) : `${choice.bits}/${choice.activationBits}`).padStart(4),
        `${Math.round(choice.pruneRatio * 100)}%`.padStart(5),
        (choice.clusters > 0 ? String(choice.clusters) : '-').padStart(8),
        ...(keep ? [keepCell(choice).padStart(width)] : []),
      ]
    : ['·'.padStart(4), '·'.padStart(5), '·'.padStart(8), ...(keep ? ['·'.padStart(width)] : [])];
  return [fit(name, nameWidth), ...cells].join('  ');
}
