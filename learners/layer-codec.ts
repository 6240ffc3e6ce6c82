/**
 * Bit-exact encoding of one compressed kernel, in the layout `size.ts` accounts for, field by field:
 *
 *   [positions]  bitmask or Elias-Fano of the kept weights or blocks (sparse-positions.ts), when stored
 *   [codebooks]  clustered: per codebook [zero index][alpha beta fp32, for 1..8 bits][entries except the zero]
 *                non-uniform: per bucket 2^bits fp32 points
 *                uniform 1..8 bits: per bucket alpha, beta in fp32
 *   [entries]    per stored weight (stored-positions.ts order): cluster index within its codebook, non-uniform index,
 *                affine code, fp16 pattern or fp32 value; block padding written as 0. With `entropy`, the indices and
 *                codes may instead be rANS-coded (coded-entries.ts) when that is smaller; the coding is returned, and
 *                the reader is told it (model.ashk keeps it in its header)
 *
 * Fields are packed LSB first with no padding (bit-packing.ts), so the fixed-width stream is exactly
 * `sizeBits(shape, spec)` bits, and a coded one is shorter. Decoding rebuilds the whole `CompressedLayer` (mask,
 * codebooks, indices, codes, scales) and its values with the same dequantization functions as compression, so
 * `decodeLayer(encodeLayer(x))` deep-equals `x`.
 */
import { ConfigError, ModelError } from '../errors.js';
import type { LayerSpec } from './types.js';
import { BitReader, BitWriter } from './bit-packing.js';
import { chooseEntryCoding, type EntryCoding, readEntries, writeEntries } from './coded-entries.js';
import { type CompressedLayer, codebookBuckets } from './compress-layer.js';
import { dequantizeUniform } from './quantization.js';
import { float16BitsToFloat32 } from './rounding.js';
import { storageLayout } from './size.js';
import { readPositions, writePositions } from './sparse-positions.js';
import { storedPositions } from './stored-positions.js';

function need<T>(x: T | null, what: string): T {
  if (x === null) throw new ConfigError(`compressed layer lacks its ${what}`);
  return x;
}

/**
 * Encode a compressed kernel. At fixed width (the default) `bits` is exactly `sizeBits(layer.shape, layer.spec)`;
 * with `entropy` the entries are rANS-coded when that is smaller, and `bits` is at most that.
 */
