import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import { openStore } from '../../run/store/store.js';
import { SCHEMA_VERSION } from '../../run/store/schema.js';
import { sampleCheckpoint, sampleEpisode, sampleRun } from '../helpers/store-samples.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

function fromFixture(t: ExecutionContext, name: string): string {
  const path = join(tmpDir(t, 'autoshrink-store-budgets-'), 'runs.db');
  mkdirSync(dirname(path), { recursive: true });
  const raw = new Database(path);
  raw.exec(readFileSync(fixture(name), 'utf8'));
  raw.close();
  return path;
}

test('a v4 database migrates: the rebuilt runs table keeps its run, episodes, checkpoint and lock; one budget reads as budgets [budget]', (t) => {
  const path = fromFixture(t, 'runs-v4.sql');
  const store = openStore(path);
  t.teardown(() => store.close());
  const run = store.getRun('20261201-0800-d00d');
  t.like(run, { status: 'stopped', seed: 44, budget: { kind: 'flops', limit: 1500000 }, episodesDone: 2, best: { episode: 1 } });
  t.deepEqual(run.budgets, [{ kind: 'flops', limit: 1500000 }]);
  const episodes = store.episodes(run.id);
  t.deepEqual(episodes.map((e) => [e.episode, e.phase, e.cost, e.criticLoss, e.clamped]), [[0, 'warmup', 1200000, null, 1], [1, 'learning', 1400000, 0.25, 0]]);
  t.false('costs' in episodes[0], 'an episode of one budget has no costs');
  t.is(store.lastCheckpoint(run.id)?.episode, 1);
  t.is(store.integrityCheck(), 'ok');
  const raw = new Database(path, { readonly: true });
  t.teardown(() => raw.close());
  t.is(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  t.deepEqual(raw.prepare('SELECT run_id, pid, host FROM run_locks').all(), [{ run_id: run.id, pid: 999999, host: 'elsewhere' }]);
});

test('the migrated v2 fixture keeps its runs too, and the store then takes a run of two budgets with latency', (t) => {
  const path = fromFixture(t, 'runs-v2.sql');
  const store = openStore(path);
  t.teardown(() => store.close());
  t.deepEqual(store.getRun('20261102-1000-cafe').budgets, [{ kind: 'size', limit: 16200 }]);
  t.is(store.episodes('20261102-1000-cafe').length, 2);
  const budgets = [{ kind: 'size' as const, limit: 12000 }, { kind: 'latency' as const, limit: 1.25 }];
  const { id } = store.createRun(sampleRun({ budget: budgets[0], budgets }));
  store.recordEpisode(id, { ...sampleEpisode(0), cost: 11000, costs: [11000, 1.2] }, sampleCheckpoint(0));
  const run = store.getRun(id);
  t.deepEqual(run.budget, budgets[0]);
  t.deepEqual(run.budgets, budgets);
  t.deepEqual(store.episodes(id)[0].costs, [11000, 1.2]);
  t.deepEqual(run.best?.costs, [11000, 1.2], 'the best keeps its cost against both, for the live view of a resumed run');
  // a latency budget alone is a budget_kind of its own
  const alone = store.createRun(sampleRun({ budget: { kind: 'latency', limit: 2 } }));
  t.deepEqual(store.getRun(alone.id).budgets, [{ kind: 'latency', limit: 2 }]);
});

test('a run keeps the baseline it measured (98.92%, fp32 177704 bytes); a run stored before v7 reads with none', (t) => {
  const path = fromFixture(t, 'runs-v4.sql');
  const store = openStore(path);
  t.teardown(() => store.close());
  t.is(store.getRun('20261201-0800-d00d').baseline, null);
  const { id } = store.createRun(sampleRun({ baseline: { accuracy: 0.9892, full: 177704 } }));
  t.deepEqual(store.getRun(id).baseline, { accuracy: 0.9892, full: 177704 });
  t.is(store.getRun(store.createRun(sampleRun()).id).baseline, null);
});
