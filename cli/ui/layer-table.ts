/**
 * The per-layer columns shared by `CurrentEpisode` and `BestStrategy`, so the two tables line up when they stand
 * side by side: layer name, bits, prune %, cluster count, and the channel keep % when the run searches it.
 */

import type { LayerChoice } from '../../run/events.js';
import { fit } from './format.js';

/** Width of the name column: the longest name, at least 5 ("layer"), at most 16. */
export function layerNameWidth(names: readonly string[]): number {
  return Math.min(16, Math.max(5, ...names.map((name) => name.length)));
}

/** True when any choice carries a channel preserve ratio, so the tables need a `keep` column. */
export function hasKeepColumn(choices: readonly (LayerChoice | null)[]): boolean {
  return choices.some((choice) => choice?.preserveRatio !== undefined);
}

export function layerTableHeader(nameWidth: number, keep: boolean): string {
  return `${fit('layer', nameWidth)}  bits  prune  clusters${keep ? '  keep' : ''}`;
}

/** One row; a `null` choice (not made yet) shows `·` in every column. Clusters 0 (no clustering) shows `-`. */
export function layerTableRow(name: string, nameWidth: number, choice: LayerChoice | null, keep: boolean): string {
  const cells = choice
    ? [
        String(choice.bits).padStart(4),
        `${Math.round(choice.pruneRatio * 100)}%`.padStart(5),
        (choice.clusters > 0 ? String(choice.clusters) : '-').padStart(8),
        ...(keep ? [(choice.preserveRatio === undefined ? '-' : `${Math.round(choice.preserveRatio * 100)}%`).padStart(4)] : []),
      ]
    : ['·'.padStart(4), '·'.padStart(5), '·'.padStart(8), ...(keep ? ['·'.padStart(4)] : [])];
  return [fit(name, nameWidth), ...cells].join('  ');
}