export function encodeLayer(layer: CompressedLayer, opts: { entropy?: boolean } = {}): { bytes: Uint8Array; bits: number; coding: EntryCoding } {
  const { shape, spec } = layer;
  const layout = storageLayout(shape, spec);
  const n = layout.weights;
  if (layer.values.length !== n) throw new ConfigError(`compressed layer has ${layer.values.length} values for shape [${shape}]`);
  const { stored, kept } = storedPositions(layout, layout.positions ? layer.mask : null);
  const w = new BitWriter(layout.bits.total);
  if (layout.positions) writePositions(w, kept!, layout.positions);
  const groups = codebookBuckets(shape, spec);
  const groupOf = (p: number) => (groups.ids ? groups.ids[p] : 0);
  const k = layout.codebookSize;
  // the entries are gathered first (block padding as -1), then written at fixed width or coded
  const symbols = new Int32Array(stored.length);
  const symbolGroups = new Int32Array(stored.length);
  const entries = (value: (p: number) => number) => {
    stored.forEach((p, i) => {
      symbols[i] = p < 0 ? -1 : value(p);
      symbolGroups[i] = p < 0 ? 0 : groupOf(p);
    });
  };

  switch (layout.entry) {
    case 'cluster-index': {
      const centroids = need(layer.centroids, 'centroids');
      const indices = need(layer.indices, 'indices');
      if (centroids.length !== layout.codebooks * k) throw new ConfigError(`expected ${layout.codebooks * k} centroids, got ${centroids.length}`);
      for (let g = 0; g < layout.codebooks; g++) {
        const zero = spec.preserveSparsity ? need(layer.zeroIndices, 'zero indices')[g] - g * k : -1;
        if (spec.preserveSparsity) w.write(zero, layout.zeroIndexBits);
        if (layout.scalePairs > 0) {
          const scales = need(layer.scales, 'scales');
          w.writeFloat32(scales[2 * g]);
          w.writeFloat32(scales[2 * g + 1]);
        }
        for (let j = 0; j < k; j++) {
          if (j === zero) continue;
          if (spec.bits === 32) w.writeFloat32(centroids[g * k + j]);
          else w.write(need(layer.codes, 'codes')[g * k + j], spec.bits);
        }
      }
      entries((q) => {
        const local = indices[q] - groupOf(q) * k;
        if (!(local >= 0 && local < k)) throw new ConfigError(`index ${indices[q]} of weight ${q} is outside its codebook`);
        return local;
      });
      break;
    }
    case 'nonuniform-index': {
      const points = need(layer.centroids, 'points');
      const indices = need(layer.indices, 'indices');
      if (points.length !== layout.codebooks * k) throw new ConfigError(`expected ${layout.codebooks * k} points, got ${points.length}`);
      for (const x of points) w.writeFloat32(x);
      entries((q) => indices[q] - groupOf(q) * k);
      break;
    }
    case 'affine-code': {
      const scales = need(layer.scales, 'scales');
      for (let b = 0; b < layout.scalePairs; b++) {
        w.writeFloat32(scales[2 * b]);
        w.writeFloat32(scales[2 * b + 1]);
      }
      const codes = need(layer.codes, 'codes');
      entries((q) => codes[q]);
      break;
    }
    case 'fp16': {
      const codes = need(layer.codes, 'codes');
      entries((q) => codes[q]);
      break;
    }
    case 'fp32':
      for (const p of stored) {
        if (p < 0) w.write(0, 32);
        else w.writeFloat32(layer.values[p]);
      }
      break;
  }
  let coding: EntryCoding = 'fixed';
  let expected = layout.bits.total;
  if (layout.entry !== 'fp32') {
    const c = chooseEntryCoding(layout, symbols, symbolGroups, groups.count, opts.entropy ?? false);
    writeEntries(w, layout, symbols, c);
    coding = c.coding;
    expected = layout.bits.total - layout.bits.entries + c.bits;
  }
  if (w.bitLength !== expected) {
    throw new Error(`internal: wrote ${w.bitLength} bits for a layout of ${expected}`);
  }
  return { bytes: w.finish(), bits: w.bitLength, coding };
}

export interface DecodeOptions {
  /** Where the kernel starts in `bytes`, in bits. Default 0. */
  startBit?: number;
  /** How its entries are written. Default 'fixed'. */
  coding?: EntryCoding;
  /** Its length in bits (a coded kernel's is not known from the layout). Default `sizeBits(shape, spec)`. */
  bits?: number;
}

