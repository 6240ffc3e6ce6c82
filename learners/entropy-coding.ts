/**
 * Entropy coding of a stream of small symbols (cluster indices, non-uniform indices, affine codes) with static rANS:
 * one frequency table per context (a codebook or bucket, or one shared by all), stored before the coded bytes.
 *
 * Peer: Deep Compression (Han et al. 2016) Huffman-codes the quantized weights and the sparse index gaps. Deliberate
 * differences: we use rANS (Duda 2013; byte-wise renormalisation as in Giesen's ryg_rans), which codes within a
 * fraction of a percent of the empirical entropy where Huffman loses up to a bit per symbol on skewed small alphabets
 * (2-bit codes of Gaussian-like weights: 1.03 bits of entropy, 1.2+ bits for Huffman); the positions keep their
 * Elias-Fano or bitmask encoding (sparse-positions.ts), whose size is known from shape and spec alone.
 *
 * A context's table: for each symbol 0..A-1, Elias-gamma of (f + 1), where the frequencies f sum to M = 2^12 (or are
 * all 0 for a context that codes nothing). The coded stream: the rANS state flushed as 4 bytes, then the
 * renormalisation bytes, each byte 8 bits of the bit stream. The state starts and ends at L = 2^23: a decoder that
 * does not end there reads a corrupt stream. A stream whose symbols all come from one-symbol tables takes 0 bytes.
 */
import { ModelError } from '../errors.js';
import type { BitReader, BitWriter } from './bit-packing.js';

const SCALE_BITS = 12;
/** Frequencies of a table sum to M. */
export const RANS_M = 1 << SCALE_BITS;
const RANS_L = 1 << 23;
/** Largest alphabet we code (8-bit codes, 256 clusters). */
export const MAX_ALPHABET = 256;

export interface RansTable {
  /** Frequency of each symbol (sum M, or all 0). */
  freq: Uint16Array;
  /** Cumulative frequency before each symbol; length A + 1. */
  cum: Uint32Array;
}

function tableFromFreq(freq: Uint16Array): RansTable {
  const cum = new Uint32Array(freq.length + 1);
  for (let s = 0; s < freq.length; s++) cum[s + 1] = cum[s] + freq[s];
  return { freq, cum };
}

/**
 * Counts to frequencies summing to M: proportional, every used symbol at least 1, the rounding error taken from (or
 * given to) the most frequent symbols, so the loss against the empirical entropy stays tiny. All-zero counts give an
 * all-zero table.
 */
export function normalizeCounts(counts: ArrayLike<number>): Uint16Array {
  const a = counts.length;
  if (a > RANS_M) throw new RangeError(`alphabet of ${a} symbols is larger than M = ${RANS_M}`);
  let total = 0;
  for (let s = 0; s < a; s++) total += counts[s];
  const freq = new Uint16Array(a);
  if (total === 0) return freq;
  let sum = 0;
  for (let s = 0; s < a; s++) {
    if (counts[s] > 0) freq[s] = Math.max(1, Math.round((counts[s] * RANS_M) / total));
    sum += freq[s];
  }
  const order = Array.from({ length: a }, (_, s) => s).sort((x, y) => counts[y] - counts[x] || x - y);
  for (let i = 0; sum > RANS_M; i = (i + 1) % a) {
    const s = order[i];
    if (freq[s] > 1) {
      freq[s]--;
      sum--;
    }
  }
  for (let i = 0; sum < RANS_M; i = (i + 1) % a) {
    const s = order[i];
    if (counts[s] > 0) {
      freq[s]++;
      sum++;
    }
  }
  return freq;
}

function gammaBits(v: number): number {
  return 2 * (31 - Math.clz32(v)) + 1;
}

/** Bits of a table as stored. */
export function tableBits(freq: Uint16Array): number {
  let bits = 0;
  for (const f of freq) bits += gammaBits(f + 1);
  return bits;
}

export function writeTable(w: BitWriter, freq: Uint16Array): void {
  for (const f of freq) {
    const v = f + 1;
    const n = 31 - Math.clz32(v);
    w.write(0, n);
    w.write(1, 1);
    w.write(v - 2 ** n, n);
  }
}

