/**
 * What runs.db looks like: the versioned migrations that build it, the check that brings a file up to date, and the
 * rows of the latest schema as better-sqlite3 returns them, read as the typed records of `run/store/store.ts`.
 *
 * Schema versions live in `PRAGMA user_version` and MIGRATIONS below: append a migration, never edit a shipped one
 * (test/fixtures/runs-v*.sql are frozen files of older versions, opened by the migration tests).
 * A file from a newer autoshrink is refused, never rewritten.
 *
 * Schema (latest):
 *   runs(id PK, created_at, updated_at, status, seed, backend, model, dataset, budget_kind, budget_limit, agent,
 *        episodes_planned, config JSON, versions JSON, best JSON?, final_report JSON?, budgets JSON?, baseline JSON?)
 *        budget_kind/budget_limit: the (first) budget; budgets: every budget when a run has two, else NULL;
 *        baseline: the uncompressed model's validation accuracy and cost as the run measured them (NULL before v7)
 *   episodes(run_id FK, episode, strategy JSON, accuracy, cost, reward, cached, seconds, timings JSON, created_at,
 *            phase, critic_loss?, actor_loss?, mean_q?, sigma?, clamped?, costs JSON?; PK(run_id, episode))
 *            cost: against the first budget; costs: against every budget when the run has two, else NULL
 *   checkpoints(run_id PK/FK, episode, agent_state BLOB, env_state BLOB, created_at): one row per run, replaced
 *            at each episode. Both blobs are in the format of `checkpoint-codec.ts`.
 *   run_locks(run_id PK/FK, pid, host, since): the process running the run now, if any (`Store.lockRun`).
 *   checkpoint_rows(run_id FK, stream, idx, data BLOB; PK(run_id, stream, idx)): the parts of a checkpoint that only
 *            grow (`replay` transitions, `cache` entries; run/store/checkpoint-log.ts), each row written once, with
 *            the checkpoint that first holds it; rows no checkpoint needs any more are deleted.
 * Timestamps are ISO 8601 UTC strings. There is no evaluation-cache table: a run's cache of evaluated strategies is
 * part of its env checkpoint, which is where a resume needs it.
 */
import type Database from 'better-sqlite3';
import { InputError } from '../../errors.js';
import type { BudgetKind, Phase, RunStatus } from '../events.js';
import type { EpisodeRecord, RunRecord } from './records.js';

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
  {
    version: 3,
    description: "per-episode diagnostics of the agent and the budget wall, NULL where not reported; phase 'policy'",
    // SQLite cannot change a CHECK constraint in place: the table is rebuilt with the new phase and the new columns
    up: (db) =>
      db.exec(`
        CREATE TABLE episodes_v3 (
          run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          episode     INTEGER NOT NULL CHECK (episode >= 0),
          strategy    TEXT NOT NULL,
          accuracy    REAL NOT NULL,
          cost        REAL NOT NULL,
          reward      REAL NOT NULL,
          cached      INTEGER NOT NULL CHECK (cached IN (0, 1)),
          seconds     REAL NOT NULL,
          timings     TEXT NOT NULL,
          created_at  TEXT NOT NULL,
          phase       TEXT NOT NULL DEFAULT 'learning' CHECK (phase IN ('warmup', 'learning', 'policy')),
          critic_loss REAL,
          actor_loss  REAL,
          mean_q      REAL,
          sigma       REAL,
          clamped     INTEGER CHECK (clamped >= 0),
          PRIMARY KEY (run_id, episode)
        ) STRICT;
        INSERT INTO episodes_v3 (run_id, episode, strategy, accuracy, cost, reward, cached, seconds, timings, created_at, phase)
          SELECT run_id, episode, strategy, accuracy, cost, reward, cached, seconds, timings, created_at, phase FROM episodes;
        DROP TABLE episodes;
        ALTER TABLE episodes_v3 RENAME TO episodes;
      `),
  },
  {
    version: 4,
    description: 'run_locks: the one process running a run (pid, host), so a second writer is refused',
    up: (db) =>
      db.exec(`
        CREATE TABLE run_locks (
          run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
          pid    INTEGER NOT NULL,
          host   TEXT NOT NULL,
          since  TEXT NOT NULL
        ) STRICT;
      `),
  },
  {
    version: 5,
    description: "checkpoint_rows: a checkpoint's append-only parts (replay transitions, cache entries), each row written once",
    up: (db) =>
      db.exec(`
        CREATE TABLE checkpoint_rows (
          run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          stream TEXT NOT NULL,
          idx    INTEGER NOT NULL CHECK (idx >= 0),
          data   BLOB NOT NULL,
          PRIMARY KEY (run_id, stream, idx)
        ) STRICT;
      `),
  },
  {
    version: 6,
    description: "budget_kind 'latency'; runs.budgets and episodes.costs: every budget and cost of a run with two budgets",
    // the CHECK on budget_kind changes: runs is rebuilt (migrate turns foreign keys off meanwhile, so dropping the
    // old table does not cascade into episodes, checkpoints, checkpoint_rows and run_locks)
    up: (db) =>
      db.exec(`
        CREATE TABLE runs_v6 (
          id               TEXT PRIMARY KEY,
          created_at       TEXT NOT NULL,
          updated_at       TEXT NOT NULL,
          status           TEXT NOT NULL CHECK (status IN ('running', 'completed', 'stopped', 'failed')),
          seed             INTEGER NOT NULL,
          backend          TEXT NOT NULL,
          model            TEXT NOT NULL,
          dataset          TEXT NOT NULL,
          budget_kind      TEXT NOT NULL CHECK (budget_kind IN ('size', 'flops', 'bitops', 'latency')),
          budget_limit     REAL NOT NULL,
          agent            TEXT NOT NULL,
          episodes_planned INTEGER NOT NULL,
          config           TEXT NOT NULL,
          versions         TEXT NOT NULL,
          best             TEXT,
          final_report     TEXT,
          budgets          TEXT
        ) STRICT;
        INSERT INTO runs_v6 (id, created_at, updated_at, status, seed, backend, model, dataset, budget_kind, budget_limit,
            agent, episodes_planned, config, versions, best, final_report)
          SELECT id, created_at, updated_at, status, seed, backend, model, dataset, budget_kind, budget_limit,
            agent, episodes_planned, config, versions, best, final_report FROM runs;
        DROP TABLE runs;
        ALTER TABLE runs_v6 RENAME TO runs;
        ALTER TABLE episodes ADD COLUMN costs TEXT;
      `),
  },
  {
    version: 7,
    description: 'runs.baseline: the uncompressed model as the run measured it (validation accuracy, full cost)',
    up: (db) => db.exec('ALTER TABLE runs ADD COLUMN baseline TEXT;'),
  },
];

