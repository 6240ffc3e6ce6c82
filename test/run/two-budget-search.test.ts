import test from 'ava';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finishRun } from '../../run/final/final.js';
import { loadStrategy } from '../../run/final/strategy.js';
import type { RunEvent } from '../../run/events.js';
import { runSearch } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import { removeDir, TINY, tinyWorkdir } from '../helpers/tiny-run.js';

let workdir = '';
let tablePath = '';

/**
 * A latency table by formula for the mlp (fc1 784 x 300, fc2 300 x 100, fc3 100 x 10), every pair of channel counts
 * up to the full ones: 0.01 ms + 1e-5 ms per multiply-accumulate, 0.05 ms outside the units (full model 0.01 + 2.352
 * + 0.01 + 0.3 + 0.01 + 0.01 + 0.05 = 2.742 ms). Given as --latency-table, so the walls work on numbers a reader can
 * check, not on this machine's timing.
 */
function formulaTable(): object {
  const ms = (i: number, o: number) => 0.01 + 1e-5 * i * o;
  const upTo = (n: number) => Array.from({ length: n }, (_, k) => k + 1);
  const row = (ins: number[], outs: number[]) => Object.fromEntries(ins.flatMap((i) => outs.map((o) => [`${i}x${o}`, ms(i, o)])));
  const full = ms(784, 300) + ms(300, 100) + ms(100, 10) + 0.05;
  return { format: 'autoshrink-latency-table', version: 1, model: 'mlp', backend: 'wasm', machine: 'formula', batch: 1, fullMs: full, constantMs: 0.05, layers: { fc1: row([784], upTo(300)), fc2: row(upTo(300), upTo(100)), fc3: row(upTo(100), [10]) } };
}

test.before(async () => {
  workdir = await tinyWorkdir('two-budgets');
  tablePath = join(workdir, 'table.json');
  writeFileSync(tablePath, JSON.stringify(formulaTable()));
});
test.after.always(() => removeDir(workdir));

for (const agent of ['random', 'uniform', 'greedy'] as const) {
  test.serial(`${agent} under size:4bits and latency:0.8: every episode holds both budgets, and runs.db records both`, async (t) => {
    const events: RunEvent[] = [];
    const { runId } = await runSearch({ ...TINY, agent, knobs: ['bits', 'channels'], budget: 'size:4bits,latency:0.8', latencyTable: tablePath, rerankTop: 2 }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
    const started = events.find((e) => e.type === 'run-started')!;
    const limits = started.type === 'run-started' ? started.budget.all!.map((b) => b.limit) : [];
    t.deepEqual(started.type === 'run-started' ? started.budget.all!.map((b) => b.kind) : [], ['size', 'latency']);
    const finished = events.filter((e) => e.type === 'episode-finished');
    t.true(finished.length >= 2);
    for (const e of finished) {
      if (e.type !== 'episode-finished') continue;
      t.is(e.costs!.length, 2);
      t.true(e.costs![0] <= limits[0] && e.costs![1] <= limits[1], `episode ${e.episode}: ${e.costs!.join(', ')} against ${limits.join(', ')}`);
      t.is(e.costs![0], e.cost);
    }
    const store = openStore(join(workdir, 'runs.db'), { readonly: true });
    t.teardown(() => store.close());
    t.deepEqual(store.getRun(runId).budgets.map((b) => [b.kind, b.limit]), [['size', limits[0]], ['latency', limits[1]]]);
    t.deepEqual(store.episodes(runId).map((e) => e.costs!.length), finished.map(() => 2));
  });
}

test.serial('the final stage of a latency run times the built model beside the original and writes both budgets and the check into strategy version 3', async (t) => {
  const { runId } = await runSearch({ ...TINY, agent: 'random', knobs: ['bits', 'channels'], budget: 'size:4bits,latency:0.8', latencyTable: tablePath, finalSteps: 2, references: false }, { workdir, backend: 'wasm' });
  const report = await finishRun(runId, { workdir, backend: 'wasm' });
  const l = report.latency!;
  t.true(l.measuredMs > 0 && l.fp32Ms > 0 && l.predictedMs > 0);
  t.is(l.overBudget, l.measuredMs / l.fp32Ms > 0.8);
  t.deepEqual(l.limit, { fraction: 0.8 });
  const strategy = loadStrategy(report.strategyPath);
  t.is(strategy.version, 3);
  t.deepEqual(strategy.budgets!.map((b) => b.kind), ['size', 'latency']);
  t.is(strategy.cost.values!.length, 2);
  t.true(strategy.cost.values![1] <= strategy.budgets![1].limit);
  t.is(strategy.cost.latency!.predictedMs, strategy.cost.values![1]);
  t.is(strategy.cost.latency!.measuredMs, l.measuredMs);
  // a table given as a file: nothing timed, nothing cached
  t.false(existsSync(join(workdir, 'latency')));
});

test.serial("a latency run's references are timed as its pick is: each built model beside the original, the prediction its cost, kept in runs.db", async (t) => {
  const { runId } = await runSearch({ ...TINY, agent: 'random', knobs: ['bits', 'channels'], budget: 'latency:0.8', latencyTable: tablePath, finalSteps: 2, rerankTop: 0 }, { workdir, backend: 'wasm' });
  const report = await finishRun(runId, { workdir, backend: 'wasm' });
  // the knapsack cannot plan channels: uniform and the channel plan
  t.deepEqual(report.references?.map((r) => r.agent), ['uniform', 'plan']);
  for (const r of report.references!) {
    const l = r.latency!;
    t.true(l.measuredMs > 0 && l.fp32Ms > 0, `${r.agent}: ${l.measuredMs} ms against ${l.fp32Ms} ms`);
    // the latency budget is the run's only one: the reference's cost is its predicted ms
    t.is(l.predictedMs, r.cost);
    t.deepEqual(l.limit, { fraction: 0.8 });
  }
  const store = openStore(join(workdir, 'runs.db'), { readonly: true });
  t.teardown(() => store.close());
  const stored = store.getRun(runId).final as { references: Array<{ latency: { measuredMs: number } }> };
  t.deepEqual(stored.references.map((r) => r.latency.measuredMs), report.references!.map((r) => r.latency!.measuredMs));
});
