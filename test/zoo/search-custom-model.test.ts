/**
 * A user's report, replayed: a functional Keras-style model saved as a tfjs model.json (Conv2D stem, PReLU, a
 * residual block Conv2D -> BatchNormalization -> Add, MaxPooling2D, SeparableConv2D, GlobalAveragePooling2D, Dense
 * head) through `search --model path/model.json` and the final stage, on the bundled MNIST. Before, the
 * SeparableConv2D was left at fp32 without a word; now its two kernels are searched, the one layer no learner handles
 * (the PReLU) is named at the start, and the final report gives the share of model.ashk that stayed fp32.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { join } from 'node:path';
import { selectBackend } from '../../env/backend.js';
import { saveModel } from '../../env/models/model-io.js';
import type { RunEvent } from '../../run/events.js';
import { finishRun } from '../../run/final/final.js';
import { runSearch } from '../../run/search.js';
import { TINY } from '../helpers/tiny-run.js';
import { tmpDir } from '../helpers/tmp-dir.js';

test.before(async () => {
  await selectBackend('wasm');
});

function userModel(): tf.LayersModel {
  const sym = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => l.apply(x) as tf.SymbolicTensor;
  const input = tf.input({ shape: [28, 28, 1] });
  const stem = sym(tf.layers.prelu({ sharedAxes: [1, 2], name: 'act' }), sym(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'stem' }), input));
  const res = sym(tf.layers.batchNormalization({ name: 'res_bn' }), sym(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'res_conv' }), stem));
  const pooled = sym(tf.layers.maxPooling2d({ poolSize: 2 }), sym(tf.layers.add({}), [stem, res]));
  const sep = sym(tf.layers.separableConv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'sep' }), pooled);
  const head = sym(tf.layers.dense({ units: 10, activation: 'softmax', name: 'head' }), sym(tf.layers.globalAveragePooling2d({}), sep));
  return tf.model({ inputs: input, outputs: head });
}

test('search --model model.json with a SeparableConv2D and a PReLU: sep\'s kernels are searched, the PReLU named, the fp32 share reported', async (t) => {
  const workdir = tmpDir(t, 'autoshrink-custom-');
  const model = userModel();
  const { modelJson } = await saveModel(model, join(workdir, 'user-model'));
  model.dispose();
  const events: RunEvent[] = [];
  const run = await runSearch({ ...TINY, model: modelJson, agent: 'random', episodes: 2, rerankTop: 0 }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  const started = events.find((e) => e.type === 'run-started');
  if (started?.type !== 'run-started') return t.fail();
  t.deepEqual(started.layers, ['stem', 'res_conv', 'sep/depthwise', 'sep/pointwise', 'head']);
  // the PReLU's alphas, shared over the map: one per channel
  t.deepEqual(started.leftOut, [{ name: 'act', className: 'PReLU', params: 4, reason: 'type not supported' }]);
  t.true(events.some((e) => e.type === 'log' && e.level === 'warn' && e.message === 'left at full precision: act (PReLU, type not supported, 4 weights)'));

  const final = await finishRun(run.runId, { workdir, backend: 'wasm' });
  // fp32 in the file: biases 4 + 4 + 8 + 10, the PReLU's 4 alphas, batch-norm 4 x 4 = 46 values, 4 bytes each
  t.is(final.sizes.fp32TensorBytes, 46 * 4);
  t.is(final.sizes.fp32Share, 184 / final.sizes.packedBytes);
});
