import test from 'ava';
import { ConfigError } from '../../errors.js';
import { parseBudget, parseBudgets } from '../../env/budget.js';
import { parseRunConfig } from '../../run/config.js';

const oneLine = (t: import('ava').ExecutionContext, f: () => unknown, pattern: RegExp) => {
  const e = t.throws(f, { instanceOf: ConfigError });
  t.regex(e.message, pattern);
  t.false(e.message.includes('\n'), e.message);
};

test('latency budgets: a fraction of the fp32 time (0.5 or 50%) or milliseconds per call (12ms)', (t) => {
  t.deepEqual(parseBudget('latency:0.5'), { kind: 'latency', value: 0.5, unit: 'fraction' });
  t.deepEqual(parseBudget('latency:50%'), { kind: 'latency', value: 0.5, unit: 'fraction' });
  t.deepEqual(parseBudget('latency:12ms'), { kind: 'latency', value: 12, unit: 'ms' });
  oneLine(t, () => parseBudget('latency:1.5'), /fraction in \(0, 1\]/);
  oneLine(t, () => parseBudget('latency:0ms'), /more than 0 ms/);
  oneLine(t, () => parseBudget('latency:12kb'), /fraction of the full model/);
});

test('two budgets are joined by a comma; three, or two of one kind, are refused in one line', (t) => {
  t.deepEqual(parseBudgets('size:2bits,latency:0.6'), [
    { kind: 'size', value: 2, unit: 'bits' },
    { kind: 'latency', value: 0.6, unit: 'fraction' },
  ]);
  t.deepEqual(parseBudgets(' size:2bits , bitops:0.1 ').map((b) => b.kind), ['size', 'bitops']);
  oneLine(t, () => parseBudgets('size:2bits,latency:0.6,bitops:0.1'), /gives 3 budgets; give one, or two/);
  oneLine(t, () => parseBudgets('size:2bits,size:20kB'), /two size budgets; keep the tighter one/);
  // dense and sparse MACs count different things: both may be held at once
  t.deepEqual(parseBudgets('flops:0.5,sparse-flops:0.3').map((b) => b.sparse ?? false), [false, true]);
});

test('a latency budget without the channels knob is refused before anything runs, in one line naming the fix', (t) => {
  oneLine(t, () => parseRunConfig({ budget: 'latency:0.5' }, 'flags'), /latency budget needs the channels knob.*add channels to --knobs/);
  oneLine(t, () => parseRunConfig({ budget: 'size:2bits,latency:12ms', knobs: ['bits', 'prune'] }, 'flags'), /needs the channels knob/);
  t.is(parseRunConfig({ budget: 'latency:0.5', knobs: ['channels'] }).budget, 'latency:0.5');
});

test('knapsack and local plan one budget: two are refused in one line; ddpg, random, uniform and greedy take them', (t) => {
  for (const agent of ['knapsack', 'local'] as const) {
    oneLine(t, () => parseRunConfig({ agent, budget: 'size:2bits,bitops:0.1' }, 'flags'), new RegExp(`--agent ${agent} plans one budget.*gives 2`));
  }
  oneLine(t, () => parseRunConfig({ agent: 'ddpg', warmStart: 'knapsack', budget: 'size:2bits,bitops:0.1' }, 'flags'), /--warm-start knapsack plans one budget/);
  for (const agent of ['ddpg', 'random', 'uniform', 'greedy'] as const) {
    t.is(parseRunConfig({ agent, budget: 'size:2bits,latency:0.6', knobs: ['bits', 'channels'] }).budget, 'size:2bits,latency:0.6');
  }
});

test('a stored config without the latency fields reads as before: batch 1, no table', (t) => {
  const c = parseRunConfig({ budget: 'size:3bits' });
  t.is(c.latencyBatch, 1);
  t.is(c.latencyTable, undefined);
});
