import test from 'ava';
import seedrandom from 'seedrandom';
import { ModelError } from '../../errors.js';
import { BitReader, BitWriter } from '../../learners/bit-packing.js';
import { positionEncoding, readPositions, writePositions } from '../../learners/sparse-positions.js';

test('fields are packed least-significant bit first with no padding', (t) => {
  const w = new BitWriter();
  w.write(1, 1);
  w.write(0b101, 3);
  w.write(0xff, 8);
  t.is(w.bitLength, 12);
  // bits 0..3 = 1, 1, 0, 1 -> 0b1011; bits 4..11 all ones
  t.deepEqual([...w.finish()], [0xfb, 0x0f]);
});

test('fields of 0 to 32 bits read back as written', (t) => {
  const rng = seedrandom('bits');
  const fields = Array.from({ length: 2000 }, () => {
    const bits = Math.floor(rng() * 33);
    return { bits, value: bits === 0 ? 0 : Math.floor(rng() * 2 ** bits) };
  });
  fields.push({ bits: 32, value: 2 ** 32 - 1 }, { bits: 32, value: 0 });
  const w = new BitWriter(8);
  for (const f of fields) w.write(f.value, f.bits);
  const bytes = w.finish();
  t.is(bytes.length, Math.ceil(fields.reduce((a, f) => a + f.bits, 0) / 8));
  const r = new BitReader(bytes);
  t.deepEqual(fields.map((f) => r.read(f.bits)), fields.map((f) => f.value));
});

test('float32 fields keep their exact bit patterns, -0 and infinities included', (t) => {
  const xs = [1 / 3, -0, Infinity, -Infinity, 3.4e38, 1e-45];
  const w = new BitWriter();
  w.write(1, 3); // misalign on purpose
  for (const x of xs) w.writeFloat32(x);
  const r = new BitReader(w.finish());
  r.read(3);
  for (const x of xs) t.true(Object.is(r.readFloat32(), Math.fround(x)));
});

test('reading past the end is a ModelError (truncated file); writing a value wider than its field is refused', (t) => {
  const r = new BitReader(Uint8Array.of(0xff), 0, 6);
  r.read(4);
  t.throws(() => r.read(3), { instanceOf: ModelError, message: /truncated or corrupt/ });
  t.throws(() => new BitWriter().write(8, 3), { instanceOf: RangeError });
});

test('positions take Elias-Fano when smaller than a bitmask: 100 of 1000 in 525 bits, 500 of 1000 as a 1000-bit bitmask', (t) => {
  t.deepEqual(positionEncoding(1000, 100), { kind: 'elias-fano', universe: 1000, count: 100, lowBits: 3, bits: 525 });
  t.deepEqual(positionEncoding(1000, 500), { kind: 'bitmask', universe: 1000, count: 500, bits: 1000 });
  // 1 of 1: no room to save anything
  t.is(positionEncoding(1, 1).kind, 'bitmask');
});

test('kept positions round-trip at every density, in exactly the accounted bits', (t) => {
  const rng = seedrandom('positions');
  for (const universe of [1, 7, 64, 1000, 4099]) {
    for (const density of [0.001, 0.05, 0.2, 0.26, 0.5, 0.9, 1]) {
      const kept = Uint8Array.from({ length: universe }, () => (rng() < density ? 1 : 0));
      if (!kept.includes(1)) kept[universe - 1] = 1;
      const count = kept.reduce((a, b) => a + b, 0);
      const enc = positionEncoding(universe, count);
      const w = new BitWriter();
      writePositions(w, kept, enc);
      t.is(w.bitLength, enc.bits);
      t.deepEqual(readPositions(new BitReader(w.finish(), 0, enc.bits), enc), kept);
    }
  }
});

test('a kept count that disagrees with the stream is a ModelError', (t) => {
  const kept = Uint8Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? 1 : 0));
  const enc = positionEncoding(100, 10);
  const w = new BitWriter();
  writePositions(w, kept, enc);
  const bytes = w.finish();
  t.throws(() => readPositions(new BitReader(bytes), { ...enc, count: 9 }), { instanceOf: ModelError });
  t.throws(() => readPositions(new BitReader(bytes), positionEncoding(100, 11)), { instanceOf: ModelError });
});