/** Decode a kernel of `shape` and `spec` from `bytes`. */
export function decodeLayer(bytes: Uint8Array, shape: number[], spec: LayerSpec, opts: DecodeOptions = {}): CompressedLayer {
  const layout = storageLayout(shape, spec);
  const n = layout.weights;
  const startBit = opts.startBit ?? 0;
  const coding = opts.coding ?? 'fixed';
  const end = startBit + (opts.bits ?? layout.bits.total);
  const r = new BitReader(bytes, startBit, end);
  let mask: Uint8Array | null = null;
  if (layout.positions) {
    const kept = readPositions(r, layout.positions);
    const b = layout.blocks;
    if (!b) mask = kept;
    else {
      mask = new Uint8Array(n);
      for (let row = 0; row < b.rows; row++) {
        for (let c = 0; c < b.cols; c++) mask[row * b.cols + c] = kept[Math.floor(row / b.blockRows) * b.across + Math.floor(c / b.blockCols)];
      }
    }
  }
  const { stored } = storedPositions(layout, mask);
  const groups = codebookBuckets(shape, spec);
  const groupOf = (p: number) => (groups.ids ? groups.ids[p] : 0);
  const k = layout.codebookSize;
  const values = new Float32Array(n);
  const layer: CompressedLayer = {
    shape,
    spec,
    values,
    mask,
    centroids: null,
    codebooks: layout.codebooks,
    codebookSize: k,
    indices: null,
    zeroIndices: null,
    codes: null,
    scales: null,
  };
  const eachEntry = (each: (p: number, v: number) => void) => {
    const symbols = readEntries(r, layout, coding, stored, groupOf, groups.count);
    for (let i = 0; i < stored.length; i++) if (stored[i] >= 0) each(stored[i], symbols[i]);
  };

  switch (layout.entry) {
    case 'cluster-index': {
      const G = layout.codebooks;
      const centroids = new Float32Array(G * k);
      const codes = spec.bits === 32 ? null : spec.bits === 16 ? new Uint16Array(G * k) : new Uint8Array(G * k);
      const scales = layout.scalePairs > 0 ? new Float32Array(2 * G) : null;
      const zeroIndices = spec.preserveSparsity ? new Int32Array(G) : null;
      for (let g = 0; g < G; g++) {
        let zero = -1;
        if (zeroIndices) {
          zero = r.read(layout.zeroIndexBits);
          if (zero >= k) throw new ModelError(`corrupt compressed data: zero centroid ${zero} of a codebook of ${k}`);
          zeroIndices[g] = g * k + zero;
        }
        let alpha = 0;
        let beta = 0;
        if (scales) {
          alpha = scales[2 * g] = r.readFloat32();
          beta = scales[2 * g + 1] = r.readFloat32();
        }
        for (let j = 0; j < k; j++) {
          if (j === zero) continue;
          if (spec.bits === 32) centroids[g * k + j] = r.readFloat32();
          else {
            const code = (codes![g * k + j] = r.read(spec.bits));
            centroids[g * k + j] = spec.bits === 16 ? float16BitsToFloat32(code) : dequantizeUniform(code, alpha, beta, spec.bits);
          }
        }
      }
      const indices = new Int32Array(n);
      if (zeroIndices && mask) for (let i = 0; i < n; i++) if (!mask[i]) indices[i] = zeroIndices[groupOf(i)];
      eachEntry((p, v) => {
        if (v >= k) throw new ModelError(`corrupt compressed data: cluster index ${v} of ${k}`);
        indices[p] = groupOf(p) * k + v;
      });
      for (let i = 0; i < n; i++) values[i] = centroids[indices[i]];
      Object.assign(layer, { centroids, codes, scales, zeroIndices, indices });
      break;
    }
    case 'nonuniform-index': {
      const points = new Float32Array(layout.codebooks * k);
      for (let j = 0; j < points.length; j++) points[j] = r.readFloat32();
      const indices = new Int32Array(n);
      if (mask) for (let i = 0; i < n; i++) if (!mask[i]) indices[i] = groupOf(i) * k;
      eachEntry((p, v) => {
        indices[p] = groupOf(p) * k + v;
        values[p] = points[indices[p]];
      });
      Object.assign(layer, { centroids: points, indices });
      break;
    }
    case 'affine-code': {
      const scales = new Float32Array(2 * layout.scalePairs);
      for (let j = 0; j < scales.length; j++) scales[j] = r.readFloat32();
      const codes = new Uint8Array(n);
      eachEntry((p, v) => {
        const b = groups.ids ? groups.ids[p] : 0;
        codes[p] = v;
        values[p] = dequantizeUniform(v, scales[2 * b], scales[2 * b + 1], spec.bits);
      });
      Object.assign(layer, { codes, scales });
      break;
    }
    case 'fp16': {
      const codes = new Uint16Array(n);
      eachEntry((p, v) => {
        codes[p] = v;
        values[p] = float16BitsToFloat32(v);
      });
      layer.codes = codes;
      break;
    }
    case 'fp32': {
      if (coding !== 'fixed') throw new ModelError('corrupt header: fp32 entries are never entropy-coded');
      for (const p of stored) {
        const v = r.readFloat32();
        if (p >= 0) values[p] = v;
      }
      break;
    }
  }
  if (r.position !== end) {
    if (coding === 'fixed' && opts.bits === undefined) throw new Error('internal: decoder did not consume the layout');
    throw new ModelError(`corrupt compressed data: the kernel ends at bit ${r.position - startBit} of ${end - startBit}`);
  }
  return layer;
}
