/**
 * Deep Compression's ratios (Han et al. 2016: 40x on LeNet-300-100, our `mlp`, and 39x on LeNet-5, with no loss).
 *
 * Mode `handset` (default): Deep Compression's own recipe, hand-set per layer as in its Table 2/3 (pruning to the
 * paper's kept fractions, a shared codebook per layer, entropy coding), recovered by one long final fine-tune from the
 * original weights with gradual pruning (tfmot's cubic ramp) and distillation from the original model; then the real
 * model.ashk (entropy-coded, header included), its test accuracy, and the quantized tfjs export.
 *   npx tsx bench/compression.ts [--models mlp,lenet5] [--steps 6000] [--seeds 1,2] [--workdir .autoshrink]
 * Goals: mlp at least 40x within 0.5 points of its test accuracy, lenet5 at least 25x within 1 point.
 *
 * Mode `search`: a combined prune + cluster + quantize search on lenet5 (reward within-drop) under a size budget, then
 * the final stage.
 *   npx tsx bench/compression.ts --mode search [--episodes 60] [--seeds 1] [--budget size:40x] [--workdir .autoshrink]
 */
import { selectBackend } from '../env/backend.js';
import { OriginalWeights } from '../env/compress-model.js';
import { evaluateAccuracy } from '../env/evaluate.js';
import { compressibleLayers } from '../env/layers.js';
import { layerSpec, type LayerSpec } from '../learners/types.js';
import { compressInStages, finishRun } from '../run/final/final.js';
import { exportQuantizedTfjs, writeModelFiles } from '../run/final/model-files.js';
import { runSearch } from '../run/search.js';
import { prepare } from '../run/setup.js';
import { arg, table, writeResults } from './common.js';

/** Deep Compression's per-layer settings: pruned fraction as in its Tables 2 and 3, a 16-entry codebook per layer. */
const RECIPES: Record<string, { goal: { ratio: number; points: number }; layers: Record<string, Partial<LayerSpec>> }> = {
  // LeNet-300-100: the paper keeps 8%, 9%, 26% (92%, 91%, 74% pruned); fc1 a little further, for our position coding
  mlp: {
    goal: { ratio: 40, points: 0.5 },
    layers: { fc1: { pruneRatio: 0.94 }, fc2: { pruneRatio: 0.91 }, fc3: { pruneRatio: 0.74 } },
  },
  // LeNet-5: the paper keeps 66%, 12%, 8%, 19% of conv1, conv2, fc1, fc2 (our lenet5 has a third fc layer)
  lenet5: {
    goal: { ratio: 25, points: 1 },
    layers: { conv1: { pruneRatio: 0.34 }, conv2: { pruneRatio: 0.88 }, fc1: { pruneRatio: 0.92 }, fc2: { pruneRatio: 0.88 }, fc3: { pruneRatio: 0.7 } },
  },
};

const mode = arg('mode', 'handset');
if (mode === 'handset') {
  await handset();
  process.exit(0);
}

const episodes = Number(arg('episodes', '60'));
const seeds = arg('seeds', '1').split(',').map(Number);
const budget = arg('budget', 'size:40x');
const workdir = arg('workdir', '.autoshrink');
const prune = arg('prune', '0.5-0.95').split('-').map(Number) as [number, number];
const clusters = arg('clusters', '4-32').split('-').map(Number) as [number, number];
const finetuneSteps = Number(arg('finetune-steps', '60'));
const backend = (await selectBackend('auto')).name;
const rows: Array<Array<string | number>> = [];
for (const seed of seeds) {
  const run = await runSearch(
    { model: 'lenet5', seed, episodes, warmup: Math.round(episodes / 3), budget, knobs: ['bits', 'prune', 'clusters'], reward: 'within-drop', maxDrop: 1, bitBounds: [2, 8], pruneBounds: prune, clusterBounds: clusters, finetuneSteps },
    { workdir, backend },
  );
  const r = await finishRun(run.runId, { workdir, backend });
  const s = r.sizes;
  rows.push([
    seed,
    run.runId,
    `${(r.baselineTestAccuracy * 100).toFixed(2)}%`,
    `${(r.testAccuracy * 100).toFixed(2)}%`,
    `${((r.testAccuracy - r.baselineTestAccuracy) * 100).toFixed(2)}`,
    s.packedBytes,
    s.headerBytes,
    s.gzipBytes,
    s.fp32Bytes,
    `${s.ratio.toFixed(1)}x`,
    `${(s.fp32Bytes / s.gzipBytes).toFixed(1)}x`,
    (run.best?.strategy ?? []).map((l) => `${l.name} ${l.bits}b/${Math.round(l.pruneRatio * 100)}%/${l.clusters}c`).join(', '),
  ]);
  process.stdout.write(`${rows[rows.length - 1].join('  ')}\n`);
}
writeResults(
  'bench/results/compression.md',
  'Smallest lenet5 within 1 point of the baseline (prune + cluster + quantize)',
  `npx tsx bench/compression.ts --episodes ${episodes} --seeds ${seeds.join(',')} --budget ${budget} --prune ${prune.join('-')} --clusters ${clusters.join('-')} --finetune-steps ${finetuneSteps}`,
  `Search: ${episodes} episodes of DDPG over bits (2-8), prune ratio (${prune.map((p) => Math.round(p * 100)).join('-')}%) and clusters (${clusters.join('-')}) per layer, ${finetuneSteps} fine-tune steps per episode, reward within-drop (1 point), ` +
    `hard budget ${budget}; then 600 fine-tune steps of the best strategy from the original weights, test split (2000 images). ` +
    'Sizes are real files: model.ashk (header included), its gzip, and the fp32 weights.\n\n' +
    table(['seed', 'run', 'baseline test', 'test', 'change (points)', 'packed bytes', 'of which header', 'gzip of packed', 'fp32 bytes', 'fp32 / packed', 'fp32 / gzip', 'strategy (bits/prune/clusters)'], rows),
);

