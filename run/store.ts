/**
 * The run store: every search run, its finished episodes and its latest checkpoint, in one SQLite file
 * (`<workdir>/runs.db`). The only module that imports better-sqlite3; everything else sees the typed `Store`.
 *
 * Durability. An episode costs seconds to minutes of fine-tuning, so losing one is expensive and one fsync per
 * episode is not: the journal is WAL with `synchronous=FULL`, which syncs the WAL at every commit. A committed
 * episode then survives the process being killed (SIGKILL, OOM killer, Ctrl-C at a bad moment) and also an OS crash
 * or power loss. (`synchronous=NORMAL` would survive a killed process too, since a commit's WAL frames are already in
 * the OS's hands, but a power loss could drop the last few commits.) `recordEpisode` writes the episode row, the
 * agent/env checkpoint and the run's best in ONE transaction, so after any crash the stored episodes are 0..n-1 and
 * the checkpoint is the one taken after episode n-1: a resume never replays or skips an episode.
 *
 * Concurrency. WAL lets any number of readers (`autoshrink runs list` in another terminal, a second UI) read a
 * consistent snapshot while one process writes. Writers take the write lock at BEGIN (`BEGIN IMMEDIATE`), and every
 * connection waits up to `busy_timeout` for a lock instead of failing at once.
 *
 * Schema versions live in `PRAGMA user_version` and MIGRATIONS below: append a migration, never edit a shipped one.
 * A file from a newer autoshrink is refused, never rewritten.
 *
 * Schema (latest):
 *   runs(id PK, created_at, updated_at, status, seed, backend, model, dataset, budget_kind, budget_limit, agent,
 *        episodes_planned, config JSON, versions JSON, best JSON?, final_report JSON?)
 *   episodes(run_id FK, episode, phase, strategy JSON, accuracy, cost, reward, cached, seconds, timings JSON,
 *            created_at; PK(run_id, episode))
 *   checkpoints(run_id PK/FK, episode, agent_state BLOB, env_state BLOB, created_at): one row per run, replaced
 *            at each episode. Both blobs are in the format of `checkpoint-codec.ts`.
 * Timestamps are ISO 8601 UTC strings. There is no evaluation-cache table: a run's cache of evaluated strategies is
 * part of its env checkpoint, which is where a resume needs it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InputError, RunNotFoundError } from '../errors.js';
import { CheckpointFormatError, decodeCheckpoint, encodeCheckpoint, type CheckpointValue } from './checkpoint-codec.js';
import type { BudgetKind, EpisodeFinishedEvent, LayerChoice, RunStatus } from './events.js';

/** How long a connection waits for another process's lock before failing, in milliseconds. */
const BUSY_TIMEOUT_MS = 5000;
/** After a WAL checkpoint, truncate the WAL file back to at most this size (checkpoints can be megabytes). */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

interface Migration {
  version: number;
  description: string;
  up: (db: Database.Database) => void;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'runs, episodes, checkpoints',
    up: (db) =>
      db.exec(`
        CREATE TABLE runs (
          id               TEXT PRIMARY KEY,
          created_at       TEXT NOT NULL,
          updated_at       TEXT NOT NULL,
          status           TEXT NOT NULL CHECK (status IN ('running', 'completed', 'stopped', 'failed')),
          seed             INTEGER NOT NULL,
          backend          TEXT NOT NULL,
          model            TEXT NOT NULL,
          dataset          TEXT NOT NULL,
          budget_kind      TEXT NOT NULL CHECK (budget_kind IN ('size', 'flops', 'bitops')),
          budget_limit     REAL NOT NULL,
          agent            TEXT NOT NULL,
          episodes_planned INTEGER NOT NULL,
          config           TEXT NOT NULL,
          versions         TEXT NOT NULL,
          best             TEXT,
          final_report     TEXT
        ) STRICT;
        CREATE TABLE episodes (
          run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          episode    INTEGER NOT NULL CHECK (episode >= 0),
          strategy   TEXT NOT NULL,
          accuracy   REAL NOT NULL,
          cost       REAL NOT NULL,
          reward     REAL NOT NULL,
          cached     INTEGER NOT NULL CHECK (cached IN (0, 1)),
          seconds    REAL NOT NULL,
          timings    TEXT NOT NULL,
          created_at TEXT NOT NULL,
          PRIMARY KEY (run_id, episode)
        ) STRICT;
        CREATE TABLE checkpoints (
          run_id      TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
          episode     INTEGER NOT NULL,
          agent_state BLOB NOT NULL,
          env_state   BLOB NOT NULL,
          created_at  TEXT NOT NULL
        ) STRICT;
      `),
  },
  {
    version: 2,
    description: "episodes.phase, back-filled from each run's config.warmup",
    up: (db) =>
      db.exec(`
        ALTER TABLE episodes ADD COLUMN phase TEXT NOT NULL DEFAULT 'learning' CHECK (phase IN ('warmup', 'learning'));
        UPDATE episodes SET phase = 'warmup'
          WHERE episode < coalesce((SELECT json_extract(r.config, '$.warmup') FROM runs r WHERE r.id = episodes.run_id), 0);
      `),
  },
];

