import test from 'ava';
import { referenceLines } from '../../cli/final-lines.js';
import { selectBackend } from '../../env/backend.js';
import { parseRunConfig, parseStoredConfig } from '../../run/config.js';
import { createEvaluator, type EvaluatorFactory } from '../../run/evaluators/create-evaluator.js';
import { type FinalReport, finishRun } from '../../run/final/final.js';
import { referenceAgents } from '../../run/final/references.js';
import { runSearch } from '../../run/search.js';
import { cacheTinyBaseline, TINY } from '../helpers/tiny-run.js';
import { tmpDir } from '../helpers/tmp-dir.js';

test('references: uniform and knapsack beside a searched run, one of them less for its own planner, none with --references false, no final stage or channels', (t) => {
  t.deepEqual(referenceAgents(parseRunConfig({})), ['uniform', 'knapsack']);
  t.deepEqual(referenceAgents(parseRunConfig({ agent: 'knapsack' })), ['uniform']);
  t.deepEqual(referenceAgents(parseRunConfig({ agent: 'uniform' })), ['knapsack']);
  t.deepEqual(referenceAgents(parseRunConfig({ references: false })), []);
  t.deepEqual(referenceAgents(parseRunConfig({ finalSteps: 0 })), []);
  t.deepEqual(referenceAgents(parseRunConfig({ knobs: ['bits', 'channels'] })), ['uniform', 'plan'], 'the knapsack cannot plan channels: the channel plan stands in');
  t.deepEqual(referenceAgents(parseRunConfig({ agent: 'plan', knobs: ['channels'], budget: 'flops:0.5' })), ['uniform']);
  const stored = { ...parseRunConfig({}) } as Record<string, unknown>;
  delete stored.references;
  t.false(parseStoredConfig(stored, 'r1').references, 'a run stored before references finishes without them');
});

// the wasm backend is chosen once for the file: two tests initialising it at once can fail
test.before(async () => {
  await selectBackend('wasm');
});

test.serial("the uniform and knapsack references of a random-search run score exactly what a uniform run's and a knapsack run's own final stages score; the sensitivities the search measured are not measured again", async (t) => {
  const workdir = tmpDir(t);
  await cacheTinyBaseline(workdir);
  const common = { ...TINY, finalSteps: 5, rerankTop: 0 };
  const uniformRun = await runSearch({ ...common, agent: 'uniform' }, { workdir, backend: 'wasm' });
  const own = await finishRun(uniformRun.runId, { workdir, backend: 'wasm' });
  t.deepEqual(own.references?.map((r) => r.agent), ['knapsack']);
  const knapsackRun = await runSearch({ ...common, agent: 'knapsack' }, { workdir, backend: 'wasm' });
  const ownKnapsack = await finishRun(knapsackRun.runId, { workdir, backend: 'wasm' });
  // the random run's fill pass measures the sensitivities during the search; its final stage reads them from the store
  const searched = await runSearch({ ...common, agent: 'random', episodes: 2 }, { workdir, backend: 'wasm' });
  const steps: Array<number | undefined> = [];
  const counting: EvaluatorFactory = async (config, built, opts) => {
    const inner = await createEvaluator(config, built, opts);
    return { slots: inner.slots, measure: (jobs, o) => (steps.push(...jobs.map((j) => j.steps)), inner.measure(jobs, o)), close: () => inner.close() };
  };
  const report = await finishRun(searched.runId, { workdir, backend: 'wasm', createEvaluator: counting });
  t.deepEqual(report.references?.map((r) => r.agent), ['uniform', 'knapsack']);
  const [uniform, knapsack] = report.references!;
  t.is(uniform.testAccuracy, own.testAccuracy);
  t.is(uniform.packedBytes, own.sizes.packedBytes);
  t.is(knapsack.testAccuracy, ownKnapsack.testAccuracy);
  t.is(knapsack.packedBytes, ownKnapsack.sizes.packedBytes);
  t.false(steps.includes(0), `no sensitivity measured again in the final stage (jobs: ${steps.join(', ')})`);
  t.true(report.references!.every((r) => r.budgetShare <= 1 && r.budgetShare > 0));
  t.true(report.referenceSeconds! > 0);
});

