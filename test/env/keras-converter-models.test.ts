/**
 * Keras models as `tensorflowjs_converter` writes them. The converter is a Python package (PyPI), which this machine
 * cannot reach, so the fixtures test/fixtures/keras/{tf-keras-2,keras-3}/model.json were written by hand to the
 * converter's documented output: the layers-model format (format, generatedBy, convertedBy, modelTopology with
 * keras_version, backend, model_config and training_config, weightsManifest) around each Keras generation's
 * get_config(): tf.keras 2.15 (module / registered_name on every nested object, an InputLayer with
 * batch_input_shape) and Keras 3.5 (batch_shape, DTypePolicy objects, {args, kwargs} inbound nodes with
 * __keras_tensor__ references, a flat input_layers). Their weight shards are written here with seeded values.
 * Plain tfjs 4.22 refuses the Keras 3 file with the error of tensorflow/tfjs#8494; ours loads both, and a search,
 * export and apply run on them with the exported tfjs model loading in plain tfjs.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError } from '../../errors.js';
import { selectBackend } from '../../env/backend.js';
import { normalizeKerasTopology, normalizeWeightNames } from '../../env/models/keras-topology.js';
import { loadModel } from '../../env/models/model-io.js';
import { applyStrategy, exportStrategy } from '../../run/final/final.js';
import { runSearch } from '../../run/search.js';
import { TINY } from '../helpers/tiny-run.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const fixtures = fileURLToPath(new URL('../fixtures/keras/', import.meta.url));
type ModelJson = { modelTopology: object; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }> };

test.before(async () => {
  await selectBackend('wasm');
});

/** The fixture's model.json in a fresh folder with its shard: weight i of the whole shard = sin(i) / 10. */
function fixture(t: Parameters<typeof tmpDir>[0], generation: 'tf-keras-2' | 'keras-3'): { path: string; json: ModelJson; weights: Float32Array } {
  const dir = tmpDir(t);
  const path = join(dir, 'model.json');
  copyFileSync(join(fixtures, generation, 'model.json'), path);
  const json = JSON.parse(readFileSync(path, 'utf8')) as ModelJson;
  const n = json.weightsManifest[0].weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  const weights = Float32Array.from({ length: n }, (_, i) => Math.sin(i) / 10);
  writeFileSync(join(dir, 'group1-shard1of1.bin'), new Uint8Array(weights.buffer));
  return { path, json, weights };
}

test('Keras 3 forms become tfjs forms: batch_shape, a DTypePolicy, module/registered_name, {args, kwargs} nodes, a flat input', (t) => {
  const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  const ref = (layer: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [layer, 0, 1] } });
  const keras3 = {
    class_name: 'Functional',
    config: {
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], dtype: 'float32', name: 'in' }, registered_name: null, inbound_nodes: [] },
        { module: 'keras.layers', class_name: 'Add', config: { name: 'add', dtype: policy }, registered_name: null, inbound_nodes: [{ args: [[ref('a'), ref('b')]], kwargs: { mask: null } }] },
      ],
      input_layers: ['in', 0, 0],
      output_layers: [['add', 0, 0]],
    },
  };
  t.deepEqual(normalizeKerasTopology(keras3), {
    class_name: 'Functional',
    config: {
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', name: 'in' }, inbound_nodes: [] },
        { class_name: 'Add', config: { name: 'add', dtype: 'float32' }, inbound_nodes: [[['a', 0, 1, { mask: null }], ['b', 0, 1, { mask: null }]]] },
      ],
      input_layers: [['in', 0, 0]],
      output_layers: [['add', 0, 0]],
    },
  });
});

test("tfjs's own model.json topology passes the normaliser unchanged", (t) => {
  const input = tf.input({ shape: [6] });
  const a = tf.layers.dense({ units: 3, name: 'a' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 3, name: 'b' }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.add({}).apply([a, b]) as tf.SymbolicTensor });
  const topology = model.toJSON(null, false);
  t.deepEqual(normalizeKerasTopology(topology), topology);
  model.dispose();
});

