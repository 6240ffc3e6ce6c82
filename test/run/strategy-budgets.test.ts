import test from 'ava';
import { StrategyError } from '../../errors.js';
import { parseStrategy, type Strategy } from '../../run/final/strategy.js';

/** A version 2 strategy of one dense layer, by hand. */
const v2 = (): Record<string, any> => ({
  format: 'autoshrink-strategy',
  version: 2,
  model: { name: 'mlp', hash: 'sha256:0123456789abcdef', layers: [{ name: 'fc1', kind: 'dense', shape: [784, 300] }] },
  dataset: 'mnist',
  budget: { kind: 'size', limit: 20000, label: 'size <= 20.0 kB' },
  settings: { pruneKind: 'magnitude', clusterInit: 'kmeans++', preserveSparsity: true, quantKind: 'uniform', bucket: 'channel', bucketSize: 256 },
  layers: [{ name: 'fc1', bits: 4, pruneRatio: 0, clusters: 0, preserveRatio: 0.5, channels: [150, 300] }],
  cost: { value: 19000, bytes: 19500, fp32Bytes: 941200, bitsPerWeight: 4, flops: 117600 },
  accuracy: { validation: 0.95, test: 0.94, baselineValidation: 0.97, baselineTest: 0.96 },
  provenance: { runId: 'r', episode: 3, seed: 1, backend: 'wasm', autoshrink: '0.1.0', date: '2026-12-07T00:00:00.000Z' },
});

test('version 3 carries both budgets, the cost against each, and the latency predicted and measured', (t) => {
  const s = v2();
  s.version = 3;
  s.budgets = [s.budget, { kind: 'latency', limit: 0.6, label: 'latency <= 60.0% of fp32 (0.600 ms of 1.00 ms)' }];
  s.cost.values = [19000, 0.55];
  s.cost.latency = { predictedMs: 0.55, measuredMs: 0.58, fp32Ms: 1.02, batch: 1, backend: 'wasm' };
  const parsed: Strategy = parseStrategy(s, 's.json');
  t.deepEqual(parsed.budgets?.map((b) => b.kind), ['size', 'latency']);
  t.is(parsed.cost.latency?.measuredMs, 0.58);
});

test('a version 2 file of one size budget still loads; latency fields in a version 2 file are refused naming version 3', (t) => {
  t.is(parseStrategy(v2(), 's.json').version, 2);
  const s = v2();
  s.budget = { kind: 'latency', limit: 0.6, label: 'latency' };
  t.throws(() => parseStrategy(s, 's.json'), { instanceOf: StrategyError, message: 's.json: a latency budget, budgets, cost.values and cost.latency need strategy version 3' });
  const both = v2();
  both.budgets = [both.budget, { kind: 'bitops', limit: 1e6, label: 'bitops' }];
  t.throws(() => parseStrategy(both, 's.json'), { instanceOf: StrategyError, message: /need strategy version 3/ });
});
