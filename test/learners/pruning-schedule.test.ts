import test from 'ava';
import { ConfigError } from '../../errors.js';
import { constantSparsity, polynomialDecay } from '../../learners/pruning-schedule.js';

const ramp = () => polynomialDecay({ initialSparsity: 0.2, finalSparsity: 0.8, beginStep: 100, endStep: 110, frequency: 1 });

test('polynomial decay from 0.2 to 0.8 over steps 100..110 gives 0.2, 0.4928, 0.725, 0.8 at steps 100, 102, 105, 110', (t) => {
  const s = ramp();
  // 0.8 + (0.2 - 0.8) (1 - p)^3 with p = 0, 0.2, 0.5, 1
  const expected: Array<[number, number]> = [[100, 0.2], [102, 0.4928], [105, 0.725], [110, 0.8]];
  for (const [step, sparsity] of expected) {
    t.true(Math.abs(s(step).sparsity - sparsity) < 1e-12, `step ${step}: ${s(step).sparsity} vs ${sparsity}`);
    t.true(s(step).shouldPrune);
  }
});

test('initial sparsity is the sparsity at beginStep, not at step 0, and nothing is pruned before beginStep', (t) => {
  const s = ramp();
  t.deepEqual(s(0), { shouldPrune: false, sparsity: 0.2 });
  t.false(s(99).shouldPrune);
});

test('after endStep the sparsity stays final and pruning stops', (t) => {
  const s = ramp();
  t.deepEqual(s(111), { shouldPrune: false, sparsity: 0.8 });
  t.deepEqual(s(10_000), { shouldPrune: false, sparsity: 0.8 });
});

test('pruning happens every `frequency` steps counted from beginStep', (t) => {
  const s = polynomialDecay({ initialSparsity: 0, finalSparsity: 0.5, beginStep: 10, endStep: 20, frequency: 4 });
  const pruned = Array.from({ length: 25 }, (_, step) => step).filter((step) => s(step).shouldPrune);
  t.deepEqual(pruned, [10, 14, 18]);
});

test("PocketFlow's cubic ramp from 0 is polynomial decay from 0: halfway to 0.5 gives 0.5 - 0.5 * 0.5^3 = 0.4375", (t) => {
  const s = polynomialDecay({ initialSparsity: 0, finalSparsity: 0.5, beginStep: 0, endStep: 100 });
  t.is(s(50).sparsity, 0.4375);
  t.is(s(0).sparsity, 0);
});

test('constant sparsity keeps its target and prunes every frequency steps from beginStep with no end by default', (t) => {
  const s = constantSparsity({ targetSparsity: 0.5, beginStep: 3 });
  t.deepEqual(s(2), { shouldPrune: false, sparsity: 0.5 });
  t.deepEqual(s(3), { shouldPrune: true, sparsity: 0.5 });
  t.false(s(4).shouldPrune);
  t.true(s(103).shouldPrune);
  t.true(s(1_000_003).shouldPrune);
});

test('constant sparsity with endStep == beginStep prunes exactly once', (t) => {
  const s = constantSparsity({ targetSparsity: 0.3, beginStep: 5, endStep: 5, frequency: 1 });
  t.deepEqual([4, 5, 6].map((step) => s(step).shouldPrune), [false, true, false]);
});

test('polynomial decay with endStep == beginStep is rejected: the ramp would divide by zero', (t) => {
  const e = t.throws(() => polynomialDecay({ initialSparsity: 0.1, finalSparsity: 0.5, beginStep: 10, endStep: 10 }), { instanceOf: ConfigError });
  t.regex(e!.message, /endStep > beginStep/);
});

test('invalid schedules are rejected with a ConfigError that names the problem', (t) => {
  const bad: Array<[() => unknown, RegExp]> = [
    [() => polynomialDecay({ initialSparsity: 0.1, finalSparsity: 0.5, beginStep: 10, endStep: 5 }), /endStep \(5\) must be >= beginStep/],
    [() => polynomialDecay({ initialSparsity: 0.1, finalSparsity: 0.5, beginStep: 10, endStep: -1 }), /needs an end step/],
    [() => polynomialDecay({ initialSparsity: 0.1, finalSparsity: 1, beginStep: 0, endStep: 5 }), /finalSparsity must be in \[0, 1\)/],
    [() => polynomialDecay({ initialSparsity: -0.1, finalSparsity: 0.5, beginStep: 0, endStep: 5 }), /initialSparsity must be in \[0, 1\)/],
    [() => constantSparsity({ targetSparsity: Number.NaN, beginStep: 0 }), /targetSparsity must be in \[0, 1\)/],
    [() => constantSparsity({ targetSparsity: 0.5, beginStep: 0, frequency: 0 }), /frequency must be an integer >= 1/],
    [() => constantSparsity({ targetSparsity: 0.5, beginStep: 0, frequency: 1.5 }), /frequency must be an integer >= 1/],
    [() => constantSparsity({ targetSparsity: 0.5, beginStep: -1 }), /beginStep must be an integer >= 0/],
  ];
  for (const [make, message] of bad) {
    const e = t.throws(make, { instanceOf: ConfigError });
    t.regex(e!.message, message);
  }
});
