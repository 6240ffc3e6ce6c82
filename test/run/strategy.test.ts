import test from 'ava';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StrategyError } from '../../errors.js';
import { applyStrategy, exportStrategy, finishRun } from '../../run/final/final.js';
import { loadPackedModel } from '../../run/final/model-files.js';
import { runSearch } from '../../run/search.js';
import { loadStrategy, parseStrategy, saveStrategy, type Strategy } from '../../run/final/strategy.js';
import { evaluateAccuracy } from '../../env/evaluate.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { removeDir, TINY, tinyWorkdir } from '../helpers/tiny-run.js';

let workdir = '';
let runId = '';
test.before(async () => {
  workdir = await tinyWorkdir('strategy');
  runId = (await runSearch({ ...TINY, finalSteps: 5 }, { workdir, backend: 'wasm' })).runId;
});
test.after.always(() => removeDir(workdir));

test('export writes a strategy that loads back equal, with one entry per searched layer', async (t) => {
  const strategy = await exportStrategy(runId, { workdir });
  const path = join(workdir, 'exported.json');
  saveStrategy(strategy, path);
  t.deepEqual(loadStrategy(path), strategy);
  t.deepEqual(strategy.layers.map((l) => l.name), ['fc1', 'fc2', 'fc3']);
  t.true(strategy.cost.value <= strategy.budget.limit);
  t.is(strategy.provenance.runId, runId);
});

test('the final stage writes a packed file whose bytes match the report and which predicts like the model it came from', async (t) => {
  const report = await finishRun(runId, { workdir, backend: 'wasm' });
  const packedPath = join(report.out, 'model.ashk');
  t.is(statSync(packedPath).size, report.sizes.packedBytes);
  t.is(report.sizes.payloadBytes, report.sizes.analyticPayloadBytes);
  t.true(report.sizes.packedBytes < report.sizes.fp32Bytes);
  const data = loadDataset('mnist', { seed: 1 });
  const model = await loadPackedModel(packedPath);
  t.is(await evaluateAccuracy(model, data.test, data.inputShape), report.testAccuracy);
  model.dispose();
});

test('the final stage re-evaluates the top strategies on every validation image and finishes the best of them', async (t) => {
  const report = await finishRun(runId, { workdir, backend: 'wasm', out: join(workdir, 'rerank') });
  const rows = report.rerank!;
  // TINY has 4 episodes; at most rerankTop = 3 distinct strategies are re-evaluated, the best reward first
  t.true(rows.length >= 1 && rows.length <= 3);
  t.deepEqual(rows.map((r) => r.chosen), rows.map((_, i) => i === 0));
  for (let i = 1; i < rows.length; i++) t.true(rows[i - 1].reward >= rows[i].reward);
  const written = JSON.parse(readFileSync(report.strategyPath, 'utf8')) as Strategy;
  t.is(written.provenance.episode, rows[0].episode);
  // the export of a finished run is the strategy its final stage chose
  t.is((await exportStrategy(runId, { workdir })).provenance.episode, rows[0].episode);
});

test('apply reproduces the exported strategy: same packed size, accuracy within noise', async (t) => {
  const strategy = await exportStrategy(runId, { workdir });
  const a = await applyStrategy(strategy, { workdir, out: join(workdir, 'apply-a'), steps: 5 });
  const b = await applyStrategy(strategy, { workdir, out: join(workdir, 'apply-b'), steps: 5 });
  t.is(a.sizes.packedBytes, b.sizes.packedBytes);
  t.true(Math.abs(a.testAccuracy - b.testAccuracy) <= 0.01);
  const written = JSON.parse(readFileSync(a.strategyPath, 'utf8')) as Strategy;
  t.is(written.accuracy.test, a.testAccuracy);
});

test('a strategy for another model is refused, naming the mismatched layers', async (t) => {
  const strategy = await exportStrategy(runId, { workdir });
  const e = await t.throwsAsync(applyStrategy(strategy, { workdir, model: 'lenet5', out: join(workdir, 'x'), steps: 0 }), { instanceOf: StrategyError });
  t.regex(e!.message, /not lenet5: mismatched layers fc1 \(dense 784x300 in the strategy, dense 400x120 in the model\)/);
});

test('corrupt or out-of-range strategy files are refused with the field named', async (t) => {
  const strategy = await exportStrategy(runId, { workdir });
  const bad = (mutate: (s: Record<string, any>) => void) => {
    const copy = JSON.parse(JSON.stringify(strategy)) as Record<string, any>;
    mutate(copy);
    return copy;
  };
  t.throws(() => parseStrategy(bad((s) => (s.layers[1].bits = 99)), 's.json'), { instanceOf: StrategyError, message: 's.json: field layers[1].bits: bits must be 1..8, 16 or 32' });
  t.throws(() => parseStrategy(bad((s) => (s.layers[0].pruneRatio = 1.5)), 's.json'), { instanceOf: StrategyError, message: /field layers\[0\]\.pruneRatio/ });
  t.throws(() => parseStrategy(bad((s) => (s.version = 7)), 's.json'), { instanceOf: StrategyError, message: /strategy version 7; this autoshrink reads versions 1, 2 and 3/ });
  t.throws(() => parseStrategy(bad((s) => (s.format = 'x')), 's.json'), { instanceOf: StrategyError, message: /not an autoshrink strategy/ });
  t.throws(() => parseStrategy(bad((s) => (s.layers[0].name = 'nope')), 's.json'), { instanceOf: StrategyError, message: /layer nope is not one of the model's layers/ });
  const path = join(workdir, 'broken.json');
  writeFileSync(path, '{"format": "autoshrink-strategy", ');
  t.throws(() => loadStrategy(path), { instanceOf: StrategyError, message: /is not valid JSON/ });
  t.throws(() => loadStrategy(join(workdir, 'missing.json')), { instanceOf: StrategyError, message: /cannot read strategy file/ });
});
