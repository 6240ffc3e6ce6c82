import test from 'ava';
import type { RunConfig } from '../../run/config.js';
import { createEvaluator, type EvaluatorFactory } from '../../run/evaluators/create-evaluator.js';
import { finishRun } from '../../run/final/final.js';
import { runSearch, storePath } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import { removeDir, TINY, tinyWorkdir } from '../helpers/tiny-run.js';

// one work directory (one cached 1-epoch mlp) for the file; runs are told apart by id
let workdir = '';
test.before(async () => (workdir = await tinyWorkdir('parallel-greedy')));
test.after.always(() => removeDir(workdir));

/** Greedy over bits 1..8 on the mlp's 3 layers under 3 bits a weight: a walk of several rungs, 3 candidates re-ranked. */
const GREEDY: Partial<RunConfig> = { ...TINY, agent: 'greedy', knobs: ['bits'], budget: 'size:3bits', rerankTop: 3, rerankSteps: 4 };

/** The default evaluator, with the size of every batch it is given recorded. */
function counting(batches: number[][]): EvaluatorFactory {
  return async (config, built, opts) => {
    const inner = await createEvaluator(config, built, opts);
    return { slots: inner.slots, measure: (jobs, o) => (batches.push(jobs.map((j) => j.steps ?? -1)), inner.measure(jobs, o)), close: () => inner.close() };
  };
}

async function greedyRun(workers: number) {
  const search: number[][] = [];
  const final: number[][] = [];
  const r = await runSearch({ ...GREEDY, workers }, { workdir, backend: 'wasm', createEvaluator: counting(search) });
  const report = await finishRun(r.runId, { workdir, backend: 'wasm', createEvaluator: counting(final) });
  const store = openStore(storePath(workdir), { readonly: true });
  try {
    const episodes = store.episodes(r.runId).map((e) => ({ strategy: e.strategy, accuracy: e.accuracy, reward: e.reward }));
    return { episodes, rerank: report.rerank, search, final };
  } finally {
    store.close();
  }
}

test('greedy and its re-rank on 2 worker threads: the same stored strategies, accuracies and re-rank rows as 1 process, one batch of sensitivities', async (t) => {
  const one = await greedyRun(1);
  const two = await greedyRun(2);
  t.is(one.episodes.length, 3);
  t.deepEqual(two.episodes, one.episodes);
  t.is(one.rerank?.length, 3);
  t.deepEqual(two.rerank, one.rerank);
  // the sensitivities (steps 0): one batch on either evaluator, the fp32 reference and all 3 layers x 7 bit widths (2..8)
  // (an axis of at most 8 values is measured whole), which greedy, its fill pass and its alternatives share
  const rounds = (batches: number[][]) => batches.filter((b) => b.every((s) => s === 0)).map((b) => b.length);
  t.deepEqual(rounds(one.search), [1 + 3 * 7]);
  t.deepEqual(rounds(two.search), [1 + 3 * 7]);
  // the re-rank: its 3 candidates in one batch of 4-step fine-tunes, on whichever evaluator the run has
  t.deepEqual(two.final, [[4, 4, 4]]);
  t.deepEqual(one.final, [[4, 4, 4]]);
});

test("the summary's references on 2 worker threads: the same strategies and test accuracies as 1 process, their measurements through the run's evaluator", async (t) => {
  const references = async (workers: number) => {
    const final: number[][] = [];
    // no fill pass: the search measures no sensitivities, so the knapsack reference measures its own in the final stage
    const run = await runSearch({ ...TINY, agent: 'random', episodes: 2, knobs: ['bits'], budget: 'size:3bits', finalSteps: 3, rerankTop: 2, rerankSteps: 2, fill: false, workers }, { workdir, backend: 'wasm' });
    const report = await finishRun(run.runId, { workdir, backend: 'wasm', createEvaluator: counting(final) });
    return { rows: report.references!.map((r) => ({ agent: r.agent, candidates: r.candidates, test: r.testAccuracy, bytes: r.packedBytes })), final };
  };
  const one = await references(1);
  const two = await references(2);
  t.deepEqual(one.rows.map((r) => r.agent), ['uniform', 'knapsack']);
  t.deepEqual(two.rows, one.rows);
  // the run's re-rank [2, 2], then the references' own batches on the same evaluator: the uniform candidates scored
  // as episodes (TINY's 4 fine-tune steps) and re-ranked (2 steps), the knapsack's sensitivities (0 steps) and more
  for (const f of [one.final, two.final]) {
    t.deepEqual(f[0], [2, 2], "the run's own re-rank");
    t.true(f.length > 3, `${f.length} batches`);
    t.true(f.slice(1).some((b) => b.every((s) => s === 0)), 'the knapsack reference measures its sensitivities on the evaluator');
  }
});