/** The schema version this code writes; `PRAGMA user_version` of an up-to-date runs.db. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Versions of what produced a run, for reproducing it. */
export interface RunVersions {
  autoshrink: string;
  tfjs: string;
  node: string;
}

/** What `createRun` needs. */
export interface RunInit {
  /** Normally left out: a sortable id is made from the UTC time, e.g. '20261122-0305-a1b2'. */
  id?: string;
  /** Default 'running'. */
  status?: RunStatus;
  seed: number;
  /** The tfjs backend the run uses ('tensorflow', 'wasm', 'cpu'). */
  backend: string;
  /** Built-in model name or path to a model.json. */
  model: string;
  /** Dataset spec as given, e.g. 'mnist' or 'idx:/data/digits'. */
  dataset: string;
  budget: { kind: BudgetKind; limit: number };
  /** Agent kind: 'ddpg', 'uniform', 'random', 'greedy'. */
  agent: string;
  episodesPlanned: number;
  /** The full run config, stored as JSON; whoever reads it back validates it against the config schema. */
  config: unknown;
  versions: RunVersions;
}

/** The best episode of a run so far, by reward. */
export interface BestRecord {
  episode: number;
  accuracy: number;
  cost: number;
  reward: number;
  strategy: LayerChoice[];
}

/** A stored run. */
export interface RunRecord {
  id: string;
  createdAt: string;
  updatedAt: string;
  status: RunStatus;
  seed: number;
  backend: string;
  model: string;
  dataset: string;
  budget: { kind: BudgetKind; limit: number };
  agent: string;
  episodesPlanned: number;
  /** How many episodes are stored. */
  episodesDone: number;
  config: unknown;
  versions: RunVersions;
  best: BestRecord | null;
  /** What `setFinal` stored (the final fine-tune's report), or null. */
  final: unknown;
}

/** One finished episode as `recordEpisode` takes it: an `episode-finished` event without its type tag. */
export type EpisodeInput = Omit<EpisodeFinishedEvent, 'type'>;

/** A stored episode. */
export interface EpisodeRecord extends EpisodeInput {
  runId: string;
  createdAt: string;
}

/** The state to resume from after an episode. Each part may hold typed arrays (see `checkpoint-codec.ts`). */
export interface CheckpointInput {
  /** The agent's state: networks, optimizer, replay buffer, noise, its RNG. */
  agent: unknown;
  /** The run's own state: its RNG, the evaluation cache. */
  env: unknown;
}

/** The latest checkpoint of a run, decoded. */
export interface StoredCheckpoint {
  runId: string;
  /** The episode after which it was taken: the last stored episode. */
  episode: number;
  agent: CheckpointValue;
  env: CheckpointValue;
  createdAt: string;
}

/** What `recordEpisode` did to the run's best. */
export interface RecordResult {
  /** True when this episode became the run's best (the first episode always does). */
  improved: boolean;
  best: BestRecord;
}

