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

test('greedy and its re-rank on 2 worker threads: the same stored strategies, accuracies and re-rank rows as 1 process, sensitivity rounds fill both threads', async (t) => {
  const one = await greedyRun(1);
  const two = await greedyRun(2);
  t.is(one.episodes.length, 3);
  t.deepEqual(two.episodes, one.episodes);
  t.is(one.rerank?.length, 3);
  t.deepEqual(two.rerank, one.rerank);
  // the sensitivities (steps 0): after the first batches one process measures one rung a round; two threads measure two
  const rounds = (batches: number[][]) => batches.filter((b) => b.every((s) => s === 0));
  t.true(rounds(one.search).some((b) => b.length === 1), 'one process: rounds of a single rung');
  t.false(rounds(two.search).some((b) => b.length === 1), 'two threads: no round leaves a thread idle');
  t.true(rounds(two.search).length < rounds(one.search).length, `${rounds(two.search).length} batches on 2 threads, ${rounds(one.search).length} in one process`);
  // the re-rank: its 3 candidates in one batch of 4-step fine-tunes, on whichever evaluator the run has
  t.deepEqual(two.final, [[4, 4, 4]]);
  t.deepEqual(one.final, [[4, 4, 4]]);
});
