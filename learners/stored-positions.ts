/**
 * Which weights a compressed kernel stores, in stream order, given its storage layout and pruning mask: every weight
 * when the layout stores no positions; the kept weights in flat order (magnitude, 2:4); or, for block pruning, every
 * weight of each kept block, blocks in row-major order and weights row-major inside a block, with -1 for the padding
 * of edge blocks. Shared by the pipeline (to check a mask against its spec) and the codec.
 */
import { ConfigError } from '../errors.js';
import type { StorageLayout } from './size.js';

export interface StoredPositions {
  /** Flat position of each stored entry, -1 for block padding; length `layout.entries`. */
  stored: Int32Array;
  /** The kept units (weights, or blocks) as 0/1 over the position universe; null when positions are not stored. */
  kept: Uint8Array | null;
}

/** The stored entries of a kernel. Throws ConfigError when `mask` does not keep what the layout stores. */
export function storedPositions(layout: StorageLayout, mask: Uint8Array | null): StoredPositions {
  const n = layout.weights;
  if (!layout.positions) {
    return { stored: Int32Array.from({ length: n }, (_, i) => i), kept: null };
  }
  if (!mask || mask.length !== n) {
    throw new ConfigError(`this spec stores a pruning mask of ${n} entries, got ${mask ? mask.length : 'none'}`);
  }
  const stored = new Int32Array(layout.entries);
  const b = layout.blocks;
  if (!b) {
    const count = mask.reduce((a, m) => a + (m ? 1 : 0), 0);
    if (count !== layout.entries) throw new ConfigError(`the mask keeps ${count} weights where the spec keeps exactly ${layout.entries}`);
    let e = 0;
    for (let i = 0; i < n; i++) if (mask[i]) stored[e++] = i;
    return { stored, kept: mask };
  }
  const kept = new Uint8Array(b.count);
  for (let r = 0; r < b.rows; r++) {
    for (let c = 0; c < b.cols; c++) {
      if (mask[r * b.cols + c]) kept[Math.floor(r / b.blockRows) * b.across + Math.floor(c / b.blockCols)] = 1;
    }
  }
  for (let r = 0; r < b.rows; r++) {
    for (let c = 0; c < b.cols; c++) {
      if (mask[r * b.cols + c] !== kept[Math.floor(r / b.blockRows) * b.across + Math.floor(c / b.blockCols)]) {
        throw new ConfigError(`the mask is not block-structured: block of weight (${r}, ${c}) is partly kept`);
      }
    }
  }
  const keptBlocks = kept.reduce((a, v) => a + v, 0);
  if (keptBlocks !== layout.positions.count) {
    throw new ConfigError(`the mask keeps ${keptBlocks} blocks where the spec keeps exactly ${layout.positions.count}`);
  }
  let e = 0;
  for (let blk = 0; blk < b.count; blk++) {
    if (!kept[blk]) continue;
    const r0 = Math.floor(blk / b.across) * b.blockRows;
    const c0 = (blk % b.across) * b.blockCols;
    for (let r = r0; r < r0 + b.blockRows; r++) {
      for (let c = c0; c < c0 + b.blockCols; c++) stored[e++] = r < b.rows && c < b.cols ? r * b.cols + c : -1;
    }
  }
  return { stored, kept };
}
