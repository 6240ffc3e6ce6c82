/**
 * The tfjs export in tfjs's own weight-quantization format: plain tf.loadLayersModel reads it (no autoshrink code),
 * its validation accuracy stays within 0.1 point of the model it came from, and uint8 tensors make it about 4x smaller
 * than fp32. The storage types are chosen on validation: the test split only reports.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compressModel, OriginalWeights } from '../../env/compress-model.js';
import { seededPermutation } from '../../env/data/dataset.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { evaluateAccuracy } from '../../env/evaluate.js';
import { compressibleLayers } from '../../env/layers.js';
import { loadOrTrainBaseline } from '../../env/models/baseline-cache.js';
import { layerSpec } from '../../learners/types.js';
import { exportQuantizedTfjs } from '../../run/final/model-files.js';
import { removeDir, tinyWorkdir } from '../helpers/tiny-run.js';

let dir = '';
// the 1-epoch mlp is trained here once; the test loads it from the cache
test.before(async () => (dir = await tinyWorkdir('tfjs-export')));
test.after.always(() => removeDir(dir));

test('a compressed mlp exports to quantized tfjs that plain tf.loadLayersModel loads within 0.1 point of its validation accuracy', async (t) => {
  const data = loadDataset('mnist', { seed: 1 });
  const { model } = await loadOrTrainBaseline('mlp', data, { workdir: dir, dataSeed: 1, epochs: 1 });
  const layers = compressibleLayers(model);
  const originals = new OriginalWeights(model, layers);
  await compressModel(model, originals, layers.map((layer) => ({ layer, spec: layerSpec({ bits: 4, pruneRatio: 0.5, bucket: 'channel' }) })), data, { steps: 0, batchSize: 8, learningRate: 1e-3, seed: 1 });
  const accuracy = await evaluateAccuracy(model, data.validation, data.inputShape);
  const before = model.getWeights().map((w) => Array.from(w.dataSync()));
  const out = join(dir, 'tfjs');
  const r = await exportQuantizedTfjs(model, out, { choose: data.validation, targetAccuracy: accuracy, report: data.test, inputShape: data.inputShape });
  t.deepEqual(model.getWeights().map((w) => Array.from(w.dataSync())), before, 'the model keeps its weights');

  const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }> };
  const specs = json.weightsManifest[0].weights;
  t.true(specs.every((s) => s.quantization?.dtype === 'uint8' || s.quantization?.dtype === 'float16'));
  t.is(r.uint8 + r.float16, specs.length);
  const bin = readFileSync(join(out, json.weightsManifest[0].paths[0]));
  t.is(bin.length, r.weightsBytes);
  t.is(r.bytes, statSync(join(out, 'model.json')).size + bin.length);
  const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: new Uint8Array(bin).buffer }));
  t.is(await evaluateAccuracy(loaded, data.test, data.inputShape), r.testAccuracy, 'the reported accuracy is the test split');
  const tfjsAccuracy = await evaluateAccuracy(loaded, data.validation, data.inputShape);
  t.true(tfjsAccuracy >= accuracy - 0.001, `validation ${tfjsAccuracy} against model.ashk's ${accuracy}`);
  // the mlp's fp32 weights are 4 x 266,610 bytes: all uint8 would be 266,610
  const fp32 = model.weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a! * b!, 1)!, 0);
  t.true(r.weightsBytes < fp32 / 3, `${r.weightsBytes} bytes against ${fp32} fp32 (${r.uint8} uint8, ${r.float16} float16)`);
  t.log(`tfjs ${r.bytes} B (${r.uint8} uint8, ${r.float16} float16), validation ${tfjsAccuracy}; compressed ${accuracy}; fp32 weights ${fp32} B`);
  loaded.dispose();

  // the same export with the test labels shuffled: the same storage types, the same bytes; only the report moves
  const shuffled = Int32Array.from(data.test.y);
  const perm = seededPermutation(shuffled.length, 'shuffle-test-labels');
  for (let i = 0; i < shuffled.length; i++) shuffled[i] = data.test.y[perm[i]];
  const again = await exportQuantizedTfjs(model, join(dir, 'tfjs-shuffled'), { choose: data.validation, targetAccuracy: accuracy, report: { ...data.test, y: shuffled }, inputShape: data.inputShape });
  t.deepEqual([again.uint8, again.float16, again.bytes], [r.uint8, r.float16, r.bytes]);
  t.deepEqual(readFileSync(join(dir, 'tfjs-shuffled', 'weights.bin')), bin);
  t.true(again.testAccuracy < r.testAccuracy - 0.5, `shuffled labels score near chance (${again.testAccuracy}), so the report did read them`);
  originals.dispose();
  model.dispose();
});
