/**
 * A Sequential nested in a model is loaded as its own layers in a chain, so its kernels are searched instead of left
 * at fp32: the loaded model lists the inner layers, computes what the saved model computes, and a Sequential called
 * twice (shared) stays one layer. A layer class tfjs does not know is one line that says so.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../../errors.js';
import { compressibleLayers } from '../../env/layers.js';
import { loadModel, saveModel } from '../../env/models/model-io.js';
import { tmpDir } from '../helpers/tmp-dir.js';

/** Dense 2 -> 2 with kernel [[a, 0], [0, a]] and bias 1: doubles x at a = 2, then adds 1. */
const dense = (name: string, a: number, inputShape?: number[]) =>
  tf.layers.dense({ units: 2, name, kernelInitializer: tf.initializers.identity({ gain: a }), biasInitializer: 'ones', ...(inputShape ? { inputShape } : {}) });

async function roundTrip(t: Parameters<typeof tmpDir>[0], model: tf.LayersModel): Promise<tf.LayersModel> {
  const dir = join(tmpDir(t), 'model');
  await saveModel(model, dir);
  const loaded = await loadModel(dir);
  t.teardown(() => loaded.dispose());
  return loaded;
}

const predict = (m: tf.LayersModel, x: number[]) => tf.tidy(() => [...(m.predict(tf.tensor2d([x])) as tf.Tensor).dataSync()]);

test('a Sequential inside a functional model loads as its layers: in1, in2, head searched; [1, 2] -> 2*(2*[1,2]+1)+1 = [7, 11] -> 3*x+1 = [22, 34]', async (t) => {
  const inner = tf.sequential({ name: 'inner', layers: [dense('in1', 2, [2]), dense('in2', 2)] });
  const input = tf.input({ shape: [2] });
  const out = dense('head', 3).apply(inner.apply(input)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  t.teardown(() => model.dispose());
  t.deepEqual(predict(model, [1, 2]), [22, 34]);
  const loaded = await roundTrip(t, model);
  t.deepEqual(loaded.layers.map((l) => l.name).slice(1), ['in1', 'in2', 'head']);
  t.deepEqual(compressibleLayers(loaded).map((l) => l.name), ['in1', 'in2', 'head']);
  t.deepEqual(predict(loaded, [1, 2]), [22, 34]);
});

test('a Sequential inside a Sequential loads as one chain: [1, 2] -> [3, 5] -> [7, 11]', async (t) => {
  const inner = tf.sequential({ name: 'inner', layers: [dense('in1', 2, [2])] });
  const model = tf.sequential({ layers: [inner, dense('outer', 2)] });
  t.teardown(() => model.dispose());
  const loaded = await roundTrip(t, model);
  t.deepEqual(compressibleLayers(loaded).map((l) => l.name), ['in1', 'outer']);
  t.deepEqual(predict(loaded, [1, 2]), [7, 11]);
});

test('a Sequential called twice stays one shared layer and computes the same: [1, 2] -> [3, 5] -> [7, 11]', async (t) => {
  const inner = tf.sequential({ name: 'inner', layers: [dense('in1', 2, [2])] });
  const input = tf.input({ shape: [2] });
  const out = inner.apply(inner.apply(input)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  t.teardown(() => model.dispose());
  const loaded = await roundTrip(t, model);
  t.deepEqual(loaded.layers.map((l) => l.getClassName()), ['InputLayer', 'Sequential']);
  t.deepEqual(predict(loaded, [1, 2]), [7, 11]);
});

test('a custom layer class is one line naming it, without the reasons tfjs lists on further lines', async (t) => {
  const path = join(tmpDir(t), 'model.json');
  writeFileSync(path, JSON.stringify({ modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'Frobnicate', config: { name: 'f' } }] } }, weightsManifest: [] }));
  const e = await t.throwsAsync(loadModel(path), { instanceOf: ModelError });
  t.is(e!.message, `cannot build the model in ${path}: Unknown layer: Frobnicate; autoshrink builds tfjs-layers' own classes only: rebuild the model without the custom class`);
});