export interface Store {
  /** The database file (':memory:' for an in-memory store). */
  readonly path: string;
  /** Stores a new run and returns it. */
  createRun(init: RunInit): RunRecord;
  /** The run with exactly this id; throws RunNotFoundError. */
  getRun(id: string): RunRecord;
  /** The run whose id is `idOrPrefix` or the only one that starts with it; throws RunNotFoundError when none or
   * several match (the message lists them). */
  findRun(idOrPrefix: string): RunRecord;
  /** All runs, oldest first. */
  listRuns(): RunRecord[];
  /** Throws RunNotFoundError. */
  setStatus(id: string, status: RunStatus): void;
  /**
   * Stores a finished episode, the checkpoint taken after it, and the run's best (replaced when this episode's
   * reward is strictly higher) in one transaction: all of it or none. Episodes must arrive in order: `episode` must
   * be 0 for the first and the last stored one + 1 after that; anything else throws (a duplicate or a gap is a bug in
   * the caller). Throws RunNotFoundError for an unknown run, TypeError for a checkpoint that cannot be encoded or an
   * episode with a non-finite number.
   */
  recordEpisode(runId: string, episode: EpisodeInput, checkpoint: CheckpointInput): RecordResult;
  /** The run's episodes in order. Throws RunNotFoundError. */
  episodes(runId: string): EpisodeRecord[];
  /** The run's checkpoint, or null before its first episode. Throws RunNotFoundError, also when the stored
   * checkpoint cannot be decoded. */
  lastCheckpoint(runId: string): StoredCheckpoint | null;
  /** Stores the final report (JSON). Throws RunNotFoundError. */
  setFinal(runId: string, report: unknown): void;
  /** Runs `read` inside one read transaction, so all its reads see the same committed state (say, a run's
   * `episodesDone`, its episodes and its checkpoint while another process is writing). Returns what `read` returns. */
  snapshot<T>(read: () => T): T;
  /** 'ok', or what SQLite's integrity and foreign-key checks found, one problem a line. */
  integrityCheck(): string;
  /** Closes the database. The store cannot be used afterwards; closing twice is harmless. */
  close(): void;
}

/**
 * Opens (creating it and its folder if needed) the store at `path`, or ':memory:'. Brings an older schema up to date;
 * refuses, with an InputError, a file written by a newer autoshrink, a file that is not a runs database, and (with
 * `readonly`) a file that does not exist or would need upgrading.
 */
export function openStore(path: string, { readonly = false }: { readonly?: boolean } = {}): Store {
  if (path !== ':memory:') {
    if (!readonly) mkdirSync(dirname(path), { recursive: true });
    else if (!existsSync(path)) throw new RunNotFoundError(`no runs database at ${path}; start a run with \`autoshrink search\``);
  }
  let db: Database.Database;
  try {
    db = new Database(path, { readonly, fileMustExist: readonly });
  } catch (e) {
    throw asInputError(e, path);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    }
    db.pragma('foreign_keys = ON');
    migrate(db, path, readonly);
    return new SqliteStore(db, path);
  } catch (e) {
    db.close();
    throw asInputError(e, path);
  }
}

/** SQLite's "this is not a database" family, as the one-line InputError the CLI prints. */
function asInputError(e: unknown, path: string): unknown {
  if (e instanceof Database.SqliteError && ['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CANTOPEN'].includes(e.code)) {
    return new InputError(`cannot read ${path} as an autoshrink runs database (${e.message}); move it aside or use another --workdir`);
  }
  return e;
}

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function refuseNewer(version: number, path: string): void {
  if (version > SCHEMA_VERSION) {
    throw new InputError(
      `${path} was written by a newer autoshrink (schema v${version}, this one knows v${SCHEMA_VERSION}); upgrade autoshrink`,
    );
  }
}

