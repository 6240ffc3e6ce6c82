import test from 'ava';
import * as tf from '../../tfjs.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countFlops } from '../../env/channel-pruning/cost.js';
import { ConfigError, StrategyError } from '../../errors.js';
import { applyStrategy, finishRun } from '../../run/final/final.js';
import { loadPackedModel, packCompressedModel } from '../../run/final/model-files.js';
import { buildModel } from '../../env/models/zoo.js';
import { runSearch } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import { loadStrategy, parseStrategy, type Strategy } from '../../run/final/strategy.js';
import { removeDir, TINY, tinyWorkdir } from '../helpers/tiny-run.js';

let workdir = '';
let runId = '';
test.before(async () => {
  workdir = await tinyWorkdir('channels');
  runId = (await runSearch({ ...TINY, knobs: ['channels', 'bits'], budget: 'flops:0.5', finalSteps: 5 }, { workdir, backend: 'wasm' })).runId;
});
test.after.always(() => removeDir(workdir));

/** Units (dense) or filters (conv) per layer of a tfjs model.json. */
function widths(modelJson: string): Record<string, number> {
  const topology = (JSON.parse(readFileSync(modelJson, 'utf8')) as { modelTopology: { config: { layers: Array<{ config: { name: string; units?: number; filters?: number } }> } } }).modelTopology;
  const out: Record<string, number> = {};
  for (const l of topology.config.layers) if (l.config.units ?? l.config.filters) out[l.config.name] = (l.config.units ?? l.config.filters)!;
  return out;
}

test.serial('a channels search under flops:0.5 writes a smaller model: fewer units in tfjs/model.json, counted MACs within the budget, strategy version 2', async (t) => {
  const report = await finishRun(runId, { workdir, backend: 'wasm' });
  const strategy = loadStrategy(report.strategyPath);
  t.is(strategy.version, 2);
  t.is(strategy.settings.channelMethod, 'l1');
  // mlp: 784 x 300 + 300 x 100 + 100 x 10 = 266,200 MACs; the budget is half
  t.is(strategy.budget.limit, 133100);
  const cut = strategy.layers.filter((l) => l.channels);
  t.true(cut.length >= 1, 'flops:0.5 cannot be met without cutting channels');
  for (const l of cut) t.true(l.channels![0] < l.channels![1]);
  t.true(cut.some((l) => l.preserveRatio! < 1));
  const w = widths(join(report.out, 'tfjs', 'model.json'));
  t.deepEqual(w, { fc1: strategy.layers[0].channels?.[0] ?? 300, fc2: strategy.layers[1].channels?.[0] ?? 100, fc3: 10 });
  t.true(w.fc1 * 784 + w.fc1 * w.fc2 + w.fc2 * 10 <= 133100);
  const packed = await loadPackedModel(join(report.out, 'model.ashk'));
  t.teardown(() => packed.dispose());
  t.is(countFlops(packed).total, strategy.cost.denseFlops!);
  t.true(strategy.cost.denseFlops! <= strategy.budget.limit);
  // the tfjs export loads with plain tf.loadLayersModel as the smaller model
  const json = JSON.parse(readFileSync(join(report.out, 'tfjs', 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
  const bin = readFileSync(join(report.out, 'tfjs', 'weights.bin'));
  const exported = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(bin).buffer }));
  t.teardown(() => exported.dispose());
  t.is(countFlops(exported).total, strategy.cost.denseFlops!);
});

test.serial('runs store the channel counts with each episode, so the live view and runs show can print them', (t) => {
  const store = openStore(join(workdir, 'runs.db'), { readonly: true });
  t.teardown(() => store.close());
  const episodes = store.episodes(runId) as Array<{ strategy: Array<{ channels?: [number, number]; preserveRatio?: number }> }>;
  const withChannels = episodes.flatMap((e) => e.strategy).filter((l) => l.channels);
  t.true(withChannels.length > 0);
  for (const l of withChannels) t.true(l.channels![0] < l.channels![1] && l.preserveRatio! < 1);
});

test.serial('apply reproduces a version 2 strategy: the same smaller model and packed size', async (t) => {
  const strategy = loadStrategy(join(workdir, 'runs', runId, 'strategy.json'));
  const a = await applyStrategy(strategy, { workdir, out: join(workdir, 'apply-a'), steps: 5 });
  const b = await applyStrategy(strategy, { workdir, out: join(workdir, 'apply-b'), steps: 5 });
  t.is(a.sizes.packedBytes, b.sizes.packedBytes);
  t.deepEqual(widths(join(a.out, 'tfjs', 'model.json')), widths(join(workdir, 'runs', runId, 'tfjs', 'model.json')));
});

test.serial('version 1 files still load; the version 2 fields are refused in them', (t) => {
  const strategy = loadStrategy(join(workdir, 'runs', runId, 'strategy.json'));
  const v1 = JSON.parse(JSON.stringify(strategy)) as Record<string, any>;
  v1.version = 1;
  delete v1.settings.channelMethod;
  delete v1.cost.denseFlops;
  for (const l of v1.layers) {
    delete l.preserveRatio;
    delete l.channels;
  }
  t.is(parseStrategy(v1, 'v1.json').version, 1);
  v1.layers[0].preserveRatio = 0.5;
  t.throws(() => parseStrategy(v1, 'v1.json'), { instanceOf: StrategyError, message: 'v1.json: field layers[0]: preserveRatio, channels and activationBits need strategy version 2' });
});

test.serial('a preserve ratio on a layer that cannot be channel-pruned is refused in one line before any work', async (t) => {
  const strategy = JSON.parse(readFileSync(join(workdir, 'runs', runId, 'strategy.json'), 'utf8')) as Strategy;
  strategy.layers[2].preserveRatio = 0.5; // fc3: the class scores
  const e = await t.throwsAsync(applyStrategy(parseStrategy(strategy), { workdir, out: join(workdir, 'bad'), steps: 0 }), { instanceOf: ConfigError });
  t.is(e!.message, 'strategy (mlp) gives fc3 preserveRatio 0.5: layer fc3 cannot be channel-pruned (fc3 ends in a softmax over its channels); layers that can: fc1, fc2');
});

test('a model.ashk whose depthwise kernels stay fp32 (a channels-only strategy, or an excluded layer) loads back', async (t) => {
  const model = buildModel('mobilenet-tiny', [28, 28, 1], 10, 1);
  t.teardown(() => model.dispose());
  const path = join(workdir, 'fp32-depthwise.ashk');
  writeFileSync(path, packCompressedModel(model, []));
  const back = await loadPackedModel(path);
  t.teardown(() => back.dispose());
  t.deepEqual(back.getLayer('dw1').getWeights()[0].shape, [3, 3, 16, 1]);
  t.is(countFlops(back).total, countFlops(model).total);
});
