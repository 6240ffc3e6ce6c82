import test from 'ava';
import { deflateRawSync, gzipSync, inflateRawSync } from 'node:zlib';
import * as tf from '../../tfjs.js';
import seedrandom from 'seedrandom';
import { ConfigError, ModelError } from '../../errors.js';
import { compressLayer } from '../../learners/compress-layer.js';
import { packModel, packedSizeReport, unpackModel } from '../../learners/model-pack.js';
import { sizeBits } from '../../learners/size.js';
import { layerSpec } from '../../learners/types.js';

function weights(n: number, seed: string): Float32Array {
  const rng = seedrandom(seed);
  return Float32Array.from({ length: n }, () => (rng() - 0.5) * 0.3);
}

test('a packed tfjs model unpacks to the same topology and compressed weights, and the rebuilt model predicts the same', async (t) => {
  const before = tf.memory().numTensors;
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [8], units: 6, activation: 'relu' }), tf.layers.dense({ units: 3, activation: 'softmax' })],
  });
  const [k0, b0, k1, b1] = model.getWeights().map((w) => ({ shape: w.shape, values: w.dataSync() as Float32Array }));
  const specs = [layerSpec({ pruneRatio: 0.5, clusters: 4, bits: 4 }), layerSpec({ bits: 6, bucket: 'channel' })];
  const compressed = [compressLayer(k0.values, k0.shape, specs[0]), compressLayer(k1.values, k1.shape, specs[1])];
  const topology = model.toJSON(null, false);
  const file = packModel({
    topology,
    layers: [
      { name: 'dense_1/kernel', shape: k0.shape, spec: specs[0], compressed: compressed[0] },
      { name: 'dense_2/kernel', shape: k1.shape, spec: specs[1], compressed: compressed[1] },
    ],
    extra: [
      { name: 'dense_1/bias', shape: b0.shape, values: b0.values },
      { name: 'dense_2/bias', shape: b1.shape, values: b1.values },
    ],
  });
  t.is(new TextDecoder().decode(file.subarray(0, 4)), 'ASHK');

  const unpacked = unpackModel(file);
  t.deepEqual(unpacked.topology, topology);
  t.deepEqual(unpacked.tensors.map((x) => x.name), ['dense_1/kernel', 'dense_2/kernel', 'dense_1/bias', 'dense_2/bias']);
  t.deepEqual(unpacked.tensors[0].values, compressed[0].values);
  t.deepEqual(unpacked.tensors[1].values, compressed[1].values);
  t.deepEqual(unpacked.tensors[3].values, b1.values);

  // apply: the compressed weights in the original model, and a model rebuilt from the file, agree
  const order = [0, 2, 1, 3];
  const fromFile = order.map((i) => tf.tensor(unpacked.tensors[i].values, unpacked.tensors[i].shape));
  const rebuilt = (await tf.models.modelFromJSON(unpacked.topology as tf.serialization.ConfigDict)) as tf.LayersModel;
  rebuilt.setWeights(fromFile);
  const direct = [tf.tensor(compressed[0].values, k0.shape), tf.tensor(b0.values, b0.shape), tf.tensor(compressed[1].values, k1.shape), tf.tensor(b1.values, b1.shape)];
  model.setWeights(direct);
  const x = tf.tensor2d(weights(16, 'x'), [2, 8]);
  const [p, q] = [model.predict(x) as tf.Tensor, rebuilt.predict(x) as tf.Tensor];
  t.deepEqual(p.dataSync(), q.dataSync());
  tf.dispose([x, p, q, ...fromFile, ...direct]);
  model.dispose();
  rebuilt.dispose();
  t.is(tf.memory().numTensors, before, 'no tensor leaked');
});

test('the file is its header plus, per kernel, ceil(sizeBits / 8) bytes, plus 4 bytes per fp32 value', (t) => {
  const spec = layerSpec({ pruneRatio: 0.9, bits: 5 });
  const file = packModel({
    topology: { name: 'tiny' },
    layers: [{ name: 'k', shape: [30, 7], spec, weights: weights(210, 'k') }],
    extra: [{ name: 'b', shape: [7], values: new Float32Array(7) }],
  });
  const report = packedSizeReport(file);
  t.is(report.compressedBytes, Math.ceil(sizeBits([30, 7], spec) / 8));
  t.is(report.fp32Bytes, 28);
  t.is(report.payloadBytes, report.compressedBytes + report.fp32Bytes);
  t.is(report.totalBytes, report.headerBytes + report.payloadBytes);
  t.is(file.length, report.totalBytes);
  t.deepEqual(report.tensors.map((x) => [x.name, x.kind, x.bits]), [['k', 'compressed', sizeBits([30, 7], spec)], ['b', 'fp32', 224]]);
});

