/**
 * Loading model.ashk back into tfjs: every compressible layer kind, depthwise included (stored as [kh, kw, 1, c * m],
 * loaded as the layer's [kh, kw, c, m]), and the layer types beyond Dense and Conv2D (Embedding, Conv1D, GRU, SeparableConv2D,
 * Conv2DTranspose); and forged files refused with a ModelError (exit 2) before the allocations
 * they ask for.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { ModelError } from '../../errors.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../env/backend.js';
import { compressModel, OriginalWeights } from '../../env/compress-model.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { compressibleLayers } from '../../env/layers.js';
import { buildModel } from '../../env/models/zoo.js';
import { layerSpec } from '../../learners/types.js';
import { loadPackedModel, packCompressedModel } from '../../run/final/model-files.js';
import { forge, lenet5File } from '../helpers/packed-files.js';

let dir = '';
test.before(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'autoshrink-packed-'));
});
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test('mobilenet-tiny with compressed depthwise layers packs, loads back and predicts the same', async (t) => {
  const data = loadDataset('mnist', { seed: 1 });
  const model = buildModel('mobilenet-tiny', data.inputShape, data.numClasses);
  const layers = compressibleLayers(model);
  t.true(layers.some((l) => l.kind === 'depthwise'));
  const originals = new OriginalWeights(model, layers);
  const plan = layers.map((layer, i) => ({ layer, spec: layerSpec({ bits: 3 + (i % 3), pruneRatio: i % 2 ? 0.5 : 0, bucket: 'channel' }) }));
  const compressed = await compressModel(model, originals, plan, data, { steps: 2, batchSize: 8, learningRate: 1e-3, seed: 1 });
  const path = join(dir, 'mobilenet-tiny.ashk');
  writeFileSync(path, packCompressedModel(model, compressed));
  const loaded = await loadPackedModel(path);
  const x = tf.randomUniform([4, ...data.inputShape], 0, 1, 'float32', 3);
  const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
  t.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  for (const w of model.weights) {
    const v = loaded.weights.find((u) => (u.originalName ?? u.name) === (w.originalName ?? w.name))!;
    t.deepEqual(v.shape, w.shape);
  }
  tf.dispose([x, a, b]);
  originals.dispose();
  model.dispose();
  loaded.dispose();
});

const forgeries: Array<[string, (file: Uint8Array) => Uint8Array, RegExp]> = [
  ['a kernel claiming a shape of 2^25 weights', (f) => forge(f, (h) => (h.tensors[0].shape = [2 ** 25])), /claims .* bits|lies at/],
  ['shapes holding more than 2^26 weights', (f) => forge(f, (h) => (h.tensors[1].shape = [2 ** 14, 2 ** 13])), /more than 67108864 weights/],
  ['a header deflated from 64 MiB', (f) => forge(f, () => {}, deflateRawSync(Buffer.alloc(64 << 20, 32))), /inflates past/],
  ['a tensor moved by one byte', (f) => forge(f, (h) => (h.tensors[1].offset += 1)), /lies at bytes/],
  ['a kernel without its spec', (f) => forge(f, (h) => delete h.tensors[0].spec), /field tensors\[0\]\.spec/],
  ['a negative shape', (f) => forge(f, (h) => (h.tensors[0].shape = [-5, 5, 1, 6])), /field tensors\[0\]\.shape\[0\]/],
  ['a fractional shape', (f) => forge(f, (h) => (h.tensors[0].shape = [2.5, 5, 1, 6])), /field tensors\[0\]\.shape\[0\]/],
  ['a bias with too few bytes', (f) => forge(f, (h) => h.tensors.find((t: any) => t.kind === 'fp32').shape.push(2)), /bytes for fp32 shape|lies at/],
  ['a Dense layer of 10^9 units in the topology', (f) => forge(f, (h) => (h.topology.config.layers.find((l: any) => l.class_name === 'Dense').config.units = 1e9)), /does not match its kernel/],
  ['an input of 10^5 x 10^5 pixels', (f) => forge(f, (h) => (h.topology.config.layers[0].config.batch_input_shape = [null, 1e5, 1e5, 1])), /input shape/],
  ['a tensor renamed away from its weight', (f) => forge(f, (h) => { const t = h.tensors.pop(); h.tensors.push({ ...t, name: 'ghost/bias' }); }), /lacks tensor fc3\/bias/],
];

for (const [what, make, message] of forgeries) {
  test(`a packed file with ${what} is refused with a ModelError before allocating what it claims`, async (t) => {
    const path = join(dir, `forged-${what.replace(/\W+/g, '-')}.ashk`);
    writeFileSync(path, make(await lenet5File()));
    const before = process.memoryUsage().arrayBuffers;
    const error = await t.throwsAsync(loadPackedModel(path), { instanceOf: ModelError, message });
    t.false(error!.message.includes('\n'), 'one line');
    // the largest claims above are 128 MiB (2^25 fp32), 256 MiB and a 64 MiB header
    t.true(process.memoryUsage().arrayBuffers - before < 32 << 20, 'bounded memory');
  });
}

test('the CLI refuses a deflate bomb in one line with exit code 2', async (t) => {
  const path = join(dir, 'bomb.ashk');
  writeFileSync(path, forge(await lenet5File(), () => {}, deflateRawSync(Buffer.alloc(64 << 20, 32))));
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'evaluate', path, '--backend', 'cpu'], { cwd: repo }, (err, _out, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }));
  });
  t.is(code, 2);
  const lines = stderr.trim().split('\n').filter((l) => !l.startsWith('backend:'));
  t.is(lines.length, 1, stderr);
  t.regex(lines[0], /^error: packed model header inflates past/);
});

let sequenceFile: Promise<Uint8Array> | null = null;
/** A packed model holding every newly supported kernel (3-bit, not fine-tuned), built once: embedding -> conv1d ->
 * GRU -> dense, a separable and a transposed conv on an image branch, and a Bidirectional LSTM. */
