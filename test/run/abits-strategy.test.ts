/**
 * The abits knob end to end: a bits,abits search under a bitops budget records activation bits in its strategy file,
 * costed as the episodes were; `apply` reproduces them (fake-quantized scoring of the written model) and refuses
 * activation bits outside 2..8 in one line.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError, StrategyError } from '../../errors.js';
import { packModel, readPackedHeader } from '../../learners/model-pack.js';
import { applyStrategy, finishRun } from '../../run/final/final.js';
import { runSearch } from '../../run/search.js';
import { parseStrategy, type Strategy } from '../../run/final/strategy.js';
import { removeDir, TINY, tinyWorkdir } from '../helpers/tiny-run.js';

let workdir = '';
let runId = '';
test.before(async () => {
  workdir = await tinyWorkdir('abits');
  runId = (await runSearch({ ...TINY, knobs: ['bits', 'abits'], budget: 'bitops:0.25', finalSteps: 5 }, { workdir, backend: 'wasm' })).runId;
  await finishRun(runId, { workdir, backend: 'wasm' });
});
test.after.always(() => removeDir(workdir));

const stored = () => JSON.parse(readFileSync(join(workdir, 'runs', runId, 'strategy.json'), 'utf8')) as Strategy;

test.serial('the strategy file records each layer\'s activation bits (2..8), and its bitops count them: within the budget', (t) => {
  const s = stored();
  t.is(s.version, 2);
  t.true(s.layers.every((l) => l.activationBits !== undefined && l.activationBits >= 2 && l.activationBits <= 8));
  t.true(s.cost.value <= s.budget.limit, `${s.cost.value} > ${s.budget.limit}`);
  t.notThrows(() => parseStrategy(s));
});

test.serial('apply reproduces activation bits: 2-bit activations on every layer score differently from the same strategy without them', async (t) => {
  const s = stored();
  const coarse = { ...s, layers: s.layers.map((l) => ({ ...l, activationBits: 2 })) };
  const plain = { ...s, layers: s.layers.map(({ activationBits: _a, ...l }) => l) };
  const a = await applyStrategy(parseStrategy(coarse), { workdir, out: join(workdir, 'coarse'), steps: 0 });
  const b = await applyStrategy(parseStrategy(plain), { workdir, out: join(workdir, 'plain'), steps: 0 });
  t.not(a.testAccuracy, b.testAccuracy);
  const written = JSON.parse(readFileSync(join(workdir, 'coarse', 'strategy.json'), 'utf8')) as Strategy;
  t.true(written.layers.every((l) => l.activationBits === 2));
  // model.ashk records each layer input's bits and frozen range (0 inside it); the plain file records none
  const header = readPackedHeader(readFileSync(join(workdir, 'coarse', 'model.ashk')));
  t.deepEqual(header.activations!.map((a) => [a.layer, a.bits]), s.layers.map((l) => [l.name, 2]));
  t.true(header.activations!.every((a) => a.min <= 0 && a.max >= 0 && a.max > a.min));
  t.is(readPackedHeader(readFileSync(join(workdir, 'plain', 'model.ashk'))).activations, undefined);
});

test('a model.ashk header with activation bits outside 2..8 is refused as corrupt', (t) => {
  const file = (bits: number) => packModel({ topology: null, layers: [], activations: [{ layer: 'fc', bits, min: -1, max: 2 }] });
  t.deepEqual(readPackedHeader(file(4)).activations, [{ layer: 'fc', bits: 4, min: -1, max: 2 }]);
  const e = t.throws(() => readPackedHeader(file(9)), { instanceOf: ModelError });
  t.regex(e!.message, /activations/);
});

test('activation bits outside 2..8 in a strategy are refused in one line', (t) => {
  const s = stored();
  s.layers[0].activationBits = 9;
  const e = t.throws(() => parseStrategy(s, 's.json'), { instanceOf: StrategyError });
  t.is(e!.message, 's.json: field layers[0].activationBits: activationBits must be 2..8');
});