export function readTable(r: BitReader, alphabet: number): RansTable {
  const freq = new Uint16Array(alphabet);
  let sum = 0;
  for (let s = 0; s < alphabet; s++) {
    let n = 0;
    while (r.read(1) === 0) if (++n > SCALE_BITS) throw new ModelError('corrupt entropy-coded data: a frequency above M');
    const f = 2 ** n + r.read(n) - 1;
    if (f > RANS_M) throw new ModelError('corrupt entropy-coded data: a frequency above M');
    freq[s] = f;
    sum += f;
  }
  if (sum !== 0 && sum !== RANS_M) throw new ModelError(`corrupt entropy-coded data: frequencies sum to ${sum}, not ${RANS_M}`);
  return tableFromFreq(freq);
}

/** True when every symbol with a context uses a one-symbol table: nothing to code. */
function trivial(tables: RansTable[], contexts: ArrayLike<number>, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const t = tables[contexts[i]];
    if (t.freq.length === 0 || !t.freq.includes(RANS_M)) return false;
  }
  return true;
}

/**
 * rANS-code `symbols[i]` under `tables[contexts[i]]`; returns the bytes in the order a decoder reads them. Every
 * symbol must have a non-zero frequency in its table.
 */
export function ransEncode(symbols: ArrayLike<number>, contexts: ArrayLike<number>, tables: RansTable[]): Uint8Array {
  const n = symbols.length;
  if (n === 0 || trivial(tables, contexts, n)) return new Uint8Array(0);
  const out: number[] = [];
  let x = RANS_L;
  for (let i = n - 1; i >= 0; i--) {
    const { freq, cum } = tables[contexts[i]];
    const s = symbols[i];
    const f = freq[s];
    if (!f) throw new RangeError(`symbol ${s} has no frequency in its table`);
    const xMax = ((RANS_L >>> SCALE_BITS) << 8) * f;
    while (x >= xMax) {
      out.push(x & 255);
      x = Math.floor(x / 256);
    }
    x = Math.floor(x / f) * RANS_M + (x % f) + cum[s];
  }
  for (let k = 0; k < 4; k++) {
    out.push(x & 255);
    x = Math.floor(x / 256);
  }
  return Uint8Array.from(out.reverse());
}

/** Bytes `ransEncode` would write, without keeping them. */
export function ransBytes(symbols: ArrayLike<number>, contexts: ArrayLike<number>, tables: RansTable[]): number {
  return ransEncode(symbols, contexts, tables).length;
}

/** The symbol whose slot range [cum[s], cum[s + 1]) holds `slot` (binary search; alphabets are at most 256). */
function symbolOf(cum: Uint32Array, slot: number): number {
  let lo = 0;
  let hi = cum.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cum[mid] <= slot) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Decode `contexts.length` symbols from `r` (the inverse of `ransEncode` written byte by byte). */
export function ransDecode(r: BitReader, contexts: ArrayLike<number>, tables: RansTable[], out: Int32Array): void {
  const n = contexts.length;
  for (const t of tables) if (t.cum[t.cum.length - 1] !== 0 && t.cum[t.cum.length - 1] !== RANS_M) throw new ModelError('corrupt entropy-coded table');
  for (let i = 0; i < n; i++) if (tables[contexts[i]].cum[tables[contexts[i]].cum.length - 1] === 0) throw new ModelError('corrupt entropy-coded data: a symbol under an empty table');
  if (n === 0) return;
  if (trivial(tables, contexts, n)) {
    for (let i = 0; i < n; i++) out[i] = tables[contexts[i]].freq.indexOf(RANS_M);
    return;
  }
  let x = 0;
  for (let k = 0; k < 4; k++) x = x * 256 + r.read(8);
  for (let i = 0; i < n; i++) {
    const { freq, cum } = tables[contexts[i]];
    const slot = x & (RANS_M - 1);
    const s = symbolOf(cum, slot);
    out[i] = s;
    x = freq[s] * Math.floor(x / RANS_M) + slot - cum[s];
    while (x < RANS_L) x = x * 256 + r.read(8);
  }
  if (x !== RANS_L) throw new ModelError('corrupt entropy-coded data: the rANS state does not end where it began');
}

export { tableFromFreq };
