/**
 * Models users bring. Each model of the zoo (test/helpers/zoo-models.ts) is trained briefly on its
 * synthetic task, searched by DDPG for three episodes on the wasm backend (the default here), compressed with the best
 * strategy and a short fine-tune, packed into model.ashk, unpacked and evaluated, and exported to tfjs; then:
 * - every kernel of every supported layer is a searched unit and is stored compressed in model.ashk (none skipped);
 * - the unpacked model predicts exactly what the compressed model in memory predicts;
 * - the dequantized tfjs export agrees with the unpacked model's classes;
 * - the fp32 tensors of the file are exactly the weights outside the kernels (biases, batch-norm), 4 bytes each;
 * - an episode leaks no tensor.
 * Serial: the cases share the process's tfjs engine.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { selectBackend } from '../../env/backend.js';
import { CompressionEnv } from '../../env/compression-env.js';
import { evaluateAccuracy } from '../../env/evaluate.js';
import { sliceBatch } from '../../env/batches.js';
import { compressibleLayers, fixedParams, kernelVariable, layersLeftOut } from '../../env/layers.js';
import { trainModel } from '../../env/train.js';
import { packedSizeReport } from '../../learners/model-pack.js';
import { parseRunConfig } from '../../run/config.js';
import { envConfig } from '../../run/environment.js';
import { describeFp32Share, exportQuantizedTfjs, loadPackedModel, writeModelFiles } from '../../run/final/model-files.js';
import { createPlanner, type Proposal } from '../../run/planners.js';
import type { DataSplit } from '../../env/data/dataset.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { ZOO } from '../helpers/zoo-models.js';

test.before(async () => {
  await selectBackend('wasm');
});

const CONFIG = parseRunConfig({
  agent: 'ddpg',
  episodes: 3,
  warmup: 1,
  knobs: ['bits', 'prune'],
  budget: 'size:4bits',
  finetuneSteps: 4,
  finetuneBatch: 32,
  evalSize: 0,
  hidden: [16, 16],
  batchSize: 8,
  bnBatches: 2,
  seed: 1,
});

/** Class probabilities of `model` on a split, as one array. */
function predict(model: tf.LayersModel, split: DataSplit, inputShape: number[]): Float32Array {
  return tf.tidy(() => {
    const [x, y] = sliceBatch(split, inputShape, 0, split.count);
    y.dispose();
    return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
}

function argmaxes(p: Float32Array, classes: number): number[] {
  return Array.from({ length: p.length / classes }, (_, i) => {
    const row = p.subarray(i * classes, (i + 1) * classes);
    return row.indexOf(Math.max(...row));
  });
}

for (const zoo of ZOO) {
  test.serial(`${zoo.name} (${zoo.covers.join(', ')}): search, pack, unpack, evaluate; the packed model predicts as the compressed one and as the tfjs export`, async (t) => {
    const dir = tmpDir(t, `zoo-${zoo.name}-`);
    const model = zoo.build();
    t.teardown(() => model.dispose());
    const { data } = zoo;
    await trainModel(model, data, { epochs: 8, batchSize: 32, learningRate: 1e-2, seed: 1 });
    const baseline = await evaluateAccuracy(model, data.validation, data.inputShape);
    t.true(baseline > 0.6, `${zoo.name} learns its task: ${baseline} validation (chance 0.33)`);
    const fp32 = new Uint8Array(Float32Array.from(model.getWeights().flatMap((w) => Array.from(w.dataSync()))).buffer);

    const units = compressibleLayers(model);
    const env = new CompressionEnv(model, data, envConfig(CONFIG), baseline);
    t.teardown(() => env.dispose());
    t.deepEqual(env.layers.map((l) => l.name), units.map((l) => l.name), 'every kernel is searched');

    // the search: three DDPG episodes (one warm-up), evaluated in process
    const planner = createPlanner({ env, config: CONFIG, emit: () => {}, evaluate: async (ss) => { const out = []; for (const s of ss) out.push(await env.evaluate(s)); return out; } });
    t.teardown(() => planner.dispose());
    let best: { proposal: Proposal; reward: number; accuracy: number } | null = null;
    for (let episode = 0; episode < CONFIG.episodes; episode++) {
      const [proposal] = await planner.propose([episode]);
      const before = tf.memory().numTensors;
      const evaluation = await env.evaluate(proposal.strategy);
      if (!evaluation.cached) t.is(tf.memory().numTensors, before, `episode ${episode} leaks no tensor`);
      t.true(evaluation.cost <= env.plan.limit, `episode ${episode} within the budget`);
      await planner.learn(proposal, evaluation.reward);
      if (!best || evaluation.reward > best.reward) best = { proposal, reward: evaluation.reward, accuracy: evaluation.accuracy };
    }

    // the final: the best strategy with a longer fine-tune, packed and exported
    const compressed = await env.compressWith(best!.proposal.strategy, { steps: 20, batchSize: 32, learningRate: 1e-3, seed: 1 });
    const testAccuracy = await evaluateAccuracy(model, data.test, data.inputShape);
    const inMemory = predict(model, data.test, data.inputShape);
    const sizes = await writeModelFiles(model, compressed, dir, fp32);
    const file = packedSizeReport(readFileSync(join(dir, 'model.ashk')));
    const kernelNames = units.map((u) => kernelVariable(model, u).originalName);
    t.deepEqual(file.tensors.filter((x) => x.kind === 'compressed').map((x) => x.name).sort(), kernelNames.slice().sort(), 'every kernel is stored compressed');
    t.is(sizes.fp32TensorBytes, 4 * fixedParams(model, units), 'fp32 holds the weights outside the kernels, 4 bytes each');
    t.is(sizes.packedBytes, file.totalBytes);

    const unpacked = await loadPackedModel(join(dir, 'model.ashk'));
    t.teardown(() => unpacked.dispose());
    const fromFile = predict(unpacked, data.test, data.inputShape);
    let worst = 0;
    for (let i = 0; i < fromFile.length; i++) worst = Math.max(worst, Math.abs(fromFile[i] - inMemory[i]));
    t.true(worst <= 1e-6, `unpacked vs in memory: max |p - p'| = ${worst}`);
    t.is(await evaluateAccuracy(unpacked, data.test, data.inputShape), testAccuracy);

    const validationAccuracy = await evaluateAccuracy(model, data.validation, data.inputShape);
    const exported = await exportQuantizedTfjs(model, join(dir, 'tfjs'), { choose: data.validation, targetAccuracy: validationAccuracy, report: data.test, inputShape: data.inputShape });
    const json = JSON.parse(readFileSync(join(dir, 'tfjs', 'model.json'), 'utf8'));
    const bin = readFileSync(join(dir, 'tfjs', 'weights.bin'));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer }));
    t.teardown(() => loaded.dispose());
    const fromExport = predict(loaded, data.test, data.inputShape);
    const a = argmaxes(fromFile, data.numClasses);
    const b = argmaxes(fromExport, data.numClasses);
    const agree = a.filter((c, i) => c === b[i]).length / a.length;
    let drift = 0;
    for (let i = 0; i < fromFile.length; i++) drift = Math.max(drift, Math.abs(fromFile[i] - fromExport[i]));
    t.true(agree >= 0.95, `packed and tfjs export agree on ${(agree * 100).toFixed(1)}% of the test examples`);
    t.true(exported.testAccuracy >= testAccuracy - 0.02, `export ${exported.testAccuracy} vs packed ${testAccuracy}`);
    t.log(
      `${zoo.name}: ${units.length} units (${units.map((u) => u.name).join(', ')}); baseline ${baseline.toFixed(3)}, best episode ${best!.accuracy.toFixed(3)}, ` +
        `packed test ${testAccuracy.toFixed(3)}, export ${exported.testAccuracy.toFixed(3)} (${exported.uint8} uint8, ${exported.float16} float16, agree ${(agree * 100).toFixed(1)}%, max |dp| ${drift.toFixed(4)}); ` +
        `model.ashk ${sizes.packedBytes} B vs fp32 ${sizes.fp32Bytes} B (${sizes.ratio.toFixed(1)}x); ${describeFp32Share(sizes)}`,
    );
  });
}

