/**
 * The entries section of a compressed kernel (one symbol per stored weight: cluster index, non-uniform index, affine
 * code or fp16 pattern), written one of three ways:
 *   'fixed'          every entry at `entryBits` (size.ts's layout; block padding written as 0);
 *   'rans'           one rANS table for the whole kernel, then the coded stream (entropy-coding.ts);
 *   'rans-per-group' one table per codebook or bucket, in group order, then one stream coding each entry under its
 *                    group's table.
 * The coded forms skip block padding (a reader knows it from the positions). An encoder keeps the coded form only
 * when it is smaller than the fixed one, so `sizeBits` stays a guaranteed upper bound of every kernel's stream.
 */
import { ModelError } from '../errors.js';
import type { BitReader, BitWriter } from './bit-packing.js';
import { MAX_ALPHABET, normalizeCounts, type RansTable, ransDecode, ransEncode, readTable, tableBits, tableFromFreq, writeTable } from './entropy-coding.js';
import type { StorageLayout } from './size.js';

export type EntryCoding = 'fixed' | 'rans' | 'rans-per-group';
export const ENTRY_CODINGS: readonly EntryCoding[] = ['fixed', 'rans', 'rans-per-group'];

/** Symbols an entry can take when its stream may be entropy-coded, else 0 (fp16 and fp32 values, 0-bit entries). */
export function entryAlphabet(layout: StorageLayout): number {
  if (layout.entryBits === 0 || layout.entry === 'fp32' || layout.entry === 'fp16') return 0;
  const a = layout.entry === 'cluster-index' ? layout.codebookSize : 2 ** layout.entryBits;
  return a <= MAX_ALPHABET ? a : 0;
}

/** The entries to code: symbols and their groups, block padding (-1) left out. */
function real(symbols: Int32Array, groups: Int32Array): { s: Int32Array; g: Int32Array } {
  let n = 0;
  for (const v of symbols) if (v >= 0) n++;
  if (n === symbols.length) return { s: symbols, g: groups };
  const s = new Int32Array(n);
  const g = new Int32Array(n);
  let j = 0;
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] < 0) continue;
    s[j] = symbols[i];
    g[j++] = groups[i];
  }
  return { s, g };
}

interface Coded {
  coding: EntryCoding;
  bits: number;
  tables: RansTable[];
  stream: Uint8Array;
}

function coded(coding: 'rans' | 'rans-per-group', s: Int32Array, g: Int32Array, groupCount: number, alphabet: number): Coded {
  const contexts = coding === 'rans' ? new Int32Array(s.length) : g;
  const count = coding === 'rans' ? 1 : groupCount;
  const counts = Array.from({ length: count }, () => new Float64Array(alphabet));
  for (let i = 0; i < s.length; i++) counts[contexts[i]][s[i]]++;
  const tables = counts.map((c) => tableFromFreq(normalizeCounts(c)));
  const stream = ransEncode(s, contexts, tables);
  return { coding, tables, stream, bits: tables.reduce((b, t) => b + tableBits(t.freq), 0) + 8 * stream.length };
}

/**
 * The smallest way to write the entries: `symbols` per stored entry (-1 for block padding), `groups` the codebook or
 * bucket of each, `groupCount` groups. Ties go to 'fixed'.
 */
export function chooseEntryCoding(layout: StorageLayout, symbols: Int32Array, groups: Int32Array, groupCount: number, allow = true): Coded {
  const fixed: Coded = { coding: 'fixed', bits: layout.bits.entries, tables: [], stream: new Uint8Array(0) };
  const alphabet = entryAlphabet(layout);
  if (!allow || alphabet === 0 || symbols.length === 0) return fixed;
  const { s, g } = real(symbols, groups);
  let best = fixed;
  for (const c of [coded('rans', s, g, groupCount, alphabet), groupCount > 1 ? coded('rans-per-group', s, g, groupCount, alphabet) : null]) {
    if (c && c.bits < best.bits) best = c;
  }
  return best;
}

export function writeEntries(w: BitWriter, layout: StorageLayout, symbols: Int32Array, c: Coded): void {
  if (c.coding === 'fixed') {
    for (const v of symbols) w.write(v < 0 ? 0 : v, layout.entryBits);
    return;
  }
  for (const t of c.tables) writeTable(w, t.freq);
  for (const b of c.stream) w.write(b, 8);
}

/**
 * Read the entries back: a symbol per stored position (`stored[i] < 0` is block padding, returned as -1), `groupOf`
 * the codebook or bucket of a flat position.
 */
export function readEntries(r: BitReader, layout: StorageLayout, coding: EntryCoding, stored: Int32Array, groupOf: (p: number) => number, groupCount: number): Int32Array {
  const out = new Int32Array(stored.length);
  if (coding === 'fixed') {
    for (let i = 0; i < stored.length; i++) {
      const v = r.read(layout.entryBits);
      out[i] = stored[i] < 0 ? -1 : v;
    }
    return out;
  }
  const alphabet = entryAlphabet(layout);
  if (alphabet === 0) throw new ModelError(`corrupt header: entries of ${layout.entry} at ${layout.entryBits} bits are never entropy-coded`);
  const count = coding === 'rans' ? 1 : groupCount;
  const tables: RansTable[] = [];
  for (let t = 0; t < count; t++) tables.push(readTable(r, alphabet));
  let n = 0;
  for (const p of stored) if (p >= 0) n++;
  const contexts = new Int32Array(n);
  if (coding === 'rans-per-group') {
    let j = 0;
    for (const p of stored) if (p >= 0) contexts[j++] = groupOf(p);
  }
  const symbols = new Int32Array(n);
  ransDecode(r, contexts, tables, symbols);
  let j = 0;
  for (let i = 0; i < stored.length; i++) out[i] = stored[i] < 0 ? -1 : symbols[j++];
  return out;
}
