import test from 'ava';
import type { RunConfig } from '../../run/config.js';
import * as tf from '../../tfjs.js';
import { BudgetError } from '../../errors.js';
import type { EpisodeFinishedEvent, RunEvent } from '../../run/events.js';
import { resumeSearch, runSearch, storePath } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import { removeDir, TINY, tinyWorkdir } from '../helpers/tiny-run.js';
import { killedSearch } from '../helpers/killed-search.js';

// one work directory (one cached 1-epoch mlp) for every test of this file; runs are told apart by id
let workdir = '';
test.before(async () => (workdir = await tinyWorkdir('search')));
test.after.always(() => removeDir(workdir));

function strategies(runId: string) {
  const store = openStore(storePath(workdir), { readonly: true });
  try {
    return store.episodes(runId).map((e) => ({ episode: e.episode, strategy: e.strategy, accuracy: e.accuracy }));
  } finally {
    store.close();
  }
}

test('a search stores every episode, keeps the budget, and the same seed makes the same choices', async (t) => {
  const events: RunEvent[] = [];
  const a = await runSearch(TINY, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  t.is(a.status, 'completed');
  t.is(a.episodes, 4);
  const started = events.find((e) => e.type === 'run-started');
  const finished = events.filter((e): e is EpisodeFinishedEvent => e.type === 'episode-finished');
  t.deepEqual(finished.map((e) => e.episode), [0, 1, 2, 3]);
  if (started?.type !== 'run-started') return t.fail();
  for (const e of finished) t.true(e.cost <= started.budget.limit, `episode ${e.episode} cost ${e.cost} > ${started.budget.limit}`);
  // each episode carries the share of the budget it used
  for (const e of finished) t.is(e.budgetShare, e.cost / started.budget.limit);
  // five events per episode at least: started, one layer-chosen per layer (3 for the mlp), finished
  t.is(events.filter((e) => e.type === 'layer-chosen').length, 4 * 3);
  const b = await runSearch(TINY, { workdir, backend: 'wasm' });
  t.deepEqual(strategies(b.runId), strategies(a.runId));
  // nothing is left at fp32 in the mlp: no warning
  t.deepEqual(started.leftOut, []);
  t.false(events.some((e) => e.type === 'log' && e.level === 'warn'));
});

test('a layer excluded from the search is named at the start, never left at fp32 silently', async (t) => {
  const events: RunEvent[] = [];
  await runSearch({ ...TINY, agent: 'random', episodes: 1, exclude: ['fc3'] }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  const started = events.find((e) => e.type === 'run-started');
  if (started?.type !== 'run-started') return t.fail();
  t.deepEqual(started.layers, ['fc1', 'fc2']);
  // the mlp's fc3 is 100 x 10 weights + 10 biases
  t.deepEqual(started.leftOut, [{ name: 'fc3', className: 'Dense', params: 1010, reason: 'excluded' }]);
  const warning = events.find((e) => e.type === 'log' && e.level === 'warn');
  t.deepEqual(warning, { type: 'log', level: 'warn', message: 'left at full precision: fc3 (Dense, excluded, 1,010 weights)' });
});

test('a stopped run resumes where it stopped and makes the choices the uninterrupted run made', async (t) => {
  const full = await runSearch(TINY, { workdir, backend: 'wasm' });
  const controller = new AbortController();
  const stopped = await runSearch(TINY, {
    workdir,
    backend: 'wasm',
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'episode-finished' && e.episode === 1) controller.abort();
    },
  });
  t.is(stopped.status, 'stopped');
  t.is(stopped.episodes, 2);
  const resumed = await resumeSearch(stopped.runId.slice(0, 18), { workdir, backend: 'wasm' });
  t.is(resumed.status, 'completed');
  t.deepEqual(strategies(stopped.runId), strategies(full.runId));
});

test('a search killed with SIGKILL mid-episode resumes without losing or repeating an episode', async (t) => {
  // the child kills itself as episode 2 starts its evaluation: episodes 0 and 1 are stored, episode 2 is in flight
  const config = { ...TINY, episodes: 6 };
  // killedSearch throws unless the child died by SIGKILL
  const runId = await killedSearch(workdir, config, { AUTOSHRINK_TEST_KILL_DURING: '2' });
  t.truthy(runId);
  t.deepEqual(strategies(runId).map((e) => e.episode), [0, 1]);
  const resumed = await resumeSearch(runId, { workdir, backend: 'wasm' });
  t.is(resumed.status, 'completed');
  const store = openStore(storePath(workdir));
  t.deepEqual(store.episodes(runId).map((e) => e.episode), [0, 1, 2, 3, 4, 5]);
  t.is(store.integrityCheck(), 'ok');
  store.close();
});

