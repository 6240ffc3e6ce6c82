import test from 'ava';
import { CheckpointFormatError, decodeCheckpoint, encodeCheckpoint } from '../../run/store/checkpoint-codec.js';

const bits = (a: ArrayBufferView): number[] => [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];

test('typed arrays come back with their type and every bit, at any depth', (t) => {
  const f32 = new Float32Array([0.1, -0, NaN, Infinity, -3.4e38, 1e-45]);
  const f64 = new Float64Array([Math.PI, -0, Number.MIN_VALUE, -Infinity]);
  const i32 = new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, -1]);
  const u8 = new Uint8Array([0, 255, 7]);
  const value = { actor: { layers: [{ kernel: f32, bias: f64 }] }, replay: { actions: i32, done: u8 }, empty: new Float32Array(0) };
  const back = decodeCheckpoint(encodeCheckpoint(value)) as any;
  const pairs: [ArrayBufferView, unknown][] = [[f32, back.actor.layers[0].kernel], [f64, back.actor.layers[0].bias], [i32, back.replay.actions], [u8, back.replay.done], [value.empty, back.empty]];
  for (const [original, decoded] of pairs) {
    t.is(Object.getPrototypeOf(decoded), Object.getPrototypeOf(original));
    t.deepEqual(bits(decoded as ArrayBufferView), bits(original));
  }
});

test('JSON values, special numbers and "$" keys round-trip exactly', (t) => {
  const value = {
    n: 1.5, big: 2 ** 53, nan: NaN, inf: -Infinity, negZero: -0, s: 'é\u0000"', yes: true, nothing: null,
    list: [1, [2, 'x'], { $a: 0 }], $n: 'NaN', $$deep: { $a: 'not an array' }, nested: { '': 0 },
  };
  const back = decodeCheckpoint(encodeCheckpoint(value)) as any;
  t.deepEqual(back, value);
  t.true(Object.is(back.negZero, -0));
  t.true(Number.isNaN(back.nan));
});

test('a "__proto__" key stays an own property and does not change the prototype', (t) => {
  const value = JSON.parse('{"__proto__": {"polluted": 1}, "x": 1}');
  const back = decodeCheckpoint(encodeCheckpoint(value)) as any;
  t.is(Object.getPrototypeOf(back), Object.prototype);
  t.deepEqual(Object.keys(back), ['__proto__', 'x']);
  t.is(back.polluted, undefined);
});

test('a subarray view stores only its own elements', (t) => {
  const whole = new Float32Array([1, 2, 3, 4, 5]);
  const back = decodeCheckpoint(encodeCheckpoint({ v: whole.subarray(1, 3), b: Buffer.from([9, 8]) })) as any;
  t.deepEqual([...back.v], [2, 3]);
  t.is(back.v.buffer.byteLength, 8);
  t.is(Object.getPrototypeOf(back.b), Uint8Array.prototype);
  t.deepEqual([...back.b], [9, 8]);
});

test('the layout is magic, version, header length, JSON header, then 8-aligned little-endian data', (t) => {
  const bytes = encodeCheckpoint({ w: new Float32Array([0.5]) });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  t.is(new TextDecoder().decode(bytes.subarray(0, 4)), 'ASCK');
  t.is(view.getUint32(4, true), 1);
  const headerLength = view.getUint32(8, true);
  t.deepEqual(JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))), {
    value: { w: { $a: 0 } },
    arrays: [{ dtype: 'float32', offset: 0, length: 1 }],
  });
  const dataStart = Math.ceil((12 + headerLength) / 8) * 8;
  t.is(bytes.byteLength, dataStart + 4);
  t.is(view.getFloat32(dataStart, true), 0.5);
});

test('arrays after an odd-sized one start at multiples of 8 bytes', (t) => {
  const bytes = encodeCheckpoint([new Uint8Array(3), new Float64Array([1]), new Int32Array(1)]);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  t.deepEqual(header.arrays.map((a: { offset: number }) => a.offset), [0, 8, 16]);
});

test('values a checkpoint cannot hold are refused with their path', (t) => {
  const cases: [unknown, RegExp][] = [
    [{ a: { f: () => 1 } }, /checkpoint\.a\.f is a function/],
    [{ a: [1, undefined] }, /checkpoint\.a\[1\] is undefined/],
    [{ n: 10n }, /checkpoint\.n is a bigint/],
    [{ m: new Map() }, /checkpoint\.m is a Map/],
    [{ d: new Date(0) }, /checkpoint\.d is a Date/],
    [{ t: new Int16Array(2) }, /checkpoint\.t is a Int16Array/],
    [{ t: new Uint8ClampedArray(2) }, /checkpoint\.t is a Uint8ClampedArray/],
  ];
  for (const [value, message] of cases) t.throws(() => encodeCheckpoint(value), { instanceOf: TypeError, message });
  const cycle: Record<string, unknown> = {};
  cycle.self = { back: cycle };
  t.throws(() => encodeCheckpoint(cycle), { instanceOf: TypeError, message: /checkpoint\.self\.back .*cycle/ });
});

test('a shared (non-cyclic) object is stored twice, not refused', (t) => {
  const shared = { w: new Float32Array([1]) };
  const back = decodeCheckpoint(encodeCheckpoint({ a: shared, b: shared })) as any;
  t.deepEqual([...back.a.w, ...back.b.w], [1, 1]);
});

test('undefined properties are dropped, as JSON.stringify does', (t) => {
  t.deepEqual(decodeCheckpoint(encodeCheckpoint({ a: 1, b: undefined })), { a: 1 });
});

test('truncated, foreign and newer blobs are refused with a CheckpointFormatError', (t) => {
  const good = encodeCheckpoint({ w: new Float64Array([1, 2, 3]) });
  t.throws(() => decodeCheckpoint(good.subarray(0, good.byteLength - 1)), { instanceOf: CheckpointFormatError, message: /past the end/ });
  t.throws(() => decodeCheckpoint(good.subarray(0, 20)), { instanceOf: CheckpointFormatError, message: /truncated/ });
  t.throws(() => decodeCheckpoint(new TextEncoder().encode('{"not": "a checkpoint"}')), { instanceOf: CheckpointFormatError, message: /magic/ });
  const newer = good.slice();
  new DataView(newer.buffer).setUint32(4, 2, true);
  t.throws(() => decodeCheckpoint(newer), { instanceOf: CheckpointFormatError, message: /v2.*newer autoshrink/ });
});

test('a header naming an unknown dtype or a missing array is refused', (t) => {
  const forge = (header: unknown): Uint8Array => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(12 + json.byteLength + 64);
    out.set(new TextEncoder().encode('ASCK'));
    new DataView(out.buffer).setUint32(4, 1, true);
    new DataView(out.buffer).setUint32(8, json.byteLength, true);
    out.set(json, 12);
    return out;
  };
  t.throws(() => decodeCheckpoint(forge({ value: null, arrays: [{ dtype: 'constructor', offset: 0, length: 1 }] })), { instanceOf: CheckpointFormatError });
  t.throws(() => decodeCheckpoint(forge({ value: { $a: 'length' }, arrays: [] })), { instanceOf: CheckpointFormatError, message: /missing array/ });
  t.throws(() => decodeCheckpoint(forge({ value: { $n: 'toString' }, arrays: [] })), { instanceOf: CheckpointFormatError, message: /unknown number/ });
});