test.serial("with --rerank-top 2 the uniform reference goes through the run's re-rank: it finishes the same strategy, at the same test accuracy and bytes, as a uniform run's own re-rank and final", async (t) => {
  const workdir = tmpDir(t);
  await cacheTinyBaseline(workdir);
  const common = { ...TINY, knobs: ['bits' as const], finalSteps: 5, rerankTop: 2, rerankSteps: 3, holdoutSize: 200 };
  const uniformRun = await runSearch({ ...common, agent: 'uniform' }, { workdir, backend: 'wasm' });
  const own = await finishRun(uniformRun.runId, { workdir, backend: 'wasm' });
  t.is(own.rerank?.length, 2, "the uniform run re-ranks its 2 costliest settings: 4 and 3 bits");
  const searched = await runSearch({ ...common, agent: 'random', episodes: 2 }, { workdir, backend: 'wasm' });
  const report = await finishRun(searched.runId, { workdir, backend: 'wasm' });
  const uniform = report.references!.find((r) => r.agent === 'uniform')!;
  t.is(uniform.candidates, 2);
  t.is(uniform.testAccuracy, own.testAccuracy);
  t.is(uniform.packedBytes, own.sizes.packedBytes);
});

test('the summary sets the references beside the result with the points the search bought', (t) => {
  const r = {
    out: '/o',
    steps: 600,
    agent: 'ddpg',
    testAccuracy: 0.8991,
    budgetShare: 0.991,
    sizes: { packedBytes: 18200 },
    referenceSeconds: 100,
    references: [
      { agent: 'uniform', testAccuracy: 0.8787, packedBytes: 17900, budgetShare: 0.97 },
      { agent: 'knapsack', testAccuracy: 0.8961, packedBytes: 18100, budgetShare: 0.985 },
    ],
  } as unknown as FinalReport;
  t.deepEqual(referenceLines(r), [
    '',
    'what the search bought (each through the same 600-step final fine-tune):',
    '  ddpg (this run)  test 89.91%  model.ashk 18.2 kB  budget used 99.1%',
    '  uniform          test 87.87%  model.ashk 17.9 kB  budget used 97.0%  this run +2.04 points',
    '  knapsack         test 89.61%  model.ashk 18.1 kB  budget used 98.5%  this run +0.30 points',
    '  the references took 1m40s more (--references false skips them); their files: /o/references/',
  ]);
  t.deepEqual(referenceLines({ ...r, references: undefined }), []);
  const reranked = referenceLines({ ...r, rerank: [{ episode: 1 }] } as unknown as FinalReport);
  t.is(reranked[1], 'what the search bought (each through the same re-rank and 600-step final fine-tune):');
});

test.serial("a channel run's references are uniform and the channel plan (the knapsack cannot plan channels): the plan reference scores what a plan run's own final scores", async (t) => {
  const workdir = tmpDir(t);
  await cacheTinyBaseline(workdir);
  const common = { ...TINY, knobs: ['channels' as const], budget: 'flops:0.5', finalSteps: 3, rerankTop: 0 };
  const planRun = await runSearch({ ...common, agent: 'plan' }, { workdir, backend: 'wasm' });
  const own = await finishRun(planRun.runId, { workdir, backend: 'wasm' });
  t.deepEqual(own.references?.map((r) => r.agent), ['uniform']);
  const searched = await runSearch({ ...common, agent: 'random', episodes: 2 }, { workdir, backend: 'wasm' });
  const report = await finishRun(searched.runId, { workdir, backend: 'wasm' });
  t.deepEqual(report.references?.map((r) => r.agent), ['uniform', 'plan']);
  const plan = report.references![1];
  t.is(plan.testAccuracy, own.testAccuracy);
  t.is(plan.packedBytes, own.sizes.packedBytes);
  t.true(plan.budgetShare <= 1 && plan.budgetShare > 0.9, `the plan spends the FLOPs budget: ${plan.budgetShare}`);
});