test.serial('the fp32 share line: 250 of 2,000 bytes are 12.5%, a 500-byte header 25.0%', (t) => {
  t.is(
    describeFp32Share({ packedBytes: 2000, fp32TensorBytes: 250, fp32Share: 0.125, headerBytes: 500 }),
    'model.ashk 2.00 kB: fp32 tensors 250 B (12.5%: biases, normalisation, layers left at full precision), header 500 B (25.0%), compressed kernels the rest',
  );
});

test.serial('--exclude sep leaves both of its kernels out and names the layer; --exclude sep/pointwise only that kernel', (t) => {
  const model = ZOO[0].build();
  t.teardown(() => model.dispose());
  const searched = (exclude: string[]) => {
    const env = new CompressionEnv(model, ZOO[0].data, envConfig({ ...CONFIG, exclude }), 1);
    env.dispose();
    return { names: env.layers.map((l) => l.name), left: layersLeftOut(model, env.layers).map((l) => `${l.name} ${l.reason} ${l.params}`) };
  };
  // sep: depthwise 3x3x8x1 = 72, pointwise 1x1x8x4 = 32, bias 4
  t.deepEqual(searched(['sep']), { names: ['stem', 'res_conv', 'branch_a', 'up', 'head'], left: ['sep excluded 108'] });
  t.deepEqual(searched(['sep/pointwise']), { names: ['stem', 'res_conv', 'branch_a', 'sep/depthwise', 'up', 'head'], left: ['sep/pointwise excluded 32'] });
});
