/**
 * The final stage's order for layers that prune and cluster (run/final/final.ts compressInStages): prune and retrain the
 * weights first, then cluster what was retrained and train the centroids.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { selectBackend } from '../../env/backend.js';
import { OriginalWeights } from '../../env/compress-model.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { compressibleLayers } from '../../env/layers.js';
import { buildModel } from '../../env/models/zoo.js';
import { layerSpec } from '../../learners/types.js';
import { storageLayout } from '../../learners/size.js';
import { compressInStages, stageSteps } from '../../run/final/final.js';

test.before(async () => {
  await selectBackend('wasm');
});

test('a 90%-pruned, 4-cluster mlp is pruned and retrained for 2/3 of 9 steps (6), then clustered for 3, keeping the spec exactly', async (t) => {
  const data = loadDataset('mnist', { seed: 1 });
  const model = buildModel('mlp', data.inputShape, data.numClasses);
  const layers = compressibleLayers(model);
  const originals = new OriginalWeights(model, layers);
  const spec = layerSpec({ pruneRatio: 0.9, clusters: 4, bits: 8 });
  const steps: number[] = [];
  const before = tf.memory().numTensors;
  const out = await compressInStages(model, originals, layers.map((layer) => ({ layer, spec })), data, {
    steps: 9,
    batchSize: 16,
    learningRate: 1e-3,
    seed: 1,
    onStep: (s) => steps.push(s),
  });
  t.is(tf.memory().numTensors, before, 'no tensor leaked');
  t.is(steps.length, 9);
  t.deepEqual(steps.slice(5, 7).map((s) => s - steps[0]), [5, 6], 'the cluster stage counts on from the pruning stage');
  for (const { layer, compressed } of out) {
    const kept = storageLayout(layer.storageShape, spec).entries;
    t.is(compressed.mask!.reduce((a, m) => a + m, 0), kept, `${layer.name} keeps exactly the spec's count`);
    t.true(new Set(compressed.values).size <= 4, `${layer.name} has at most 4 values`);
    const live = Array.from(model.getLayer(layer.name).getWeights()[0].dataSync());
    t.deepEqual(live, Array.from(compressed.values), `${layer.name}: the model holds the clustered weights`);
  }
  originals.dispose();
  model.dispose();
});

test('stageSteps: 9 steps split 6 + 3 when a layer prunes and clusters, one stage otherwise', (t) => {
  t.deepEqual(stageSteps([layerSpec({ bits: 4 }), layerSpec({ pruneRatio: 0.5, clusters: 8 })], 9), { prune: 6, clusters: 3 });
  t.is(stageSteps([layerSpec({ pruneRatio: 0.5, bits: 4 }), layerSpec({ clusters: 8 })], 9), null);
  t.is(stageSteps([layerSpec({ pruneRatio: 0.5, clusters: 8 })], 1), null);
});
