/**
 * tfjs.ts loads TensorFlow.js from tfjs-core, tfjs-layers and the backends, without the umbrella @tensorflow/tfjs,
 * and registers the gradients and chained ops the umbrella registered (tfjs-gradients.ts, generated onto tfjs-core's
 * public API). Checked here: the generated file is what its script writes today and holds no copy of tfjs-core; the
 * process loads one tfjs-core; gradients through conv and batch norm, by hand, and a tfjs-layers fit reach every
 * weight, on the cpu and the wasm backends. Serial: the tests switch the process-wide backend.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { selectBackend } from '../env/backend.js';
import { bundleTfjsGradients, GRADIENTS_FILE } from '../scripts/bundle-tfjs-gradients.js';
import * as tf from '../tfjs.js';

const require = createRequire(import.meta.url);

test('tfjs-gradients.ts is what scripts/bundle-tfjs-gradients.ts writes from the installed tfjs-core (else: npx tsx scripts/bundle-tfjs-gradients.ts, and commit it)', async (t) => {
  t.is(readFileSync(GRADIENTS_FILE, 'utf8'), await bundleTfjsGradients());
});

test('tfjs-gradients.ts holds no copy of tfjs-core (no Engine or Tensor class, no registry) and imports only @tensorflow/tfjs-core', (t) => {
  const text = readFileSync(GRADIENTS_FILE, 'utf8');
  t.notRegex(text, /\bclass (Engine|Tensor|Variable)\b/);
  t.notRegex(text, /new Map\(/);
  const imported = new Set([...text.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]));
  t.deepEqual([...imported], ['@tensorflow/tfjs-core']);
});

test('the process loads one tfjs-core, through its Node entry, and not the umbrella @tensorflow/tfjs; the chained ops are on its Tensor', (t) => {
  const loaded = Object.keys(require.cache).filter((f) => f.includes('/node_modules/@tensorflow/') && f.endsWith('.js'));
  t.deepEqual(
    loaded.filter((f) => f.includes('/tfjs-core/')).map((f) => f.replace(/^.*node_modules\//, '')),
    ['@tensorflow/tfjs-core/dist/tf-core.node.js'],
  );
  t.deepEqual(loaded.filter((f) => f.includes('/@tensorflow/tfjs/')), []);
  t.is((globalThis as { _tfengine?: unknown })._tfengine, tf.engine());
  const x = tf.tensor1d([1, 2]);
  t.deepEqual(Array.from(x.add(1).mul(2).dataSync()), [4, 6]);
  tf.dispose(x);
});

for (const backend of ['cpu', 'wasm'] as const) {
  test.serial(`on ${backend}: d/dx sum(batchNorm(conv(x, 3x3 ones, same), scale 2)) on a 4x4 of ones is k times how many windows hold each pixel (4 corner, 6 edge, 9 inside), k = 2/sqrt(1.001)`, async (t) => {
    await selectBackend(backend);
    const k = 2 / Math.sqrt(1 + 0.001);
    const f = (x: tf.Tensor) => tf.batchNorm(tf.conv2d(x as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'same'), tf.scalar(0), tf.scalar(1), tf.scalar(0), tf.scalar(2), 0.001).sum();
    const dx = tf.grad(f)(tf.ones([1, 4, 4, 1]));
    const windows = [4, 6, 6, 4, 6, 9, 9, 6, 6, 9, 9, 6, 4, 6, 6, 4];
    const got = await dx.data();
    windows.forEach((w, i) => t.true(Math.abs(got[i] - w * k) < 1e-4, `pixel ${i}: ${got[i]} vs ${w * k}`));
    tf.dispose(dx);
  });

  test.serial(`on ${backend}: one tfjs-layers fit of conv + batch norm + dense changes every trainable weight, loss finite`, async (t) => {
    await selectBackend(backend);
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.batchNormalization(),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const before = model.trainableWeights.map((w) => w.read().dataSync().slice());
    const x = tf.randomNormal([8, 6, 6, 1], 0, 1, 'float32', 3);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);
    const history = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    t.true(Number.isFinite(history.history.loss[0] as number));
    const unchanged = model.trainableWeights.filter((w, i) => w.read().dataSync().every((v, j) => v === before[i][j])).map((w) => w.name);
    t.deepEqual(unchanged, []);
    t.is(model.trainableWeights.length, 6); // conv kernel and bias, gamma and beta, dense kernel and bias
    tf.dispose([x, y]);
    model.dispose();
  });
}
