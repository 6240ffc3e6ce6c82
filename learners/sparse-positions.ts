/**
 * Encoding which positions of a pruned tensor are kept: a bitmask, or Elias-Fano, whichever is smaller.
 *
 * Peer: Deep Compression (Han et al. 2016) stores pruned weights in relative-index (CSR-like) form: 8-bit gaps (4-bit
 * for FC layers), with a filler zero entry whenever a gap exceeds the largest representable one. Its size depends on
 * where the gaps fall, so the size of a layer could only be known after compressing it.
 *
 * Deliberate difference: we store the sorted kept positions with Elias-Fano (Elias 1974, Fano 1971), another
 * relative encoding whose size depends only on the universe U and the kept count K, both known from shape and spec:
 * - the low L bits of every position, K * L bits;
 * - the high parts `p >> L` as a unary bit vector: for each bucket b = 0 .. ((U - 1) >> L), one 1 per position in it,
 *   then a 0; K + ((U - 1) >> L) + 1 bits.
 * L is the value in 0 .. bitLength(U - 1) that minimises the total (the smallest on ties):
 *   EF(U, K) = min_L K * L + K + ((U - 1) >> L) + 1.
 * The bitmask costs U bits (bit i = 1 when position i is kept). The encoder takes Elias-Fano when EF(U, K) < U, else
 * the bitmask, so a reader knows which from (U, K) alone and no flag is stored. Elias-Fano needs at most
 * 2 + ceil(log2(U / K)) bits per kept weight; it beats the bitmask above 75% sparsity (e.g. at 95% sparsity it
 * takes about 0.31 bits per weight against 1).
 */
import { ModelError } from '../errors.js';
import type { BitReader, BitWriter } from './bit-packing.js';

export type PositionEncoding =
  | { kind: 'bitmask'; universe: number; count: number; bits: number }
  | { kind: 'elias-fano'; universe: number; count: number; lowBits: number; bits: number };

function bitLength(x: number): number {
  return x <= 0 ? 0 : 32 - Math.clz32(x);
}

/** Size in bits of Elias-Fano with `lowBits` low bits per position. */
export function eliasFanoBits(universe: number, count: number, lowBits: number): number {
  return count * lowBits + count + Math.floor((universe - 1) / 2 ** lowBits) + 1;
}

/** The cheaper encoding of `count` kept positions out of `universe` (both known from shape and spec). */
export function positionEncoding(universe: number, count: number): PositionEncoding {
  let lowBits = 0;
  let best = eliasFanoBits(universe, count, 0);
  for (let l = 1; l <= bitLength(universe - 1); l++) {
    const bits = eliasFanoBits(universe, count, l);
    if (bits < best) {
      best = bits;
      lowBits = l;
    }
  }
  if (best < universe) return { kind: 'elias-fano', universe, count, lowBits, bits: best };
  return { kind: 'bitmask', universe, count, bits: universe };
}

/** Write the positions where `kept[i]` is 1 (exactly `enc.count` of them). */
export function writePositions(w: BitWriter, kept: Uint8Array, enc: PositionEncoding): void {
  if (enc.kind === 'bitmask') {
    for (let i = 0; i < enc.universe; i++) w.write(kept[i] ? 1 : 0, 1);
    return;
  }
  const L = enc.lowBits;
  const scale = 2 ** L;
  const buckets = Math.floor((enc.universe - 1) / scale) + 1;
  let i = 0;
  for (let b = 0; b < buckets; b++) {
    for (const end = Math.min(enc.universe, (b + 1) * scale); i < end; i++) if (kept[i]) w.write(1, 1);
    w.write(0, 1);
  }
  for (let p = 0; p < enc.universe; p++) if (kept[p]) w.write(p % scale, L);
}

/** Read back the kept positions as a 0/1 array over the universe. */
export function readPositions(r: BitReader, enc: PositionEncoding): Uint8Array {
  const kept = new Uint8Array(enc.universe);
  let count = 0;
  if (enc.kind === 'bitmask') {
    for (let i = 0; i < enc.universe; i++) count += kept[i] = r.read(1);
  } else {
    const L = enc.lowBits;
    const scale = 2 ** L;
    const buckets = Math.floor((enc.universe - 1) / scale) + 1;
    const highs: number[] = [];
    for (let b = 0; b < buckets; b++) {
      while (r.read(1) === 1) {
        if (highs.length === enc.count) throw new ModelError('corrupt compressed data: more kept positions than the header says');
        highs.push(b);
      }
    }
    for (const h of highs) {
      const p = h * scale + r.read(L);
      if (p >= enc.universe || kept[p]) throw new ModelError('corrupt compressed data: a kept position is out of range or repeated');
      kept[p] = 1;
    }
    count = highs.length;
  }
  if (count !== enc.count) {
    throw new ModelError(`corrupt compressed data: ${count} kept positions where the header says ${enc.count}`);
  }
  return kept;
}
