/**
 * The library's runSearch on data held in memory: the run records the data's hash as its dataset (`memory:<16 hex>`),
 * the arrays get the validation and holdout splits every dataset gets, a process that does not hold the same arrays is
 * asked for them again in one line, and a queue (workers in other processes) is refused before anything is built.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { join } from 'node:path';
import { ConfigError, DataError } from '../../errors.js';
import { selectBackend } from '../../env/backend.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { registerInMemoryData } from '../../env/data/in-memory.js';
import { saveModel } from '../../env/models/model-io.js';
import { runSearch, storePath } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import { TINY } from '../helpers/tiny-run.js';
import { tmpDir } from '../helpers/tmp-dir.js';

test.before(async () => {
  await selectBackend('wasm');
});

/** 600 training and 100 test digits of the bundled MNIST, as a program would hold them, flat [784]. */
function digits() {
  const mnist = loadDataset('mnist', { seed: 1 });
  return {
    inputShape: [784],
    train: { x: mnist.train.x.slice(0, 600 * 784), y: Array.from(mnist.train.y.slice(0, 600)) },
    test: { x: mnist.test.x.slice(0, 100 * 784), y: Array.from(mnist.test.y.slice(0, 100)) },
  };
}

test('runSearch on in-memory arrays runs and records memory:<hash of the arrays> as its dataset; the same arrays give the same hash', async (t) => {
  const workdir = tmpDir(t, 'autoshrink-memory-');
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 16, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  const { modelJson } = await saveModel(model, join(workdir, 'model'));
  model.dispose();
  const data = digits();
  const run = await runSearch({ ...TINY, model: modelJson, data, validationSize: 200, evalSize: 100, agent: 'random', episodes: 2, rerankTop: 0 }, { workdir, backend: 'wasm' });
  t.is(run.status, 'completed');
  const store = openStore(storePath(workdir), { readonly: true });
  const stored = store.getRun(run.runId);
  store.close();
  t.regex(stored.dataset, /^memory:[0-9a-f]{16}$/);
  t.is(registerInMemoryData(digits()), stored.dataset, 'content names the data');
});

test('in-memory data is split like any dataset: 600 training images give 200 validation, (600 - 200) / 6 = 66 holdout, 334 train; the 100 test images stay test', (t) => {
  const data = loadDataset(registerInMemoryData(digits()), { seed: 1, validationSize: 200 });
  t.deepEqual([data.validation.count, data.holdout?.count, data.train.count, data.test.count], [200, 66, 334, 100]);
});

test('a memory: spec this process does not hold asks for the same arrays again, in one line', (t) => {
  const error = t.throws(() => loadDataset('memory:0123456789abcdef', { seed: 1 }), { instanceOf: DataError, message: /memory:0123456789abcdef is in-memory data this process does not hold; pass the same arrays again/ });
  t.false(error!.message.includes('\n'));
});

test('in-memory data with a queue is refused before anything is built', async (t) => {
  const workdir = tmpDir(t, 'autoshrink-memory-');
  await t.throwsAsync(runSearch({ ...TINY, data: digits(), queue: 'redis://127.0.0.1:1' }, { workdir, backend: 'wasm' }), {
    instanceOf: ConfigError,
    message: /in-memory data cannot go to queue workers/,
  });
});

test('in-memory arrays whose images and labels disagree are a one-line DataError', (t) => {
  t.throws(() => registerInMemoryData({ inputShape: [4], train: { x: new Float32Array(12), y: [0, 1] }, test: { x: new Float32Array(4), y: [0] } }), {
    instanceOf: DataError,
    message: /train\.x holds 12 values for 2 labels of 4 values an image/,
  });
});
