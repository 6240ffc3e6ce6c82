/**
 * The run store: every search run, its finished episodes and its latest checkpoint, in one SQLite file
 * (`<workdir>/runs.db`). With `schema.ts`, the only module that imports better-sqlite3; everything else sees
 * the typed `Store`.
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
 * The schema, its migrations and its rows are in `schema.ts`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InputError, RunNotFoundError } from '../../errors.js';
import { CheckpointFormatError, decodeCheckpoint, encodeCheckpoint, type CheckpointValue } from './checkpoint-codec.js';
import type { BudgetKind, EpisodeFinishedEvent, LayerChoice, RunStatus } from '../events.js';
import { refuseLiveHolder, type RunHolder } from './run-lock.js';
import {
  type CheckpointRow,
  EPISODE_COLUMNS,
  type EpisodeRow,
  migrate,
  RUN_COLUMNS,
  type RunRow,
  toEpisode,
  toRun,
} from './schema.js';

/** How long a connection waits for another process's lock before failing, in milliseconds. */
const BUSY_TIMEOUT_MS = 5000;
/** After a WAL checkpoint, truncate the WAL file back to at most this size (checkpoints can be megabytes). */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

export { DIAGNOSTICS, type BestRecord, type EpisodeDiagnostics, type EpisodeInput, type EpisodeRecord, type RunInit, type RunBaseline, type RunRecord, type RunVersions } from './records.js';
import { DIAGNOSTICS, type BestRecord, type EpisodeInput, type EpisodeRecord, type RunInit, type RunRecord } from './records.js';

/** The state to resume from after an episode. Each part may hold typed arrays (see `checkpoint-codec.ts`). */
export interface CheckpointInput {
  /** The agent's state: networks, optimizer, replay buffer, noise, its RNG. */
  agent: unknown;
  /** The run's own state: its RNG, the evaluation cache. */
  env: unknown;
  /** Rows of the checkpoint's append-only streams new since the last checkpoint, and rows no longer needed. */
  rows?: CheckpointRows;
}

/** The rows a checkpoint adds to its streams (checkpoint_rows), in the same transaction as the checkpoint. */
export interface CheckpointRows {
  /** `values[j]` is row `from + j` of `stream`; each value in the format of `checkpoint-codec.ts`. */
  append: Array<{ stream: string; from: number; values: unknown[] }>;
  /** Delete a stream's rows below `index`. */
  dropBelow?: Array<{ stream: string; index: number }>;
}

/** Checkpoint rows encoded, as the write transaction takes them. */
interface EncodedRows {
  append: Array<{ stream: string; index: number; data: Buffer }>;
  dropBelow: Array<{ stream: string; index: number }>;
}

/** The latest checkpoint of a run, decoded. */
export interface StoredCheckpoint {
  runId: string;
  /** The episode after which it was taken: the last stored episode. */
  episode: number;
  agent: CheckpointValue;
  env: CheckpointValue;
  /** The run's checkpoint rows by stream, in index order (empty for checkpoints stored whole). */
  rows: Record<string, Array<{ index: number; value: CheckpointValue }>>;
  createdAt: string;
}

