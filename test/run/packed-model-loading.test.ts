/**
 * Loading model.ashk back into tfjs: every compressible layer kind, depthwise included (stored as [kh, kw, 1, c * m],
 * loaded as the layer's [kh, kw, c, m]).
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../env/backend.js';
import { compressModel, OriginalWeights } from '../../env/compress-model.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { compressibleLayers } from '../../env/layers.js';
import { buildModel } from '../../env/models/zoo.js';
import { layerSpec } from '../../learners/types.js';
import { loadPackedModel, packCompressedModel } from '../../run/model-files.js';

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
