import test from 'ava';
import type { RunConfig } from '../../run/config.js';
import type { RunEvent, RunFinishedEvent } from '../../run/events.js';
import { resumeSearch, runSearch, storePath } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import { removeDir, TINY, tinyWorkdir } from '../helpers/tiny-run.js';
import { killedSearch } from '../helpers/killed-search.js';

let workdir = '';
test.before(async () => (workdir = await tinyWorkdir('learn-ahead')));
test.after.always(() => removeDir(workdir));

/** Six episodes, two a batch, warm-up 1; each batch after the first proposed before the one before it is learnt. */
const AHEAD: Partial<RunConfig> = { ...TINY, episodes: 6, rolloutBatch: 2, learnAhead: true };

function stored(runId: string) {
  const store = openStore(storePath(workdir), { readonly: true });
  try {
    return store.episodes(runId).map((e) => ({ episode: e.episode, strategy: e.strategy, accuracy: e.accuracy, reward: e.reward, criticLoss: e.criticLoss, meanQ: e.meanQ, sigma: e.sigma }));
  } finally {
    store.close();
  }
}

let reference: Promise<ReturnType<typeof stored>> | null = null;
function inProcessReference() {
  reference ??= runSearch(AHEAD, { workdir, backend: 'wasm' }).then((r) => stored(r.runId));
  return reference;
}

test('--learn-ahead proposes batch [2, 3] before it learns episode 0, and 2 worker threads store what 1 in-process evaluator stores, losses included', async (t) => {
  const events: RunEvent[] = [];
  const two = await runSearch({ ...AHEAD, workers: 2 }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  t.is(two.status, 'completed');
  const order = events.flatMap((e) => (e.type === 'episode-started' ? [`start ${e.episode}`] : e.type === 'episode-finished' ? [`finish ${e.episode}`] : []));
  // batch b+1 is proposed (started) once batch b is evaluated, before b is learnt and stored (finished)
  t.deepEqual(order, ['start 0', 'start 1', 'start 2', 'start 3', 'finish 0', 'finish 1', 'start 4', 'start 5', 'finish 2', 'finish 3', 'finish 4', 'finish 5']);
  t.deepEqual(stored(two.runId), await inProcessReference());
  // an episode's seconds are its share of the loop's wall time: the learning that overlaps the next batch's
  // evaluation counts once, so the episodes' seconds sum to at most the run's
  const seconds = events.flatMap((e) => (e.type === 'episode-finished' ? [e.seconds] : []));
  const run = events.find((e): e is RunFinishedEvent => e.type === 'run-finished')!;
  t.true(seconds.reduce((a, b) => a + b, 0) <= run.seconds, `episode seconds ${seconds.map((s) => s.toFixed(3)).join(' + ')} against the run's ${run.seconds.toFixed(3)} s`);
});

/** The search in a child process that SIGKILLs itself right after episode `after` is stored; returns the run id. */
function killedAfter(config: Partial<RunConfig>, after: number): Promise<string> {
  return killedSearch(workdir, config, { AUTOSHRINK_TEST_KILL_AFTER: String(after) });
}

// killed after 2: episode 3 of its batch and the batch [4, 5] after it are in the checkpoint; after 3: only [4, 5]
for (const after of [2, 3]) {
  test(`--learn-ahead killed after episode ${after} (batch [4, 5] already proposed) resumes to what the uninterrupted run stores`, async (t) => {
    const runId = await killedAfter(AHEAD, after);
    const store = openStore(storePath(workdir), { readonly: true });
    const env = store.lastCheckpoint(runId)!.env as { pending?: Array<{ episode: number }>; next?: Array<{ episode: number }> };
    store.close();
    t.deepEqual((env.pending ?? []).map((p) => p.episode), after === 2 ? [3] : []);
    t.deepEqual((env.next ?? []).map((p) => p.episode), [4, 5]);
    const resumed = await resumeSearch(runId, { workdir, backend: 'wasm' });
    t.is(resumed.status, 'completed');
    t.deepEqual(stored(runId), await inProcessReference());
  });
}
