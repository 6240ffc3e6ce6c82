import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import { InputError, RunNotFoundError } from '../../errors.js';
import { openStore, type Store } from '../../run/store/store.js';
import { SCHEMA_VERSION } from '../../run/store/schema.js';
import { sampleCheckpoint, sampleEpisode, sampleRun } from '../helpers/store-samples.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
/** What `episodes()` gives for diagnostics nobody recorded. */
const NO_DIAGNOSTICS = { criticLoss: null, actorLoss: null, meanQ: null, sigma: null, clamped: null };

/** A fresh folder for one test's runs.db, removed afterwards. */
function tempDb(t: ExecutionContext): string {
  return join(tmpDir(t, 'autoshrink-store-'), 'nested', 'runs.db');
}

function open(t: ExecutionContext, path = ':memory:'): Store {
  const store = openStore(path);
  t.teardown(() => store.close());
  return store;
}

/** Runs a test fixture script under tsx; resolves with its stdout once it exits. */
function runFixture(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture(script), ...args], { cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited ${code}: ${err}`))));
  });
}

test('a new run is stored with its init, a sortable id and no episodes', (t) => {
  const store = open(t);
  const run = store.createRun(sampleRun());
  t.regex(run.id, /^\d{8}-\d{4}-[0-9a-f]{4}$/);
  t.like(run, {
    status: 'running', seed: 7, backend: 'cpu', model: 'lenet5', dataset: 'mnist', budget: { kind: 'size', limit: 16_000 },
    agent: 'ddpg', episodesPlanned: 100, episodesDone: 0, best: null, final: null,
  });
  t.deepEqual(run.config, { episodes: 100, warmup: 2, seed: 7 });
  t.is(run.versions.tfjs, '4.22.0');
  t.is(run.createdAt, run.updatedAt);
  t.deepEqual(store.getRun(run.id), run);
});

test('listRuns returns every run, oldest first', (t) => {
  const store = open(t);
  for (const id of ['20261122-0300-aaaa', '20261122-0301-bbbb', '20261122-0302-cccc']) store.createRun(sampleRun({ id }));
  t.deepEqual(store.listRuns().map((r) => r.id), ['20261122-0300-aaaa', '20261122-0301-bbbb', '20261122-0302-cccc']);
});

test('an unknown run id is a RunNotFoundError that names the store and the list command', (t) => {
  const store = open(t);
  t.throws(() => store.getRun('nope'), {
    instanceOf: RunNotFoundError,
    message: "no run 'nope' in :memory:; list runs with `autoshrink runs list`",
  });
  for (const call of [() => store.episodes('nope'), () => store.lastCheckpoint('nope'), () => store.setStatus('nope', 'failed'),
    () => store.setFinal('nope', {}), () => store.recordEpisode('nope', sampleEpisode(0), sampleCheckpoint(0))]) {
    t.throws(call, { instanceOf: RunNotFoundError });
  }
});

test('findRun takes a full id or a unique prefix, and lists the candidates of an ambiguous one', (t) => {
  const store = open(t);
  for (const id of ['20261122-0300-aaaa', '20261122-0300-abcd', '20261123-0900-ffff']) store.createRun(sampleRun({ id }));
  t.is(store.findRun('20261122-0300-abcd').id, '20261122-0300-abcd');
  t.is(store.findRun('20261123').id, '20261123-0900-ffff');
  t.is(store.findRun('20261122-0300-ab').id, '20261122-0300-abcd');
  const error = t.throws(() => store.findRun('20261122'), { instanceOf: RunNotFoundError });
  t.is(error.message, "run id '20261122' is ambiguous: 2 runs start with it (20261122-0300-aaaa, 20261122-0300-abcd); give more of the id");
  t.throws(() => store.findRun('2027'), { instanceOf: RunNotFoundError, message: /no run '2027'/ });
  t.throws(() => store.findRun(''), { instanceOf: RunNotFoundError });
  t.throws(() => store.findRun('2026112_'), { instanceOf: RunNotFoundError }, 'prefixes are literal, not LIKE patterns');
});

test('a chosen id that exists already is refused', (t) => {
  const store = open(t);
  store.createRun(sampleRun({ id: 'r1' }));
  t.throws(() => store.createRun(sampleRun({ id: 'r1' })), { instanceOf: InputError, message: /a run 'r1' already exists/ });
});

test('setStatus and setFinal update the run', (t) => {
  const store = open(t);
  const { id } = store.createRun(sampleRun());
  store.setStatus(id, 'completed');
  store.setFinal(id, { testAccuracy: 0.98, files: ['model.json'] });
  t.like(store.getRun(id), { status: 'completed', final: { testAccuracy: 0.98, files: ['model.json'] } });
  t.throws(() => store.setStatus(id, 'paused' as never), { instanceOf: TypeError });
});

test('episodes come back as recorded, in order, and the best is the highest reward so far', (t) => {
  const store = open(t);
  const { id } = store.createRun(sampleRun());
  // rewards of episodes 0..6: 0, .1, .2, .3, .4, 0, .1
  const improved = [0, 1, 2, 3, 4, 5, 6].map((i) => store.recordEpisode(id, sampleEpisode(i), sampleCheckpoint(i)).improved);
  t.deepEqual(improved, [true, true, true, true, true, false, false]);
  const episodes = store.episodes(id);
  t.deepEqual(episodes.map((e) => e.episode), [0, 1, 2, 3, 4, 5, 6]);
  const { runId, createdAt, ...third } = episodes[3];
  t.is(runId, id);
  t.deepEqual(third, { ...sampleEpisode(3), ...NO_DIAGNOSTICS });
  const run = store.getRun(id);
  t.is(run.episodesDone, 7);
  t.deepEqual(run.best, { episode: 4, accuracy: 0.4, cost: 1004, reward: 0.4, strategy: sampleEpisode(4).strategy });
});

test('episode diagnostics come back as recorded; left out or null they come back null', (t) => {
  const store = open(t);
  const { id } = store.createRun(sampleRun());
  const diagnostics = { criticLoss: 0.25, actorLoss: -0.5, meanQ: 0.125, sigma: 0.4, clamped: 3 };
  store.recordEpisode(id, { ...sampleEpisode(0), ...diagnostics }, sampleCheckpoint(0));
  store.recordEpisode(id, sampleEpisode(1), sampleCheckpoint(1));
  store.recordEpisode(id, { ...sampleEpisode(2), criticLoss: null, sigma: 0.3, clamped: 0 }, sampleCheckpoint(2));
  const [first, second, third] = store.episodes(id);
  t.deepEqual(first, { ...sampleEpisode(0), ...diagnostics, runId: id, createdAt: first.createdAt });
  t.like(second, NO_DIAGNOSTICS);
  t.like(third, { ...NO_DIAGNOSTICS, sigma: 0.3, clamped: 0 });
});

test('a diagnostic that is not a finite number, or a clamped count that is not a count, is refused and changes nothing', (t) => {
  const store = open(t);
  const { id } = store.createRun(sampleRun());
  store.recordEpisode(id, sampleEpisode(0), sampleCheckpoint(0));
  for (const bad of [{ criticLoss: NaN }, { meanQ: Infinity }, { clamped: -1 }, { clamped: 1.5 }]) {
    const [key] = Object.keys(bad);
    t.throws(() => store.recordEpisode(id, { ...sampleEpisode(1), ...bad }, sampleCheckpoint(1)), { instanceOf: TypeError, message: new RegExp(`has ${key} `) });
  }
  t.deepEqual(store.episodes(id).map((e) => e.episode), [0]);
  t.is(store.lastCheckpoint(id)?.episode, 0);
});

test('only the latest checkpoint is kept, and it decodes to what was written', (t) => {
  const store = open(t);
  const { id } = store.createRun(sampleRun());
  t.is(store.lastCheckpoint(id), null);
  for (let i = 0; i < 3; i++) store.recordEpisode(id, sampleEpisode(i), sampleCheckpoint(i));
  const checkpoint = store.lastCheckpoint(id);
  t.is(checkpoint?.episode, 2);
  t.deepEqual(checkpoint?.agent, sampleCheckpoint(2).agent as never);
  t.deepEqual(checkpoint?.env, sampleCheckpoint(2).env as never);
});

test('a duplicate or out-of-order episode number is refused and changes nothing', (t) => {
  const store = open(t);
  const { id } = store.createRun(sampleRun());
  store.recordEpisode(id, sampleEpisode(0), sampleCheckpoint(0));
  store.recordEpisode(id, sampleEpisode(1), sampleCheckpoint(1));
  t.throws(() => store.recordEpisode(id, sampleEpisode(1), sampleCheckpoint(99)), { message: /episode 1 of run .* is already stored/ });
  t.throws(() => store.recordEpisode(id, sampleEpisode(0), sampleCheckpoint(99)), { message: /already stored/ });
  t.throws(() => store.recordEpisode(id, sampleEpisode(3), sampleCheckpoint(99)), { message: /out of order: the next one is 2/ });
  t.is(store.episodes(id).length, 2);
  t.is(store.lastCheckpoint(id)?.episode, 1);
});

test('a checkpoint that cannot be encoded leaves neither the episode nor a new checkpoint', (t) => {
  const store = open(t);
  const { id } = store.createRun(sampleRun());
  store.recordEpisode(id, sampleEpisode(0), sampleCheckpoint(0));
  t.throws(() => store.recordEpisode(id, sampleEpisode(1), { agent: { act: () => 0 }, env: {} }), { instanceOf: TypeError });
  t.throws(() => store.recordEpisode(id, { ...sampleEpisode(1), reward: NaN }, sampleCheckpoint(1)), { instanceOf: TypeError });
  t.deepEqual(store.episodes(id).map((e) => e.episode), [0]);
  t.is(store.lastCheckpoint(id)?.episode, 0);
  t.is(store.getRun(id).best?.episode, 0);
});

// A trigger installed through a second connection makes the N-th write of recordEpisode fail, after the earlier
// writes of the same transaction have run.
// Each checkpoint adds one row to its `cache` stream (checkpoint_rows), written after the checkpoint itself.
const withRow = (i: number) => ({ ...sampleCheckpoint(i), rows: { append: [{ stream: 'cache', from: i, values: [[`strategy ${i}`, 0.5, 0.25]] }] } });
for (const [failing, sql] of [
  ['checkpoint write', 'BEFORE INSERT ON checkpoints'],
  ['checkpoint row write', 'BEFORE INSERT ON checkpoint_rows'],
  ['run update (the last write)', 'BEFORE UPDATE ON runs'],
] as const) {
  test(`a failure in the ${failing} rolls back the episode and the checkpoint`, (t) => {
    const path = tempDb(t);
    const store = open(t, path);
    const { id } = store.createRun(sampleRun());
    store.recordEpisode(id, sampleEpisode(0), withRow(0));
    const raw = new Database(path);
    raw.exec(`CREATE TRIGGER fail ${sql} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    raw.close();
    // Episode 1 has a higher reward than episode 0, so it also updates the best.
    t.throws(() => store.recordEpisode(id, sampleEpisode(1), withRow(1)), { any: true, message: /injected failure/ });
    t.deepEqual(store.episodes(id).map((e) => e.episode), [0]);
    const checkpoint = store.lastCheckpoint(id);
    t.is(checkpoint?.episode, 0);
    t.deepEqual(checkpoint?.agent, sampleCheckpoint(0).agent as never);
    t.deepEqual(checkpoint?.rows, { cache: [{ index: 0, value: ['strategy 0', 0.5, 0.25] }] }, 'only episode 0\'s row');
    t.is(store.getRun(id).best?.episode, 0);
    t.is(store.integrityCheck(), 'ok');
  });
}