function sequenceModelFile(): Promise<Uint8Array> {
  sequenceFile ??= (async () => {
    const ids = tf.input({ shape: [6] });
    const seq = tf.layers.gru({ units: 4, name: 'gru' }).apply(tf.layers.conv1d({ filters: 5, kernelSize: 3, name: 'c1' }).apply(tf.layers.embedding({ inputDim: 20, outputDim: 4, name: 'embed' }).apply(ids))) as tf.SymbolicTensor;
    const image = tf.input({ shape: [4, 4, 2] });
    const up = tf.layers.conv2dTranspose({ filters: 3, kernelSize: 2, strides: 2, name: 'up' }).apply(tf.layers.separableConv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'sep' }).apply(image)) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({}).apply(up) as tf.SymbolicTensor;
    const steps = tf.input({ shape: [5, 2] });
    const bi = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2, name: 'inner' }) as tf.RNN, name: 'bi' }).apply(steps) as tf.SymbolicTensor;
    const head = tf.layers.dense({ units: 2, activation: 'softmax', name: 'head' }).apply(tf.layers.concatenate().apply([seq, pooled, bi])) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [ids, image, steps], outputs: head });
    const layers = compressibleLayers(model);
    const originals = new OriginalWeights(model, layers);
    const data = loadDataset('mnist', { seed: 1 });
    const compressed = await compressModel(model, originals, layers.map((layer) => ({ layer, spec: layerSpec({ bits: 3 }) })), data, { steps: 0, batchSize: 8, learningRate: 1e-3, seed: 1, bnBatches: 0 });
    const file = packCompressedModel(model, compressed);
    originals.dispose();
    model.dispose();
    return file;
  })();
  return sequenceFile;
}

test('embedding, conv1d, GRU, separable and transposed convs pack with every kernel compressed and load back exactly', async (t) => {
  const path = join(dir, 'sequence.ashk');
  writeFileSync(path, await sequenceModelFile());
  const loaded = await loadPackedModel(path);
  t.teardown(() => loaded.dispose());
  t.deepEqual(compressibleLayers(loaded).map((l) => l.name).sort(), [
    'bi/backward/kernel', 'bi/backward/recurrent', 'bi/forward/kernel', 'bi/forward/recurrent',
    'c1', 'embed', 'gru/kernel', 'gru/recurrent', 'head', 'sep/depthwise', 'sep/pointwise', 'up',
  ]);
  // 3 bits, per-channel buckets: every kernel holds at most 2^3 = 8 values per output channel
  const gruKernel = loaded.getLayer('gru').getWeights()[0];
  t.deepEqual(gruKernel.shape, [5, 12]);
  const values = gruKernel.arraySync() as number[][];
  for (let c = 0; c < 12; c++) t.true(new Set(values.map((row) => row[c])).size <= 8, `gru kernel column ${c}`);
});

const sequenceForgeries: Array<[string, (h: any) => void, RegExp]> = [
  ['an Embedding of 10^9 words', (h) => (h.topology.config.layers.find((l: any) => l.class_name === 'Embedding').config.input_dim = 1e9), /layer embed's config does not match its embeddings/],
  ['a GRU of 10^5 units', (h) => (h.topology.config.layers.find((l: any) => l.class_name === 'GRU').config.units = 1e5), /layer gru's config does not match its kernel/],
  ['a SeparableConv2D of 10^6 filters', (h) => (h.topology.config.layers.find((l: any) => l.class_name === 'SeparableConv2D').config.filters = 1e6), /layer sep's config does not match its pointwise_kernel/],
  ['a Conv1D with a window of 10^4', (h) => (h.topology.config.layers.find((l: any) => l.class_name === 'Conv1D').config.kernel_size = [1e4]), /layer c1's config does not match its kernel/],
  ['a Bidirectional LSTM of 10^5 units', (h) => (h.topology.config.layers.find((l: any) => l.class_name === 'Bidirectional').config.layer.config.units = 1e5), /layer bi's config does not match its forward_inner\/kernel/],
  ['a Conv2DTranspose without its kernel', (h) => (h.tensors.find((x: any) => x.name === 'up/kernel').name = 'up/other'), /layer up has no kernel in the tensor table/],
];

for (const [what, edit, message] of sequenceForgeries) {
  test(`a packed file with ${what} is refused with a one-line ModelError`, async (t) => {
    const path = join(dir, `forged-${what.replace(/\W+/g, '-')}.ashk`);
    writeFileSync(path, forge(await sequenceModelFile(), edit));
    const error = await t.throwsAsync(loadPackedModel(path), { instanceOf: ModelError, message });
    t.false(error!.message.includes('\n'), 'one line');
  });
}