test('50% pruning with 16 clusters at 4 bits makes a [300, 100] kernel file more than 9x smaller than fp32', (t) => {
  const w = weights(30_000, 'big');
  const file = packModel({ topology: {}, layers: [{ name: 'k', shape: [300, 100], spec: layerSpec({ pruneRatio: 0.5, clusters: 16, bits: 4 }), weights: w }] });
  const fp32 = 4 * w.length;
  const r = packedSizeReport(file);
  t.log(`fp32 ${fp32} B, packed ${r.totalBytes} B (header ${r.headerBytes} B), gzip of packed ${gzipSync(file).length} B, gzip of fp32 ${gzipSync(new Uint8Array(w.buffer)).length} B`);
  t.true(r.totalBytes * 9 < fp32);
});

test('files that are not packed models, of another version, truncated or with a broken header are ModelErrors', (t) => {
  const file = packModel({ topology: { a: 1 }, layers: [{ name: 'k', shape: [4, 4], spec: layerSpec({ bits: 2 }), weights: weights(16, 'c') }] });
  t.throws(() => unpackModel(new TextEncoder().encode('{"modelTopology": {}}')), { instanceOf: ModelError, message: /does not start with 'ASHK'/ });
  const v3 = file.slice();
  v3[4] = 3;
  t.throws(() => unpackModel(v3), { instanceOf: ModelError, message: /version 3 is not supported/ });
  t.throws(() => unpackModel(file.subarray(0, file.length - 1)), { instanceOf: ModelError, message: /truncated or corrupt/ });
  t.throws(() => unpackModel(file.subarray(0, 12)), { instanceOf: ModelError, message: /truncated/ });
  const broken = file.slice();
  broken.fill(0xff, 10, 14); // the start of the deflated header
  t.throws(() => unpackModel(broken), { instanceOf: ModelError, message: /not valid deflated JSON/ });
});

test('packing refuses duplicate names and layers given both weights and a compressed layer', (t) => {
  const spec = layerSpec({ bits: 8 });
  const w = weights(4, 'd');
  t.throws(() => packModel({ topology: {}, layers: [{ name: 'k', shape: [4], spec, weights: w }], extra: [{ name: 'k', shape: [4], values: w }] }), {
    instanceOf: ConfigError,
    message: /'k' appears twice/,
  });
  t.throws(() => packModel({ topology: {}, layers: [{ name: 'k', shape: [4], spec, weights: w, compressed: compressLayer(w, [4], spec) }] }), {
    instanceOf: ConfigError,
    message: /not both/,
  });
});

test('a version 1 file (no coding field, fixed-width kernels) still unpacks to the same weights', (t) => {
  const w = weights(64, 'v1');
  const spec = layerSpec({ bits: 3, pruneRatio: 0.5 });
  const v2 = packModel({ topology: { a: 1 }, layers: [{ name: 'k', shape: [8, 8], spec, weights: w }] });
  const view = new DataView(v2.buffer);
  const length = view.getUint32(6, true);
  const header = JSON.parse(inflateRawSync(v2.subarray(10, 10 + length)).toString('utf8'));
  header.version = 1;
  delete header.tensors[0].coding;
  const json = deflateRawSync(Buffer.from(JSON.stringify(header)));
  const v1 = new Uint8Array(10 + json.length + header.payloadBytes);
  v1.set(v2.subarray(0, 10));
  new DataView(v1.buffer).setUint16(4, 1, true);
  new DataView(v1.buffer).setUint32(6, json.length, true);
  v1.set(json, 10);
  v1.set(v2.subarray(10 + length), 10 + json.length);
  t.deepEqual(unpackModel(v1).tensors[0].values, unpackModel(v2).tensors[0].values);
  t.deepEqual(unpackModel(v1).tensors[0].values, compressLayer(w, [8, 8], spec).values);
});

test('entropy coding makes a 4-bit [300, 100] kernel of Gaussian weights smaller than its fixed width, and the report says both', (t) => {
  const spec = layerSpec({ bits: 4, quantRange: 'minmax' });
  const rng = seedrandom('gauss');
  const w = Float32Array.from({ length: 30000 }, () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
  const fixed = packModel({ topology: {}, layers: [{ name: 'k', shape: [300, 100], spec, weights: w }] });
  const coded = packModel({ topology: {}, layers: [{ name: 'k', shape: [300, 100], spec, weights: w }] }, { entropy: true });
  const r = packedSizeReport(coded);
  t.is(r.fixedPayloadBytes, Math.ceil(sizeBits([300, 100], spec) / 8));
  t.is(packedSizeReport(fixed).payloadBytes, r.fixedPayloadBytes);
  t.true(r.payloadBytes < r.fixedPayloadBytes, `${r.payloadBytes} coded against ${r.fixedPayloadBytes} fixed`);
  t.not(r.tensors[0].coding, 'fixed');
  t.deepEqual(unpackModel(coded).tensors[0].values, unpackModel(fixed).tensors[0].values);
});