/** What `recordEpisode` did to the run's best. */
export interface RecordResult {
  /** True when this episode became the run's best (the first episode always does). */
  improved: boolean;
  best: BestRecord;
  /** Bytes of checkpoint written: the agent and env blobs and the new checkpoint rows. */
  bytes: number;
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
   * episode with a non-finite number (diagnostics included: leave one out or null rather than NaN; `clamped` must be
   * a count).
   */
  recordEpisode(runId: string, episode: EpisodeInput, checkpoint: CheckpointInput): RecordResult;
  /** The run's episodes in order. Throws RunNotFoundError. */
  episodes(runId: string): EpisodeRecord[];
  /** The run's checkpoint, or null before its first episode. Throws RunNotFoundError, also when the stored
   * checkpoint cannot be decoded. */
  lastCheckpoint(runId: string): StoredCheckpoint | null;
  /**
   * Makes this process (its pid on this host) the run's one writer until `unlockRun`. A run held by another live
   * process is refused with a one-line RunNotFoundError naming it; a lock left by a process that is gone (killed) is
   * taken over. A holder on another host cannot be checked from here and counts as live.
   */
  lockRun(runId: string): void;
  /** Releases this process's lock on the run; a lock of another process is left alone. */
  unlockRun(runId: string): void;
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

const RUN_STATUSES: readonly RunStatus[] = ['running', 'completed', 'stopped', 'failed'];

function toJson(value: unknown, what: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`${what} cannot be stored as JSON`);
  return json;
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
          budget_kind, budget_limit, agent, episodes_planned, config, versions, budgets, baseline)
        VALUES (@id, @now, @now, @status, @seed, @backend, @model, @dataset, @budgetKind, @budgetLimit, @agent,
          @episodesPlanned, @config, @versions, @budgets, @baseline)`),
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
          seconds, timings, created_at, critic_loss, actor_loss, mean_q, sigma, clamped, costs)
        VALUES (@runId, @episode, @phase, @strategy, @accuracy, @cost, @reward, @cached, @seconds, @timings, @now,
          @criticLoss, @actorLoss, @meanQ, @sigma, @clamped, @costs)`),
      episodes: db.prepare<[string], EpisodeRow>(`SELECT ${EPISODE_COLUMNS} FROM episodes WHERE run_id = ? ORDER BY episode`),
      putCheckpoint: db.prepare<[string, number, Buffer, Buffer, string]>(`INSERT INTO checkpoints
          (run_id, episode, agent_state, env_state, created_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (run_id) DO UPDATE SET episode = excluded.episode, agent_state = excluded.agent_state,
          env_state = excluded.env_state, created_at = excluded.created_at`),
      checkpoint: db.prepare<[string], CheckpointRow>(
        'SELECT episode, agent_state, env_state, created_at FROM checkpoints WHERE run_id = ?',
      ),
      putRow: db.prepare<[string, string, number, Buffer]>('INSERT INTO checkpoint_rows (run_id, stream, idx, data) VALUES (?, ?, ?, ?)'),
      dropRows: db.prepare<[string, string, number]>('DELETE FROM checkpoint_rows WHERE run_id = ? AND stream = ? AND idx < ?'),
      rows: db.prepare<[string], { stream: string; idx: number; data: Buffer }>('SELECT stream, idx, data FROM checkpoint_rows WHERE run_id = ? ORDER BY stream, idx'),
      lock: db.prepare<[string], RunHolder>('SELECT pid, host, since FROM run_locks WHERE run_id = ?'),
      putLock: db.prepare<[string, number, string, string]>('INSERT OR REPLACE INTO run_locks (run_id, pid, host, since) VALUES (?, ?, ?, ?)'),
      dropLock: db.prepare<[string, number, string]>('DELETE FROM run_locks WHERE run_id = ? AND pid = ? AND host = ?'),
    };
    this.record = db.transaction(
      (runId: string, ep: EpisodeInput, agent: Buffer, env: Buffer, now: string, rows: EncodedRows): RecordResult => {
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
          criticLoss: ep.criticLoss ?? null,
          actorLoss: ep.actorLoss ?? null,
          meanQ: ep.meanQ ?? null,
          sigma: ep.sigma ?? null,
          clamped: ep.clamped ?? null,
          costs: ep.costs && ep.costs.length > 1 ? toJson(ep.costs, 'costs') : null,
        });
        this.stmt.putCheckpoint.run(runId, ep.episode, agent, env, now);
        for (const r of rows.append) this.stmt.putRow.run(runId, r.stream, r.index, r.data);
        for (const d of rows.dropBelow) this.stmt.dropRows.run(runId, d.stream, d.index);
        const previous: BestRecord | null = run.best === null ? null : JSON.parse(run.best);
        const improved = previous === null || ep.reward > previous.reward;
        const best: BestRecord = improved
          ? { episode: ep.episode, accuracy: ep.accuracy, cost: ep.cost, ...(ep.costs ? { costs: ep.costs } : {}), reward: ep.reward, strategy: ep.strategy }
          : previous;
        this.stmt.setBest.run(improved ? toJson(best, 'best') : null, now, runId);
        return { improved, best, bytes: agent.byteLength + env.byteLength + rows.append.reduce((n, r) => n + r.data.byteLength, 0) };
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
      budgets: init.budgets && init.budgets.length > 1 ? toJson(init.budgets, 'budgets') : null,
      agent: init.agent,
      episodesPlanned: init.episodesPlanned,
      config: toJson(init.config, 'run config'),
      versions: toJson(init.versions, 'versions'),
      baseline: init.baseline ? toJson(init.baseline, 'baseline') : null,
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
    for (const key of DIAGNOSTICS) {
      const value = episode[key];
      if (value === undefined || value === null) continue;
      if (!Number.isFinite(value) || (key === 'clamped' && !(Number.isInteger(value) && value >= 0))) {
        throw new TypeError(`episode ${episode.episode} of run ${runId} has ${key} ${value}`);
      }
    }
    // Encode before taking the write lock: the lock is then held only for the writes.
    const agent = asBuffer(encodeCheckpoint(checkpoint.agent));
    const env = asBuffer(encodeCheckpoint(checkpoint.env));
    const rows: EncodedRows = {
      append: (checkpoint.rows?.append ?? []).flatMap(({ stream, from, values }) => values.map((v, j) => ({ stream, index: from + j, data: asBuffer(encodeCheckpoint(v)) }))),
      dropBelow: checkpoint.rows?.dropBelow ?? [],
    };
    return this.record.immediate(runId, episode, agent, env, new Date().toISOString(), rows);
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
        rows: this.checkpointRows(runId),
        createdAt: row.created_at,
      };
    } catch (e) {
      if (!(e instanceof CheckpointFormatError)) throw e;
      throw new RunNotFoundError(
        `run ${runId} cannot be resumed: its checkpoint after episode ${row.episode} is unreadable (${e.message}); start a new run`,
      );
    }
  }

  private checkpointRows(runId: string): StoredCheckpoint['rows'] {
    const out: StoredCheckpoint['rows'] = {};
    for (const r of this.stmt.rows.all(runId)) (out[r.stream] ??= []).push({ index: r.idx, value: decodeCheckpoint(r.data) });
    return out;
  }

  lockRun(runId: string): void {
    const host = hostname();
    this.db.transaction(() => {
      this.requireRun(runId);
      refuseLiveHolder(runId, this.stmt.lock.get(runId), host);
      this.stmt.putLock.run(runId, process.pid, host, new Date().toISOString());
    }).immediate();
  }

  unlockRun(runId: string): void {
    this.stmt.dropLock.run(runId, process.pid, hostname());
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
