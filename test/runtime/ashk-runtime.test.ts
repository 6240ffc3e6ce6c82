/**
 * The runtime's reader in Node (the Chromium test loads the same code in a page): its inflate fallback decodes what
 * zlib writes, byte for byte, and stops at its cap; `tf.loadLayersModel(ashk(bytes))` builds the model the Node
 * loader builds, with either inflate; forged files are refused with the Node reader's own messages.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import seedrandom from 'seedrandom';
import { ModelError } from '../../errors.js';
import { selectBackend } from '../../env/backend.js';
import { compressModel, OriginalWeights } from '../../env/compress-model.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { compressibleLayers } from '../../env/layers.js';
import { buildModel } from '../../env/models/zoo.js';
import { layerSpec } from '../../learners/types.js';
import { loadPackedModel, packCompressedModel } from '../../run/final/model-files.js';
import { ashk, readAshk } from '../../runtime/index.js';
import { InflateTooLarge, inflateRawSync } from '../../runtime/tiny-inflate.js';
import { forge, lenet5File } from '../helpers/packed-files.js';

let dir = '';
test.before(async () => {
  await selectBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'autoshrink-runtime-'));
});
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const rng = seedrandom('inflate');
const text = new TextEncoder().encode(JSON.stringify({ layers: Array.from({ length: 300 }, (_, i) => ({ class_name: 'Dense', config: { units: i, name: `dense_${i}` } })) }));
const noise = Uint8Array.from({ length: 70000 }, () => Math.floor(rng() * 256));
const inputs: Array<[string, Uint8Array, number]> = [
  ['an empty input at level 9', new Uint8Array(0), 9],
  ['JSON stored (level 0: stored blocks)', text, 0],
  ['a short string (fixed Huffman codes)', new TextEncoder().encode('ASHK ASHK ASHK'), 9],
  ['JSON at level 9 (dynamic Huffman codes)', text, 9],
  ['70000 random bytes at level 6 (stored blocks chosen by zlib)', noise, 6],
  ['a 200 kB run of one byte (distance 1 copies)', new Uint8Array(200000).fill(32), 1],
];
for (const [what, input, level] of inputs) {
  test(`the inflate fallback decodes ${what} to the bytes zlib deflated`, (t) => {
    const out = inflateRawSync(deflateRawSync(input, { level }), 1 << 20);
    t.is(out.length, input.length);
    t.true(Buffer.from(out).equals(Buffer.from(input)));
  });
}

test('the inflate fallback stops at its cap: 200000 bytes of one byte with a cap of 100000 throw InflateTooLarge', (t) => {
  t.throws(() => inflateRawSync(deflateRawSync(new Uint8Array(200000)), 100000), { instanceOf: InflateTooLarge });
});

test('the inflate fallback refuses a truncated stream, a reserved block type and a distance before the start', (t) => {
  const whole = deflateRawSync(text, { level: 9 });
  t.throws(() => inflateRawSync(whole.subarray(0, whole.length >> 1), 1 << 20), { message: /ends early|invalid/ });
  t.throws(() => inflateRawSync(Uint8Array.of(0b111), 1 << 20), { message: /invalid block type/ });
  // fixed block (final, type 1): length code 257 (length 3, 7 bits 0000001), distance code 0 (distance 1) on empty output
  t.throws(() => inflateRawSync(Uint8Array.of(0b00000011, 0b00000010, 0), 1 << 20), { message: /distance before the start/ });
});

async function predictions(model: tf.LayersModel, x: tf.Tensor): Promise<Float32Array> {
  const y = model.predict(x) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  y.dispose();
  return out;
}

for (const inflate of ['auto', 'fallback'] as const) {
  test(`tf.loadLayersModel(ashk(bytes)) predicts exactly what the Node loader's model predicts on lenet5 (inflate: ${inflate})`, async (t) => {
    const file = await lenet5File();
    const path = join(dir, `lenet5-${inflate}.ashk`);
    writeFileSync(path, file);
    const [node, web] = [await loadPackedModel(path), await tf.loadLayersModel(ashk(file, { inflate }))];
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 7);
    t.deepEqual(await predictions(web, x), await predictions(node, x));
    tf.dispose([x]);
    node.dispose();
    web.dispose();
  });
}

test('a compressed depthwise kernel, stored [kh, kw, 1, c * m], loads as the layer\'s [kh, kw, c, m]: mobilenet-tiny predicts as in Node', async (t) => {
  const data = loadDataset('mnist', { seed: 1 });
  const model = buildModel('mobilenet-tiny', data.inputShape, data.numClasses);
  const layers = compressibleLayers(model);
  const originals = new OriginalWeights(model, layers);
  const compressed = await compressModel(model, originals, layers.map((layer) => ({ layer, spec: layerSpec({ bits: 4 }) })), data, { steps: 0, batchSize: 8, learningRate: 1e-3, seed: 1 });
  const file = packCompressedModel(model, compressed);
  originals.dispose();
  const web = await tf.loadLayersModel(ashk(file));
  const x = tf.randomUniform([2, ...data.inputShape], 0, 1, 'float32', 3);
  t.deepEqual(await predictions(web, x), await predictions(model, x));
  t.true(layers.some((l) => l.kind === 'depthwise'));
  tf.dispose(x);
  web.dispose();
  model.dispose();
});

const forgeries: Array<[string, (file: Uint8Array) => Uint8Array, RegExp]> = [
  ['a file that is not a packed model', () => new TextEncoder().encode('{"modelTopology": {}}'), /does not start with 'ASHK'/],
  ['shapes holding more than 2^26 weights', (f) => forge(f, (h) => (h.tensors[1].shape = [2 ** 14, 2 ** 13])), /more than 67108864 weights/],
  ['a header deflated from 64 MiB', (f) => forge(f, () => {}, deflateRawSync(Buffer.alloc(64 << 20, 32))), /header inflates past 16777216 bytes/],
  ['a header that is not deflate', (f) => forge(f, () => {}, Uint8Array.of(0xff, 0xff, 0xff, 0xff)), /not valid deflated JSON/],
  ['a tensor moved by one byte', (f) => forge(f, (h) => (h.tensors[1].offset += 1)), /lies at bytes/],
  ['a kernel without its spec', (f) => forge(f, (h) => delete h.tensors[0].spec), /header field tensors\[0\]\.spec: is required/],
  ['a fractional shape', (f) => forge(f, (h) => (h.tensors[0].shape = [2.5, 5, 1, 6])), /header field tensors\[0\]\.shape\[0\]: must be an integer >= 1/],
  ['an unknown header field', (f) => forge(f, (h) => (h.extra = 1)), /header field \(top level\): has an unknown field 'extra'/],
  ['a Dense layer of 10^9 units in the topology', (f) => forge(f, (h) => (h.topology.config.layers.find((l: any) => l.class_name === 'Dense').config.units = 1e9)), /does not match its kernel/],
  ['a truncated payload', (f) => f.subarray(0, f.length - 1), /truncated or corrupt/],
];

for (const [what, make, message] of forgeries) {
  test(`the runtime refuses ${what} with the Node reader's ModelError, with either inflate`, async (t) => {
    const forged = make(await lenet5File());
    const path = join(dir, `forged-${what.replace(/\W+/g, '-')}.ashk`);
    writeFileSync(path, forged);
    const node = await t.throwsAsync(loadPackedModel(path), { instanceOf: ModelError, message });
    for (const inflate of ['auto', 'fallback'] as const) {
      const web = await t.throwsAsync(readAshk(forged, { inflate }), { instanceOf: ModelError, message });
      t.is(web!.message.replace('(bytes)', path), node!.message, inflate);
    }
  });
}