/** The schema version this code writes; `PRAGMA user_version` of an up-to-date runs.db. */
export const SCHEMA_VERSION = MIGRATIONS.length;

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

/**
 * Brings the file up to SCHEMA_VERSION in one write transaction; refuses a newer file, a foreign SQLite file and
 * (`readonly`) a file that would need upgrading.
 */
export function migrate(db: Database.Database, path: string, readonly: boolean): void {
  const seen = userVersion(db);
  refuseNewer(seen, path);
  if (seen === SCHEMA_VERSION) return;
  if (readonly) {
    throw new InputError(`${path} has schema v${seen}, this autoshrink needs v${SCHEMA_VERSION}; open it once read-write to upgrade it`);
  }
  // SQLite's way to rebuild a table others reference (v5 rebuilds runs): foreign keys off around the transaction,
  // checked before it commits
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    migrateLocked(db, path);
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}

function migrateLocked(db: Database.Database, path: string): void {
  db.transaction(() => {
    // Re-read under the write lock: another process may have migrated in between.
    const version = userVersion(db);
    refuseNewer(version, path);
    if (version === 0) {
      const tables = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get() as number;
      if (tables > 0) throw new InputError(`${path} is an SQLite file of something else, not an autoshrink runs database; use another --workdir`);
    }
    for (const migration of MIGRATIONS.slice(version)) migration.up(db);
    const broken = db.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) throw new Error(`migrating ${path} left ${broken.length} rows without their run`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** A `runs` row as the store's queries return it; `episodes_done` is counted by the query, not stored. */
export interface RunRow {
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
  budgets: string | null;
  baseline: string | null;
}

/** An `episodes` row; the diagnostics are NULL in rows from before v3 and where nothing was reported. */
export interface EpisodeRow {
  run_id: string;
  episode: number;
  phase: Phase;
  strategy: string;
  accuracy: number;
  cost: number;
  reward: number;
  cached: 0 | 1;
  seconds: number;
  timings: string;
  created_at: string;
  critic_loss: number | null;
  actor_loss: number | null;
  mean_q: number | null;
  sigma: number | null;
  clamped: number | null;
  costs: string | null;
}

/** A `checkpoints` row without its run id. */
export interface CheckpointRow {
  episode: number;
  agent_state: Buffer;
  env_state: Buffer;
  created_at: string;
}

/** The columns of a RunRow, episodes_done counted. */
export const RUN_COLUMNS = `id, created_at, updated_at, status, seed, backend, model, dataset, budget_kind, budget_limit, agent,
  episodes_planned, config, versions, best, final_report, budgets, baseline,
  (SELECT count(*) FROM episodes e WHERE e.run_id = runs.id) AS episodes_done`;

/** The columns of an EpisodeRow. */
export const EPISODE_COLUMNS = `run_id, episode, phase, strategy, accuracy, cost, reward, cached, seconds, timings, created_at,
  critic_loss, actor_loss, mean_q, sigma, clamped, costs`;

/** A runs row as the store's record; the JSON columns parsed. */
export function toRun(row: RunRow): RunRecord {
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
    budgets: row.budgets === null ? [{ kind: row.budget_kind, limit: row.budget_limit }] : JSON.parse(row.budgets),
    agent: row.agent,
    episodesPlanned: row.episodes_planned,
    episodesDone: row.episodes_done,
    config: JSON.parse(row.config),
    versions: JSON.parse(row.versions),
    best: row.best === null ? null : JSON.parse(row.best),
    baseline: row.baseline === null ? null : JSON.parse(row.baseline),
    final: row.final_report === null ? null : JSON.parse(row.final_report),
  };
}

/** An episodes row as the store's record; the JSON columns parsed, missing diagnostics null. */
export function toEpisode(row: EpisodeRow): EpisodeRecord {
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
    criticLoss: row.critic_loss,
    actorLoss: row.actor_loss,
    meanQ: row.mean_q,
    sigma: row.sigma,
    clamped: row.clamped,
    ...(row.costs === null ? {} : { costs: JSON.parse(row.costs) as number[] }),
    createdAt: row.created_at,
  };
}