test('a mixed_float16 dtype policy is refused in one line that says to convert a float32 model', (t) => {
  const topology = { class_name: 'Dense', config: { name: 'd', dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'mixed_float16' } } } };
  t.throws(() => normalizeKerasTopology(topology), { instanceOf: ModelError, message: /dtype policy 'mixed_float16'; tfjs computes in float32/ });
});

test('weight names prefixed by the model name (sequential/dense/kernel) lose the prefix; tfjs names stay', (t) => {
  const topology = { class_name: 'Sequential', config: { name: 'sequential', layers: [{ class_name: 'Dense', config: { name: 'dense' } }, { class_name: 'Bidirectional', config: { name: 'bi' } }] } };
  t.deepEqual(normalizeWeightNames(['sequential/dense/kernel', 'dense/bias', 'bi/forward_lstm/kernel'], topology), ['dense/kernel', 'dense/bias', 'bi/forward_lstm/kernel']);
});

test('plain tfjs refuses the Keras 3 converter file ("An InputLayer should be passed either a batchInputShape ..."); loadModel builds it', async (t) => {
  const { path, json, weights } = fixture(t, 'keras-3');
  await t.throwsAsync(tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: weights.buffer })), {
    message: /An InputLayer should be passed either a `batchInputShape` or an `inputShape`/,
  });
  const model = await loadModel(path);
  t.deepEqual(model.layers.map((l) => l.getClassName()), ['InputLayer', 'Conv2D', 'BatchNormalization', 'ReLU', 'MaxPooling2D', 'Flatten', 'Dense']);
  // the same network built in tfjs with the same weights predicts the same
  const reference = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, name: 'conv2d' }),
      tf.layers.batchNormalization({ epsilon: 0.001, name: 'batch_normalization' }),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax', name: 'dense' }),
    ],
  });
  let at = 0;
  const byName = new Map(json.weightsManifest[0].weights.map((w) => {
    const n = w.shape.reduce((a, b) => a * b, 1);
    return [w.name, tf.tensor(weights.subarray(at, (at += n)), w.shape)];
  }));
  reference.setWeights(reference.weights.map((w) => byName.get(w.originalName ?? w.name)!));
  tf.dispose([...byName.values()]);
  const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 5);
  const [p, q] = [model.predict(x) as tf.Tensor, reference.predict(x) as tf.Tensor];
  t.deepEqual(Array.from(await p.data()), Array.from(await q.data()));
  tf.dispose([x, p, q]);
  model.dispose();
  reference.dispose();
});

for (const generation of ['tf-keras-2', 'keras-3'] as const) {
  test(`the ${generation} converter file goes through search, export and apply, and the exported tfjs model loads in plain tfjs`, async (t) => {
    const { path } = fixture(t, generation);
    const workdir = tmpDir(t, 'autoshrink-keras-');
    const run = await runSearch({ ...TINY, model: path, agent: 'random', episodes: 2, rerankTop: 0 }, { workdir, backend: 'wasm' });
    t.is(run.status, 'completed');
    const strategy = await exportStrategy(run.runId, { workdir });
    t.deepEqual(strategy.layers.map((l) => l.name), ['conv2d', 'dense']);
    const out = join(workdir, 'out');
    const report = await applyStrategy(strategy, { workdir, out, steps: 0 });
    t.true(report.sizes.packedBytes > 0);
    const exported = JSON.parse(readFileSync(join(out, 'tfjs', 'model.json'), 'utf8')) as ModelJson;
    const shard = readFileSync(join(out, 'tfjs', exported.weightsManifest[0].paths[0]));
    const plain = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: exported.modelTopology, weightSpecs: exported.weightsManifest.flatMap((g) => g.weights), weightData: shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength) }),
    );
    t.deepEqual(plain.outputs[0].shape, [null, 10]);
    plain.dispose();
  });
}
