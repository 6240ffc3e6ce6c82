import test from 'ava';
import * as tf from '../../tfjs.js';
import { existsSync, mkdirSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../env/backend.js';
import { saveModel } from '../../env/models/model-io.js';
import { BudgetError, ConfigError, DataError, InputError, ModelError } from '../../errors.js';
import { parseRunConfig, type RunConfig } from '../../run/config.js';
import { preflight } from '../../run/preflight.js';
import { tmpDir } from '../helpers/tmp-dir.js';

test.before(async () => {
  await selectBackend('cpu');
});

const config = (over: Partial<RunConfig> = {}) => parseRunConfig({ model: 'mlp', ...over });

/** The error preflight throws, checked to be a one-line input error of `type`. */
async function refusal<E extends InputError>(t: import('ava').ExecutionContext, run: Promise<void>, type: new (m: string) => E): Promise<E> {
  const e = await t.throwsAsync(run, { instanceOf: type });
  t.false(e!.message.includes('\n'), `one line: ${e!.message}`);
  return e!;
}

test('a work directory that is a file is refused on one line and left as it was', async (t) => {
  const file = join(tmpDir(t), 'not-a-folder');
  writeFileSync(file, 'x');
  const e = await refusal(t, preflight(config({ model: 'lenet5' }), file), ConfigError);
  t.regex(e.message, /work directory .*not-a-folder is a file, not a folder; pass a folder as --workdir/);
  t.true(statSync(file).isFile(), 'the file is left as it was');
});

test('a folder under a file cannot be created: the message says why', async (t) => {
  const file = join(tmpDir(t), 'file');
  writeFileSync(file, 'x');
  const e = await refusal(t, preflight(config(), join(file, 'workdir')), ConfigError);
  t.regex(e.message, /cannot create work directory .*file\/workdir \(ENOTDIR\)/);
});

test('a good config passes without training: the missing work directory is created and stays empty', async (t) => {
  const workdir = join(tmpDir(t), 'new', 'workdir');
  await preflight(config({ model: 'lenet5' }), workdir);
  t.true(statSync(workdir).isDirectory());
  t.deepEqual(readdirSync(workdir), [], 'no baseline cached, no runs.db, no write-check file left');
});

test('preflight leaves no tensor behind', async (t) => {
  const workdir = tmpDir(t);
  await preflight(config(), workdir); // the first call sets up the backend's own state
  const before = tf.memory().numTensors;
  await preflight(config(), workdir);
  t.is(tf.memory().numTensors, before);
});

test('a missing model.json is refused naming the file', async (t) => {
  const path = join(tmpDir(t), 'nowhere', 'model.json');
  const e = await refusal(t, preflight(config({ model: path }), tmpDir(t)), ModelError);
  t.regex(e.message, /model file .*nowhere\/model\.json does not exist/);
});

test('a model.json whose weight shard is missing is refused naming the shard', async (t) => {
  const dir = tmpDir(t);
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  await saveModel(model, dir);
  model.dispose();
  unlinkSync(join(dir, 'weights.bin'));
  const e = await refusal(t, preflight(config({ model: join(dir, 'model.json') }), tmpDir(t)), ModelError);
  t.regex(e.message, /weight shard .*weights\.bin .* is missing/);
});

test("a model.json with 3 outputs for MNIST's 10 classes is refused", async (t) => {
  const dir = tmpDir(t);
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
  await saveModel(model, dir);
  model.dispose();
  const e = await refusal(t, preflight(config({ model: join(dir, 'model.json') }), tmpDir(t)), ModelError);
  t.regex(e.message, /outputs 3 scores but .* has 10 classes/);
});

test('a dataset folder without the IDX files is refused by the loader', async (t) => {
  const empty = tmpDir(t);
  const e = await refusal(t, preflight(config({ data: `idx:${empty}` }), tmpDir(t)), DataError);
  t.regex(e.message, /missing train-images-idx3-ubyte\(\.gz\) in /);
});

test('a budget below the minimum names it: mlp at 2 bits = 266,200 weights x 2 / 8 + 3 x 8 B scales + 410 biases x 4 B = 68,214 B', async (t) => {
  // only bits are searched, one (alpha, beta) fp32 pair per tensor: the cheapest strategy is uniform 2-bit
  const tight = config({ budget: 'size:60kB', knobs: ['bits'], bitBounds: [2, 8], bucket: 'none' });
  const e = await refusal(t, preflight(tight, tmpDir(t)), BudgetError);
  t.regex(e.message, /budget size <= 60\.0 kB is below the smallest achievable size, 68\.2 kB/);
  await t.notThrowsAsync(preflight({ ...tight, budget: 'size:68.3kB' }, tmpDir(t)));
});

test('an --exclude pattern that matches no layer is refused before training', async (t) => {
  const e = await refusal(t, preflight(config({ model: 'lenet5', exclude: ['conv9'] }), tmpDir(t)), ConfigError);
  t.regex(e.message, /no compressible layer matches 'conv9'; layers are conv1, conv2, fc1, fc2, fc3/);
});

test('a work directory holding runs and cached models passes as it is', async (t) => {
  const workdir = tmpDir(t);
  mkdirSync(join(workdir, 'models'));
  writeFileSync(join(workdir, 'runs.db'), '');
  await preflight(config(), workdir);
  t.true(existsSync(join(workdir, 'runs.db')));
});

test('a dilated convolution is refused before the search when the run would fine-tune it, and passes with every fine-tune off', async (t) => {
  const dir = tmpDir(t);
  const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3, dilationRate: 2, name: 'dil' }), tf.layers.flatten(), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  await saveModel(model, join(dir, 'model'));
  model.dispose();
  const path = join(dir, 'model', 'model.json');
  // the default run fine-tunes in the re-rank (60 steps) and the final stage (600)
  const e = await refusal(t, preflight(config({ model: path, budget: 'size:8bits' }), join(dir, 'ws')), ConfigError);
  t.is(e.message, 'layer dil (Conv2D, dilation 2x2) cannot be fine-tuned: tfjs has no gradient for dilated convolutions; compress without fine-tuning (--finetune-steps 0 --rerank-top 0 --final-steps 0)');
  await t.notThrowsAsync(preflight(config({ model: path, budget: 'size:8bits', finetuneSteps: 0, rerankTop: 0, finalSteps: 0 }), join(dir, 'ws')));
});

test('a latency budget on a model whose input leaves the sequence length open is refused in one line before any timing', async (t) => {
  const dir = tmpDir(t);
  // MNIST's [28, 28, 1] digits read as 28 steps of 28 features
  const model = tf.sequential({ layers: [tf.layers.lstm({ inputShape: [null, 28], units: 4 }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  await saveModel(model, join(dir, 'model'));
  model.dispose();
  const e = await refusal(t, preflight(config({ model: join(dir, 'model', 'model.json'), budget: 'latency:0.5', knobs: ['channels'] }), join(dir, 'ws')), ConfigError);
  t.is(e.message, 'a latency budget times the model at one input size, but its input [null, 28] leaves a size open; save the model with a fixed input shape (e.g. the data\'s sequence length)');
});