function migrate(db: Database.Database, path: string, readonly: boolean): void {
  const seen = userVersion(db);
  refuseNewer(seen, path);
  if (seen === SCHEMA_VERSION) return;
  if (readonly) {
    throw new InputError(`${path} has schema v${seen}, this autoshrink needs v${SCHEMA_VERSION}; open it once read-write to upgrade it`);
  }
  db.transaction(() => {
    // Re-read under the write lock: another process may have migrated in between.
    const version = userVersion(db);
    refuseNewer(version, path);
    if (version === 0) {
      const tables = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get() as number;
      if (tables > 0) throw new InputError(`${path} is an SQLite file of something else, not an autoshrink runs database; use another --workdir`);
    }
    for (const migration of MIGRATIONS.slice(version)) migration.up(db);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

interface RunRow {
  id: string;
  created_at: string;
  updated_at: string;
  status: RunStatus;
  seed: number;
  backend: string;
  model: string;
  dataset: string;
  budget_kind: BudgetKind;
  budget_limit: number;
  agent: string;
  episodes_planned: number;
  episodes_done: number;
  config: string;
  versions: string;
  best: string | null;
  final_report: string | null;
}

interface EpisodeRow {
  run_id: string;
  episode: number;
  phase: EpisodeInput['phase'];
  strategy: string;
  accuracy: number;
  cost: number;
  reward: number;
  cached: 0 | 1;
  seconds: number;
  timings: string;
  created_at: string;
}

interface CheckpointRow {
  episode: number;
  agent_state: Buffer;
  env_state: Buffer;
  created_at: string;
}

const RUN_COLUMNS = `id, created_at, updated_at, status, seed, backend, model, dataset, budget_kind, budget_limit, agent,
  episodes_planned, config, versions, best, final_report,
  (SELECT count(*) FROM episodes e WHERE e.run_id = runs.id) AS episodes_done`;

const RUN_STATUSES: readonly RunStatus[] = ['running', 'completed', 'stopped', 'failed'];

function toJson(value: unknown, what: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`${what} cannot be stored as JSON`);
  return json;
}

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    status: row.status,
    seed: row.seed,
    backend: row.backend,
    model: row.model,
    dataset: row.dataset,
    budget: { kind: row.budget_kind, limit: row.budget_limit },
    agent: row.agent,
    episodesPlanned: row.episodes_planned,
    episodesDone: row.episodes_done,
    config: JSON.parse(row.config),
    versions: JSON.parse(row.versions),
    best: row.best === null ? null : JSON.parse(row.best),
    final: row.final_report === null ? null : JSON.parse(row.final_report),
  };
}

function toEpisode(row: EpisodeRow): EpisodeRecord {
  return {
    runId: row.run_id,
    episode: row.episode,
    phase: row.phase,
    strategy: JSON.parse(row.strategy),
    accuracy: row.accuracy,
    cost: row.cost,
    reward: row.reward,
    cached: row.cached === 1,
    seconds: row.seconds,
    timings: JSON.parse(row.timings),
    createdAt: row.created_at,
  };
}

/** A sortable run id from the UTC minute and 16 random bits: '20261122-0305-a1b2'. */
function newRunId(now: Date): string {
  const stamp = now.toISOString(); // 2026-11-22T03:05:09.123Z
  const day = stamp.slice(0, 10).replaceAll('-', '');
  const minute = stamp.slice(11, 16).replace(':', '');
  return `${day}-${minute}-${randomBytes(2).toString('hex')}`;
}

/** A Buffer over the same bytes, as better-sqlite3 binds BLOBs from Buffers. */
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

class SqliteStore implements Store {
  private readonly stmt;
  private readonly record;

  constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    this.stmt = {
      insertRun: db.prepare(`INSERT INTO runs (id, created_at, updated_at, status, seed, backend, model, dataset,
          budget_kind, budget_limit, agent, episodes_planned, config, versions)
        VALUES (@id, @now, @now, @status, @seed, @backend, @model, @dataset, @budgetKind, @budgetLimit, @agent,
          @episodesPlanned, @config, @versions)`),
      runById: db.prepare<[string], RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`),
      runsByPrefix: db.prepare<{ prefix: string }, RunRow>(
        `SELECT ${RUN_COLUMNS} FROM runs WHERE substr(id, 1, length(@prefix)) = @prefix ORDER BY id`,
      ),
      allRuns: db.prepare<[], RunRow>(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY created_at, id`),
      runExists: db.prepare<[string], number>('SELECT 1 FROM runs WHERE id = ?').pluck(),
      runBest: db.prepare<[string], { best: string | null }>('SELECT best FROM runs WHERE id = ?'),
      setStatus: db.prepare<[string, string, string]>('UPDATE runs SET status = ?, updated_at = ? WHERE id = ?'),
      setFinal: db.prepare<[string, string, string]>('UPDATE runs SET final_report = ?, updated_at = ? WHERE id = ?'),
      setBest: db.prepare<[string | null, string, string]>(
        'UPDATE runs SET best = coalesce(?, best), updated_at = ? WHERE id = ?',
      ),
      lastEpisode: db.prepare<[string], number | null>('SELECT max(episode) FROM episodes WHERE run_id = ?').pluck(),
      insertEpisode: db.prepare(`INSERT INTO episodes (run_id, episode, phase, strategy, accuracy, cost, reward, cached,
          seconds, timings, created_at)
        VALUES (@runId, @episode, @phase, @strategy, @accuracy, @cost, @reward, @cached, @seconds, @timings, @now)`),
      episodes: db.prepare<[string], EpisodeRow>(`SELECT run_id, episode, phase, strategy, accuracy, cost, reward,
          cached, seconds, timings, created_at
        FROM episodes WHERE run_id = ? ORDER BY episode`),
      putCheckpoint: db.prepare<[string, number, Buffer, Buffer, string]>(`INSERT INTO checkpoints
          (run_id, episode, agent_state, env_state, created_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (run_id) DO UPDATE SET episode = excluded.episode, agent_state = excluded.agent_state,
          env_state = excluded.env_state, created_at = excluded.created_at`),
      checkpoint: db.prepare<[string], CheckpointRow>(
        'SELECT episode, agent_state, env_state, created_at FROM checkpoints WHERE run_id = ?',
      ),
    };
    this.record = db.transaction(
      (runId: string, ep: EpisodeInput, agent: Buffer, env: Buffer, now: string): RecordResult => {
        const run = this.stmt.runBest.get(runId);
        if (run === undefined) throw this.notFound(runId);
        const last = this.stmt.lastEpisode.get(runId) ?? null;
        const expected = last === null ? 0 : last + 1;
        if (ep.episode !== expected) {
          throw new Error(
            last !== null && ep.episode <= last
              ? `episode ${ep.episode} of run ${runId} is already stored`
              : `episode ${ep.episode} of run ${runId} is out of order: the next one is ${expected}`,
          );
        }
        this.stmt.insertEpisode.run({
          runId,
          episode: ep.episode,
          phase: ep.phase,
          strategy: toJson(ep.strategy, 'strategy'),
          accuracy: ep.accuracy,
          cost: ep.cost,
          reward: ep.reward,
          cached: ep.cached ? 1 : 0,
          seconds: ep.seconds,
          timings: toJson(ep.timings, 'timings'),
          now,
        });
        this.stmt.putCheckpoint.run(runId, ep.episode, agent, env, now);
        const previous: BestRecord | null = run.best === null ? null : JSON.parse(run.best);
        const improved = previous === null || ep.reward > previous.reward;
        const best: BestRecord = improved
          ? { episode: ep.episode, accuracy: ep.accuracy, cost: ep.cost, reward: ep.reward, strategy: ep.strategy }
          : previous;
        this.stmt.setBest.run(improved ? toJson(best, 'best') : null, now, runId);
        return { improved, best };
      },
    );
  }

  createRun(init: RunInit): RunRecord {
    if (!RUN_STATUSES.includes(init.status ?? 'running')) throw new TypeError(`unknown run status '${init.status}'`);
    const now = new Date();
    const row = {
      status: init.status ?? 'running',
      seed: init.seed,
      backend: init.backend,
      model: init.model,
      dataset: init.dataset,
      budgetKind: init.budget.kind,
      budgetLimit: init.budget.limit,
      agent: init.agent,
      episodesPlanned: init.episodesPlanned,
      config: toJson(init.config, 'run config'),
      versions: toJson(init.versions, 'versions'),
      now: now.toISOString(),
    };
    // A generated id collides only with a run started in the same minute that drew the same 16 bits: draw again.
    for (let attempt = 0; ; attempt++) {
      const id = init.id ?? newRunId(now);
      try {
        this.stmt.insertRun.run({ ...row, id });
        return this.getRun(id);
      } catch (e) {
        const duplicate = e instanceof Database.SqliteError && e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
        if (!duplicate) throw e;
        if (init.id !== undefined) throw new InputError(`a run '${init.id}' already exists in ${this.path}; choose another id`);
        if (attempt >= 20) throw e;
      }
    }
  }

  getRun(id: string): RunRecord {
    const row = this.stmt.runById.get(id);
    if (row === undefined) throw this.notFound(id);
    return toRun(row);
  }

  findRun(idOrPrefix: string): RunRecord {
    const exact = this.stmt.runById.get(idOrPrefix);
    if (exact !== undefined) return toRun(exact);
    const rows = idOrPrefix === '' ? [] : this.stmt.runsByPrefix.all({ prefix: idOrPrefix });
    if (rows.length === 1) return toRun(rows[0]);
    if (rows.length === 0) throw this.notFound(idOrPrefix);
    const shown = rows.slice(0, 5).map((r) => r.id).join(', ') + (rows.length > 5 ? ', ...' : '');
    throw new RunNotFoundError(`run id '${idOrPrefix}' is ambiguous: ${rows.length} runs start with it (${shown}); give more of the id`);
  }

  listRuns(): RunRecord[] {
    return this.stmt.allRuns.all().map(toRun);
  }

  setStatus(id: string, status: RunStatus): void {
    if (!RUN_STATUSES.includes(status)) throw new TypeError(`unknown run status '${status}'`);
    if (this.stmt.setStatus.run(status, new Date().toISOString(), id).changes === 0) throw this.notFound(id);
  }

  recordEpisode(runId: string, episode: EpisodeInput, checkpoint: CheckpointInput): RecordResult {
    for (const key of ['accuracy', 'cost', 'reward', 'seconds'] as const) {
      if (!Number.isFinite(episode[key])) throw new TypeError(`episode ${episode.episode} of run ${runId} has ${key} ${episode[key]}`);
    }
    // Encode before taking the write lock: the lock is then held only for the writes.
    const agent = asBuffer(encodeCheckpoint(checkpoint.agent));
    const env = asBuffer(encodeCheckpoint(checkpoint.env));
    return this.record.immediate(runId, episode, agent, env, new Date().toISOString());
  }

  episodes(runId: string): EpisodeRecord[] {
    this.requireRun(runId);
    return this.stmt.episodes.all(runId).map(toEpisode);
  }

  lastCheckpoint(runId: string): StoredCheckpoint | null {
    this.requireRun(runId);
    const row = this.stmt.checkpoint.get(runId);
    if (row === undefined) return null;
    try {
      return {
        runId,
        episode: row.episode,
        agent: decodeCheckpoint(row.agent_state),
        env: decodeCheckpoint(row.env_state),
        createdAt: row.created_at,
      };
    } catch (e) {
      if (!(e instanceof CheckpointFormatError)) throw e;
      throw new RunNotFoundError(
        `run ${runId} cannot be resumed: its checkpoint after episode ${row.episode} is unreadable (${e.message}); start a new run`,
      );
    }
  }

  setFinal(runId: string, report: unknown): void {
    const json = toJson(report, 'final report');
    if (this.stmt.setFinal.run(json, new Date().toISOString(), runId).changes === 0) throw this.notFound(runId);
  }

  snapshot<T>(read: () => T): T {
    return this.db.transaction(read).deferred();
  }

  integrityCheck(): string {
    const problems = (this.db.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .filter((m) => m !== 'ok');
    const orphans = this.db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
    for (const o of orphans) problems.push(`${o.table} row ${o.rowid} refers to a missing ${o.parent} row`);
    return problems.length === 0 ? 'ok' : problems.join('\n');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private requireRun(id: string): void {
    if (this.stmt.runExists.get(id) === undefined) throw this.notFound(id);
  }

  private notFound(id: string): RunNotFoundError {
    return new RunNotFoundError(`no run '${id}' in ${this.path}; list runs with \`autoshrink runs list\``);
  }
}
