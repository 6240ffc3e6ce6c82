/**
 * rANS entropy coding of kernel entries (learners/entropy-coding.ts, coded-entries.ts): sizes against the empirical
 * entropy, bit-exact round trips over the learner contract's cases, and corrupt streams refused.
 */
import test from 'ava';
import seedrandom from 'seedrandom';
import { ModelError } from '../../errors.js';
import { BitReader, BitWriter } from '../../learners/bit-packing.js';
import { compressLayer } from '../../learners/compress-layer.js';
import { normalizeCounts, RANS_M, ransDecode, ransEncode, readTable, tableFromFreq, writeTable } from '../../learners/entropy-coding.js';
import { decodeLayer, encodeLayer } from '../../learners/layer-codec.js';
import { packModel, packedSizeReport, unpackModel } from '../../learners/model-pack.js';
import { sizeBits } from '../../learners/size.js';
import { type LayerSpec, layerSpec } from '../../learners/types.js';
import { CONTRACT_PRUNINGS as prunings, CONTRACT_QUANTIZATIONS as quantizations, contractWeights, describeSpec } from '../helpers/learner-contract.js';

/** The empirical entropy of a symbol sequence, in bits: -sum over symbols of c log2(c / n). */
function entropyBits(symbols: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < symbols.length; i++) counts.set(symbols[i], (counts.get(symbols[i]) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= c * Math.log2(c / symbols.length);
  return h;
}

function shuffled(counts: number[], seed: string): Int32Array {
  const out = Int32Array.from(counts.flatMap((c, s) => Array<number>(c).fill(s)));
  const rng = seedrandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function roundTrip(symbols: Int32Array, alphabet: number): { bytes: number; decoded: Int32Array } {
  const counts = new Float64Array(alphabet);
  for (const s of symbols) counts[s]++;
  const table = tableFromFreq(normalizeCounts(counts));
  const contexts = new Int32Array(symbols.length);
  const stream = ransEncode(symbols, contexts, [table]);
  const w = new BitWriter();
  for (const b of stream) w.write(b, 8);
  const decoded = new Int32Array(symbols.length);
  ransDecode(new BitReader(w.finish()), contexts, [table], decoded);
  return { bytes: stream.length, decoded };
}

test('8000 symbols at 1/2, 1/4, 1/8, 1/8 code in 8000 * 1.75 / 8 = 1750 bytes plus the 4-byte state', (t) => {
  const symbols = shuffled([4000, 2000, 1000, 1000], 'dyadic');
  t.is(entropyBits(symbols), 14000);
  const { bytes, decoded } = roundTrip(symbols, 4);
  t.deepEqual(decoded, symbols);
  t.true(bytes >= 1750 && bytes <= 1750 + 4 + 2, `${bytes} bytes`);
});

test('4-bit codes of Gaussian weights code within 8 bytes of their empirical entropy', (t) => {
  const rng = seedrandom('gauss');
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const symbols = Int32Array.from({ length: 20000 }, () => Math.max(0, Math.min(15, Math.round(gauss() * 2.5 + 7.5))));
  const h = entropyBits(symbols);
  const { bytes, decoded } = roundTrip(symbols, 16);
  t.deepEqual(decoded, symbols);
  t.true(8 * bytes <= h + 8 * 8, `${bytes} bytes against an entropy of ${(h / 8).toFixed(1)} bytes`);
  t.true(h / symbols.length < 3.5, `${(h / symbols.length).toFixed(2)} bits a symbol, not the fixed 4`);
});

test('frequencies sum to M = 4096, every used symbol keeps at least 1, and a table reads back as written', (t) => {
  const freq = normalizeCounts([1, 0, 100000, 3, 0, 7]);
  t.is(freq.reduce((a, b) => a + b, 0), RANS_M);
  t.deepEqual([freq[1], freq[4]], [0, 0]);
  t.true(freq[0] >= 1 && freq[3] >= 1 && freq[5] >= 1);
  t.deepEqual(Array.from(normalizeCounts([0, 0])), [0, 0]);
  const w = new BitWriter();
  writeTable(w, freq);
  t.deepEqual(readTable(new BitReader(w.finish()), 6).freq, freq);
});

test('a stream of one symbol takes no bytes', (t) => {
  const { bytes, decoded } = roundTrip(new Int32Array(500).fill(2), 4);
  t.is(bytes, 0);
  t.true(decoded.every((s) => s === 2));
});

test('a corrupt stream or table is a ModelError', (t) => {
  const symbols = shuffled([300, 200, 100], 'corrupt');
  const table = tableFromFreq(normalizeCounts([300, 200, 100]));
  const contexts = new Int32Array(symbols.length);
  const stream = ransEncode(symbols, contexts, [table]);
  const bad = stream.slice();
  bad[10] ^= 0x5a;
  const w = new BitWriter();
  for (const b of bad) w.write(b, 8);
  t.throws(() => ransDecode(new BitReader(w.finish()), contexts, [table], new Int32Array(symbols.length)), { instanceOf: ModelError });
  const tw = new BitWriter();
  writeTable(tw, new Uint16Array([4000, 4000])); // sums to 8000, not 4096
  t.throws(() => readTable(new BitReader(tw.finish()), 2), { instanceOf: ModelError, message: /sum to 8000/ });
});

// the learner contract's cases (test/learners/learner-contract.test.ts), coded
const shapes = [[24, 10], [3, 3, 5, 6], [40, 12]];

test('entropy-coded kernels decode bit-exact, never exceed sizeBits, and pack into files that unpack bit-exact', (t) => {
  let coded = 0;
  for (const shape of shapes) {
    for (const p of prunings) {
      for (const q of quantizations) {
        const spec = layerSpec({ ...p, ...q });
        const what = `${describeSpec(spec)} on [${shape}]`;
        const layer = compressLayer(contractWeights(shape), shape, spec, { seed: 7 });
        const enc = encodeLayer(layer, { entropy: true });
        t.true(enc.bits <= sizeBits(shape, spec), what);
        if (enc.coding !== 'fixed') coded++;
        t.deepEqual(decodeLayer(enc.bytes, shape, spec, { coding: enc.coding, bits: enc.bits }), layer, what);
        const file = packModel({ topology: {}, layers: [{ name: 'k', shape, spec, compressed: layer }] }, { entropy: true });
        const [back] = unpackModel(file).tensors;
        t.deepEqual(new Uint32Array(back.values.buffer), new Uint32Array(layer.values.buffer), what);
        const report = packedSizeReport(file);
        t.is(report.payloadBytes, Math.ceil(enc.bits / 8), what);
        t.is(report.fixedPayloadBytes, Math.ceil(sizeBits(shape, spec) / 8), what);
      }
    }
  }
  t.true(coded > 20, `${coded} of the cases are smaller coded`);
});

test('flipped bits in coded payloads give a ModelError or a decode, never another error (2500 seeded trials)', (t) => {
  const rng = seedrandom('fuzz');
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const specs = [
    layerSpec({ bits: 4, quantRange: 'minmax' }),
    layerSpec({ bits: 3, quantRange: 'minmax', pruneRatio: 0.6 }),
    layerSpec({ clusters: 16, clusterInit: 'linear', bits: 8, pruneRatio: 0.5 }),
    layerSpec({ pruneRatio: 0.8, pruneKind: 'block', bits: 2, quantRange: 'minmax' }),
    layerSpec({ bits: 4, quantRange: 'minmax', bucket: 'channel' }),
  ];
  const other: string[] = [];
  let coded = 0;
  for (const spec of specs) {
    const shape = [60, 20];
    const file = packModel({ topology: {}, layers: [{ name: 'k', shape, spec, compressed: compressLayer(Float32Array.from({ length: 1200 }, gauss), shape, spec) }] }, { entropy: true });
    if (packedSizeReport(file).tensors[0].coding !== 'fixed') coded++;
    const start = 10 + new DataView(file.buffer).getUint32(6, true);
    for (let trial = 0; trial < 500; trial++) {
      const f = file.slice();
      for (let k = 0; k < 1 + Math.floor(rng() * 3); k++) f[start + Math.floor(rng() * (f.length - start))] ^= 1 << Math.floor(rng() * 8);
      try {
        unpackModel(f);
      } catch (e) {
        if (!(e instanceof ModelError)) other.push(`${describeSpec(spec)}: ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
  }
  t.deepEqual(other, []);
  t.true(coded >= 4, `${coded} of the ${specs.length} files are coded`);
});