test('a file store runs in WAL mode with FULL sync, foreign keys on, and passes the integrity check', (t) => {
  const path = tempDb(t);
  const store = open(t, path);
  const { id } = store.createRun(sampleRun());
  store.recordEpisode(id, sampleEpisode(0), sampleCheckpoint(0, 10_000));
  t.is(store.integrityCheck(), 'ok');
  const raw = new Database(path, { readonly: true });
  t.teardown(() => raw.close());
  t.is(raw.pragma('journal_mode', { simple: true }), 'wal');
  t.is(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
});

test('a hand-made v1 database is migrated to the latest schema with its data intact', (t) => {
  const path = tempDb(t);
  mkdirSync(dirname(path), { recursive: true });
  const raw = new Database(path);
  raw.exec(readFileSync(fixture('runs-v1.sql'), 'utf8'));
  raw.close();

  const store = open(t, path);
  const run = store.getRun('20261101-0900-beef');
  t.like(run, { status: 'stopped', seed: 42, backend: 'wasm', budget: { kind: 'size', limit: 16200 }, episodesDone: 2 });
  t.deepEqual(run.best?.strategy, [{ name: 'dense_1', bits: 4, pruneRatio: 0.5, clusters: 0 }]);
  // v2 back-fills phase from the run's config.warmup (1): episode 0 was warm-up, episode 1 learning.
  t.deepEqual(store.episodes(run.id).map((e) => [e.episode, e.phase, e.accuracy]), [[0, 'warmup', 0.97], [1, 'learning', 0.91]]);
  const checkpoint = store.lastCheckpoint(run.id);
  t.is(checkpoint?.episode, 1);
  t.deepEqual(checkpoint?.agent, { weights: new Float32Array([0.5, -1.25]), step: 2 });
  t.deepEqual(checkpoint?.env, { rng: [7, 8], cache: {} });
  // A migrated file takes new episodes like a new one.
  store.recordEpisode(run.id, { ...sampleEpisode(2), reward: 0.99 }, sampleCheckpoint(2));
  t.is(store.getRun(run.id).best?.episode, 2);
  t.is(store.integrityCheck(), 'ok');
  store.close();
  const after = new Database(path, { readonly: true });
  t.teardown(() => after.close());
  t.is(after.pragma('user_version', { simple: true }), SCHEMA_VERSION);
});

test('a hand-made v2 database is migrated: its episodes keep their phase, have null diagnostics, and take new ones', (t) => {
  const path = tempDb(t);
  mkdirSync(dirname(path), { recursive: true });
  const raw = new Database(path);
  raw.exec(readFileSync(fixture('runs-v2.sql'), 'utf8'));
  raw.close();

  const store = open(t, path);
  const run = store.getRun('20261102-1000-cafe');
  t.like(run, { status: 'stopped', seed: 43, episodesDone: 2, best: { episode: 1, reward: 0.98 } });
  const stored = store.episodes(run.id);
  t.deepEqual(stored.map((e) => [e.episode, e.phase, e.cached, e.accuracy]), [[0, 'warmup', false, 0.95], [1, 'learning', true, 0.98]]);
  for (const e of stored) t.like(e, NO_DIAGNOSTICS);
  store.recordEpisode(run.id, { ...sampleEpisode(2), criticLoss: 0.5, clamped: 2 }, sampleCheckpoint(2));
  t.like(store.episodes(run.id)[2], { ...NO_DIAGNOSTICS, criticLoss: 0.5, clamped: 2 });
  t.is(store.integrityCheck(), 'ok');
  store.close();
  const after = new Database(path, { readonly: true });
  t.teardown(() => after.close());
  t.is(after.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  const columns = after.prepare("SELECT name FROM pragma_table_info('episodes')").pluck().all();
  t.deepEqual(columns.slice(-6), ['critic_loss', 'actor_loss', 'mean_q', 'sigma', 'clamped', 'costs']);
});

test('a database from a newer autoshrink is refused and left untouched', (t) => {
  const path = tempDb(t);
  const store = openStore(path);
  store.createRun(sampleRun({ id: 'keep-me' }));
  store.close();
  const raw = new Database(path);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  const error = t.throws(() => openStore(path), { instanceOf: InputError });
  t.is(error.message, `${path} was written by a newer autoshrink (schema v${SCHEMA_VERSION + 1}, this one knows v${SCHEMA_VERSION}); upgrade autoshrink`);
  t.throws(() => openStore(path, { readonly: true }), { instanceOf: InputError, message: /newer autoshrink/ });
  const check = new Database(path, { readonly: true });
  t.teardown(() => check.close());
  t.is(check.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1);
  t.is(check.prepare('SELECT id FROM runs').pluck().get(), 'keep-me');
});

test('files that are not a runs database are refused with an InputError', (t) => {
  const path = tempDb(t);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, 'this is not sqlite, just text that is long enough to fill a header: ' + 'x'.repeat(200));
  t.throws(() => openStore(path), { instanceOf: InputError, message: /cannot read .* as an autoshrink runs database/ });
  rmSync(path);
  const other = new Database(path);
  other.exec('CREATE TABLE photos (id INTEGER PRIMARY KEY)');
  other.close();
  t.throws(() => openStore(path), { instanceOf: InputError, message: /SQLite file of something else/ });
  t.throws(() => openStore(join(path, '..', 'missing.db'), { readonly: true }), { instanceOf: RunNotFoundError, message: /no runs database at/ });
});

test('a read-only store reads but cannot write', (t) => {
  const path = tempDb(t);
  const writer = open(t, path);
  const { id } = writer.createRun(sampleRun());
  const reader = openStore(path, { readonly: true });
  t.teardown(() => reader.close());
  t.is(reader.getRun(id).id, id);
  t.throws(() => reader.setStatus(id, 'failed'), { any: true, message: /readonly/ });
});

test.serial('a reader in another process lists runs while this process holds a write transaction open', async (t) => {
  const path = tempDb(t);
  const store = open(t, path);
  const { id } = store.createRun(sampleRun());
  store.recordEpisode(id, sampleEpisode(0), sampleCheckpoint(0));
  const raw = new Database(path);
  t.teardown(() => raw.close());
  raw.pragma('busy_timeout = 0');
  raw.exec('BEGIN IMMEDIATE');
  raw.prepare(`INSERT INTO runs (id, created_at, updated_at, status, seed, backend, model, dataset, budget_kind,
      budget_limit, agent, episodes_planned, config, versions)
    VALUES ('uncommitted', '', '', 'running', 0, 'cpu', 'm', 'd', 'size', 1, 'ddpg', 1, '{}', '{}')`).run();

  for (const mode of ['readwrite', 'readonly']) {
    const report = JSON.parse(await runFixture('store-reader.ts', [path, id, mode, '0']));
    // It sees the committed state, not the open transaction. The lock is held until after the reader has exited, so a
    // reader that needed it would have failed with SQLITE_BUSY after its busy_timeout (a problem in the report).
    t.deepEqual(report, { reads: 1, runs: 1, episodes: 1, maxEpisodes: 1, problems: [] }, mode);
  }
  raw.exec('COMMIT');
  t.is(store.listRuns().length, 2);
});

test.serial('a reader in another process sees consistent snapshots while episodes are being written', async (t) => {
  const path = tempDb(t);
  const store = open(t, path);
  const { id } = store.createRun(sampleRun());
  let done = false;
  const reader = runFixture('store-reader.ts', [path, id, 'readonly', '700']).finally(() => (done = true));
  let written = 0;
  while (!done) {
    store.recordEpisode(id, sampleEpisode(written), sampleCheckpoint(written, 4096));
    written++;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const report = JSON.parse(await reader);
  t.deepEqual(report.problems, []);
  t.true(report.reads > 1);
  t.true(report.maxEpisodes > 0 && report.maxEpisodes <= written);
});

test.serial('a writer killed with SIGKILL leaves episodes 0..n-1 and the checkpoint after n-1', async (t) => {
  const path = tempDb(t);
  const store = openStore(path);
  const { id } = store.createRun(sampleRun());
  store.close();

  // 256k floats: a 1 MB checkpoint per episode, so the kill likely lands inside a transaction.
  const child = spawn(process.execPath, ['--import', 'tsx', fixture('store-writer.ts'), path, id, String(256 * 1024)], { cwd: root });
  t.teardown(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const committed = await new Promise<number>((resolve, reject) => {
    let last = -1;
    child.stdout.on('data', (d: Buffer) => {
      const lines = d.toString().trim().split('\n');
      last = Number(lines[lines.length - 1]);
      if (last >= 9) {
        // Kill at an arbitrary point of the next write, not just after a commit.
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 15);
        child.stdout.removeAllListeners('data');
        resolve(last);
      }
    });
    child.on('exit', (code) => reject(new Error(`writer exited (${code}) before being killed: ${stderr}`)));
  });
  await new Promise((resolve) => child.once('close', resolve));
  t.is(child.signalCode, 'SIGKILL');

  const reopened = open(t, path);
  t.is(reopened.integrityCheck(), 'ok');
  const episodes = reopened.episodes(id).map((e) => e.episode);
  t.true(episodes.length > committed, `${episodes.length} episodes stored, episode ${committed} was reported committed`);
  t.deepEqual(episodes, [...Array(episodes.length).keys()]);
  const checkpoint = reopened.lastCheckpoint(id);
  const n = episodes.length;
  t.is(checkpoint?.episode, n - 1);
  const weights = (checkpoint?.agent as { actor: { weights: Float32Array } }).actor.weights;
  t.is(weights.length, 256 * 1024);
  t.true(weights.every((w) => w === n - 1));
  t.is(reopened.getRun(id).episodesDone, n);
});
