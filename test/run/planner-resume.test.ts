import test from 'ava';
import Database from 'better-sqlite3';
import { selectBackend } from '../../env/backend.js';
import type { EpisodeFinishedEvent, RunEvent } from '../../run/events.js';
import { resumeSearch, runSearch, storePath } from '../../run/search.js';
import { cacheTinyBaseline, TINY } from '../helpers/tiny-run.js';
import { tmpDir } from '../helpers/tmp-dir.js';

test.before(async () => {
  await selectBackend('wasm');
});

test('a knapsack run stored when one-shot planners planned 1 episode resumes and finishes with that 1, the knapsack answer', async (t) => {
  const workdir = tmpDir(t);
  await cacheTinyBaseline(workdir);
  const config = { ...TINY, agent: 'knapsack' as const, knobs: ['bits' as const], bitBounds: [2, 8] as [number, number], budget: 'size:3bits' };
  const controller = new AbortController();
  const stopped = await runSearch(config, { workdir, backend: 'wasm', signal: controller.signal, onEvent: (e) => e.type === 'episode-started' && controller.abort() });
  t.is(stopped.status, 'stopped');
  t.is(stopped.episodes, 0);
  // as an older version stored it
  const db = new Database(storePath(workdir));
  db.prepare('UPDATE runs SET episodes_planned = 1 WHERE id = ?').run(stopped.runId);
  db.close();
  const events: RunEvent[] = [];
  const resumed = await resumeSearch(stopped.runId, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  t.is(resumed.status, 'completed');
  t.is(resumed.episodes, 1);
  const fresh: RunEvent[] = [];
  await runSearch(config, { workdir, backend: 'wasm', onEvent: (e) => fresh.push(e) });
  const first = (es: RunEvent[]) => es.find((e): e is EpisodeFinishedEvent => e.type === 'episode-finished')!.strategy;
  t.deepEqual(first(events), first(fresh));
});