test('an infeasible budget is refused before the search starts, naming the smallest achievable size', async (t) => {
  const e = await t.throwsAsync(runSearch({ ...TINY, budget: 'size:1kB', knobs: ['bits'] }, { workdir, backend: 'wasm' }), { instanceOf: BudgetError });
  t.regex(e!.message, /below the smallest achievable size, \d+(\.\d+)? kB/);
  t.false(e!.message.includes('\n'));
});

test.serial('episodes leave no tensors behind', async (t) => {
  await runSearch({ ...TINY, episodes: 2 }, { workdir, backend: 'wasm' });
  const before = tf.memory().numTensors;
  await runSearch({ ...TINY, episodes: 3 }, { workdir, backend: 'wasm' });
  t.is(tf.memory().numTensors, before);
});

test('the greedy baseline lowers the least sensitive layers until the budget holds, then stores its answer and 2 alternatives (--rerank-top 3)', async (t) => {
  const events: RunEvent[] = [];
  const r = await runSearch({ ...TINY, agent: 'greedy', knobs: ['bits'], budget: 'size:3bits' }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  t.is(r.status, 'completed');
  t.is(r.episodes, 3);
  const started = events.find((e) => e.type === 'run-started');
  const finished = events.filter((e): e is EpisodeFinishedEvent => e.type === 'episode-finished');
  if (started?.type !== 'run-started') return t.fail();
  t.is(started.episodes, 3);
  for (const e of finished) t.true(e.cost <= started.budget.limit);
  t.is(new Set(finished.map((e) => JSON.stringify(e.strategy))).size, 3, 'three distinct strategies');
  t.true(events.some((e) => e.type === 'log' && e.message.startsWith('greedy: ')));
});

test('the uniform baseline stores its 3 costliest identical settings that fit, costliest first: 4, 3 and 2 bits under a 4-bit budget', async (t) => {
  const events: RunEvent[] = [];
  const r = await runSearch({ ...TINY, agent: 'uniform', knobs: ['bits'], bitBounds: [2, 8], budget: 'size:4bits' }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  t.is(r.episodes, 3);
  const finished = events.filter((e): e is EpisodeFinishedEvent => e.type === 'episode-finished');
  t.deepEqual(finished.map((e) => e.strategy.map((l) => l.bits)), [[4, 4, 4], [3, 3, 3], [2, 2, 2]]);
});

test('--agent local starts at the knapsack answer and searches its neighbours for --episodes episodes, each a new strategy within the budget', async (t) => {
  const base = { ...TINY, knobs: ['bits'] as RunConfig['knobs'], bitBounds: [2, 8] as [number, number], budget: 'size:3bits', episodes: 5 };
  const knapsack: RunEvent[] = [];
  await runSearch({ ...base, agent: 'knapsack' }, { workdir, backend: 'wasm', onEvent: (e) => knapsack.push(e) });
  const events: RunEvent[] = [];
  const r = await runSearch({ ...base, agent: 'local' }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  t.is(r.episodes, 5);
  const started = events.find((e) => e.type === 'run-started');
  const finished = events.filter((e): e is EpisodeFinishedEvent => e.type === 'episode-finished');
  const first = knapsack.find((e) => e.type === 'episode-finished');
  if (started?.type !== 'run-started' || first?.type !== 'episode-finished') return t.fail();
  t.deepEqual(finished[0].strategy, first.strategy);
  for (const e of finished) t.true(e.cost <= started.budget.limit);
  t.is(new Set(finished.map((e) => JSON.stringify(e.strategy))).size, finished.filter((e) => !e.cached).length);
});

test('the knapsack baseline measures 7 bit widths x 3 layers without fine-tune, then stores its 3 best solutions within the budget', async (t) => {
  const events: RunEvent[] = [];
  const r = await runSearch({ ...TINY, agent: 'knapsack', knobs: ['bits'], bitBounds: [2, 8], budget: 'size:3bits' }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  t.is(r.status, 'completed');
  t.is(r.episodes, 3);
  const started = events.find((e) => e.type === 'run-started');
  const all = events.filter((e): e is EpisodeFinishedEvent => e.type === 'episode-finished');
  const finished = all[0];
  if (started?.type !== 'run-started' || finished?.type !== 'episode-finished') return t.fail();
  for (const e of all) t.true(e.cost <= started.budget.limit);
  t.is(new Set(all.map((e) => JSON.stringify(e.strategy))).size, 3, 'three distinct strategies');
  t.true(events.some((e) => e.type === 'log' && e.message.startsWith('sensitivities: measured 21 layer settings without fine-tune')));
  // a 3-bit average leaves room for mixed widths: the knapsack spends at least as much as uniform 3 bits would
  t.true(finished.cost >= started.budget.limit * 0.9, `${finished.cost} of ${started.budget.limit}`);
});

test('a DDPG run warm-started by the knapsack plays the knapsack answer as episode 1, then clones it into the actor', async (t) => {
  const base = { ...TINY, knobs: ['bits'] as RunConfig['knobs'], bitBounds: [2, 8] as [number, number], budget: 'size:3bits' };
  const knapsack: RunEvent[] = [];
  await runSearch({ ...base, agent: 'knapsack' }, { workdir, backend: 'wasm', onEvent: (e) => knapsack.push(e) });
  const seeded: RunEvent[] = [];
  const r = await runSearch({ ...base, agent: 'ddpg', warmStart: 'knapsack' }, { workdir, backend: 'wasm', onEvent: (e) => seeded.push(e) });
  t.is(r.episodes, TINY.episodes!);
  const firstOf = (events: RunEvent[]) => events.find((e) => e.type === 'episode-finished');
  const a = firstOf(knapsack);
  const b = firstOf(seeded);
  if (a?.type !== 'episode-finished' || b?.type !== 'episode-finished') return t.fail();
  t.deepEqual(b.strategy, a.strategy);
  t.is(b.accuracy, a.accuracy);
  t.true(seeded.some((e) => e.type === 'log' && e.message.startsWith('warm start: the actor imitates the knapsack answer')));
});


test('with batched rollouts a warm start plays the knapsack answer alone: the actor imitates it before episode 2 is proposed', async (t) => {
  const base = { ...TINY, knobs: ['bits'] as RunConfig['knobs'], bitBounds: [2, 8] as [number, number], budget: 'size:3bits', rolloutBatch: 2 };
  const events: RunEvent[] = [];
  const r = await runSearch({ ...base, agent: 'ddpg', warmStart: 'knapsack', seed: 5 }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  t.is(r.episodes, TINY.episodes!);
  const imitated = events.findIndex((e) => e.type === 'log' && e.message.startsWith('warm start: the actor imitates the knapsack answer'));
  const secondStarted = events.findIndex((e) => e.type === 'episode-started' && e.episode === 1);
  t.true(imitated >= 0 && secondStarted > imitated, `imitation at event ${imitated}, episode 2 proposed at event ${secondStarted}`);
  // after the seed's own batch, the rest go two at a time: episodes 2 and 3 are both proposed before either finishes
  const started3 = events.findIndex((e) => e.type === 'episode-started' && e.episode === 2);
  const finished2 = events.findIndex((e) => e.type === 'episode-finished' && e.episode === 1);
  t.true(started3 < finished2);
});

test('an exploring episode that lands on a strategy already measured is drawn again: with --redraws 4 fewer exploring episodes replay one than with 0', async (t) => {
  const base = { ...TINY, knobs: ['bits'] as RunConfig['knobs'], bitBounds: [2, 8] as [number, number], budget: 'size:3bits', agent: 'ddpg' as const, warmStart: 'knapsack' as const, episodes: 14, seed: 3 };
  const replays = async (redraws: number) => {
    const events: RunEvent[] = [];
    await runSearch({ ...base, redraws }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
    const finished = events.filter((e): e is EpisodeFinishedEvent => e.type === 'episode-finished');
    const distinct = new Set(finished.map((e) => JSON.stringify(e.strategy))).size;
    return { cachedExploring: finished.filter((e) => e.cached && e.phase !== 'policy').length, distinct };
  };
  const off = await replays(0);
  const on = await replays(4);
  t.true(off.cachedExploring > 0, 'without redraws the tiny run replays strategies');
  t.true(on.cachedExploring < off.cachedExploring, `replays: ${on.cachedExploring} with redraws, ${off.cachedExploring} without`);
  t.true(on.distinct > off.distinct, `distinct strategies: ${on.distinct} with redraws, ${off.distinct} without`);
});