async function handset(): Promise<void> {
  const models = arg('models', 'mlp,lenet5').split(',');
  const steps = Number(arg('steps', '6000'));
  const clusters = Number(arg('clusters', '16'));
  const seeds = arg('seeds', '1,2').split(',').map(Number);
  const workdir = arg('workdir', '.autoshrink');
  const backend = (await selectBackend('wasm')).name;
  const rows: Array<Array<string | number>> = [];
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  for (const name of models) {
    const recipe = RECIPES[name];
    const { model, data } = await prepare({ model: name, data: 'mnist', dataSeed: 1, workdir });
    const { model: teacher } = await prepare({ model: name, data: 'mnist', dataSeed: 1, workdir });
    const layers = compressibleLayers(model);
    const originals = new OriginalWeights(model, layers);
    const baseline = await evaluateAccuracy(model, data.test, data.inputShape);
    const plan = layers.map((layer) => ({ layer, spec: layerSpec({ clusters, clusterInit: 'kmeans++', preserveSparsity: true, bits: 8, ...recipe.layers[layer.name] }) }));
    for (const seed of seeds) {
      const start = performance.now();
      const compressed = await compressInStages(model, originals, plan, data, {
        steps,
        batchSize: 64,
        learningRate: 5e-4,
        // seed 1 keeps the string of the first recorded run, so its row reproduces
        seed: seed === 1 ? 'deep-compression' : `deep-compression:${seed}`,
        teacher,
        distillTemperature: 4,
        distillWeight: 0.5,
        gradualPruning: { rampFraction: 0.5, frequency: 50 },
      });
      const minutes = (performance.now() - start) / 60000;
      const test = await evaluateAccuracy(model, data.test, data.inputShape);
      const out = `${workdir}/bench-compression/${name}-seed${seed}`;
      const sizes = await writeModelFiles(model, compressed, out, originals.fp32Bytes());
      // the export's storage types are chosen on validation; the test split only reports
      const validation = await evaluateAccuracy(model, data.validation, data.inputShape);
      const tfjs = await exportQuantizedTfjs(model, `${out}/tfjs`, { choose: data.validation, targetAccuracy: validation, report: data.test, inputShape: data.inputShape });
      const ratio = sizes.fp32Bytes / sizes.packedBytes;
      const drop = (baseline - test) * 100;
      const met = ratio >= recipe.goal.ratio && drop <= recipe.goal.points;
      rows.push([
        name,
        seed,
        pct(baseline),
        pct(test),
        (-drop).toFixed(2),
        sizes.fp32Bytes,
        sizes.fixedPackedBytes,
        sizes.packedBytes,
        sizes.headerBytes,
        `${(sizes.fp32Bytes / sizes.fixedPackedBytes).toFixed(1)}x`,
        `${ratio.toFixed(1)}x`,
        `${recipe.goal.ratio}x within ${recipe.goal.points}: ${met ? 'met' : 'missed'}`,
        `${tfjs.bytes} (${pct(tfjs.testAccuracy)})`,
        plan.map((p) => `${p.layer.name} ${Math.round(p.spec.pruneRatio * 100)}%/${p.spec.clusters}c`).join(', '),
        minutes.toFixed(1),
      ]);
      process.stdout.write(`${rows[rows.length - 1].join('  ')}\n`);
    }
    originals.dispose();
    model.dispose();
    teacher.dispose();
  }
  writeResults(
    'bench/results/compression.md',
    "Deep Compression's recipe, hand-set, recovered by the final stage (mlp = LeNet-300-100, lenet5)",
    `npx tsx bench/compression.ts --models ${models.join(',')} --steps ${steps} --clusters ${clusters} --seeds ${seeds.join(',')}`,
    `Per layer: magnitude pruning to Deep Compression's kept fractions, ${clusters} k-means++ clusters (zero kept exact, 8-bit ` +
      `codebook), entries rANS-coded in model.ashk. The final stage (run/final/final.ts compressInStages) from the original ` +
      `weights, ${steps} steps in all (batch 64, Adam 5e-4, distillation from the original model, T = 4, weight 0.5): ` +
      'two thirds pruning and retraining the fp32 weights (gradual, cubic ramp over the first half, a new mask every 50 ' +
      `steps), then clustering the retrained weights and training the centroids (assignments fixed). Backend ${backend}. Sizes are ` +
      'real files, header included; test split of 2000 images; the bundled MNIST has 6000 training images.\n\n' +
      `Seeds are the fine-tune's (batch order, cluster initialisation); the trained model and the data split are the same.\n\n` +
      table(['model', 'seed', 'baseline test', 'test', 'change (points)', 'fp32 bytes', 'model.ashk fixed width', 'model.ashk coded', 'of which header', 'fp32 / fixed', 'fp32 / coded', 'goal', 'tfjs export bytes (test)', 'strategy (pruned/clusters)', 'fine-tune minutes'], rows),
  );
}
