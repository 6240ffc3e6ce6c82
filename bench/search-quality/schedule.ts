/**
 * Runs the jobs, `jobs` at a time, each in its own child process (child.ts), appending each row to the rows file the
 * moment it arrives, with progress and an ETA from the runs measured so far. Two rules keep parallel runs sound:
 * - a model's first run goes alone (its baseline is trained and cached in the shared work directory once, not by two
 *   processes at the same time);
 * - a time-matched local search waits for the DDPG and local runs of its seed, whose wall times set its length.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Job, type MatchedLength, withMatchedLength } from './plan.js';
import { appendRow, type Row } from './rows.js';
import type { RunJob } from './run-one.js';

export interface ScheduleOptions {
  jobs: number;
  workdir: string;
  backend: string;
  commit: string;
  rowsPath: string;
  timeMatch: 'episodes' | 'time' | 'off';
  say: (line: string) => void;
}

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/** A row's whole wall time: search, re-rank and first final, extra finals. */
export const rowSeconds = (r: Row) => (r.searchSeconds ?? 0) + (r.finishSeconds ?? 0) + (r.extraFinalSeconds ?? 0);

/** The length a time-matched job gets from its DDPG and local rows, or a reason it cannot have one. */
export function matchedLength(ddpg: Row | undefined, local: Row | undefined): MatchedLength | string {
  if (!ddpg || ddpg.status !== 'ok' || ddpg.searchSeconds === undefined) return 'its DDPG run did not finish';
  if (!local || local.status !== 'ok' || local.searchSeconds === undefined || !local.episodesRun) return 'its local search run did not finish';
  const episodeSeconds = local.episodeSeconds ?? local.searchSeconds;
  return {
    ddpgSeconds: ddpg.searchSeconds,
    localOverheadSeconds: Math.max(0, local.searchSeconds - episodeSeconds),
    localSecondsPerEpisode: episodeSeconds / local.episodesRun,
  };
}

/** Seconds a job is expected to take: the mean of finished rows of its model, cell and planner, else of its model and
 * planner; undefined when none has finished yet. */
export function estimate(job: Pick<Job, 'model' | 'regime' | 'planner'>, rows: Row[]): number | undefined {
  const ok = rows.filter((r) => r.status === 'ok' && r.model === job.model && r.planner === job.planner);
  const same = ok.filter((r) => r.regime === job.regime);
  const pool = same.length ? same : ok;
  return pool.length ? pool.reduce((s, r) => s + rowSeconds(r), 0) / pool.length : undefined;
}

const clock = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}` : `${Math.round(s / 60)} min`);

function runChild(job: RunJob, o: ScheduleOptions, label: string): Promise<Row> {
  return new Promise((resolve) => {
    const child = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let row: Row | undefined;
    child.on('message', (m: { type: string; line?: string; row?: Row }) => {
      if (m.type === 'log') o.say(`  ${label}: ${m.line}`);
      if (m.type === 'row') row = m.row;
    });
    child.on('exit', (code, signal) => {
      resolve(row ?? { id: job.id, model: job.model, regime: job.regime, planner: job.planner, seed: job.seed, input: job.input, status: 'failed', note: `child process exited (${signal ?? `code ${code}`}) without a row` });
    });
    child.send({ job, workdir: o.workdir, backend: o.backend, commit: o.commit });
  });
}

/** Runs every job of `todo` (the rows of `done` exist already) and returns all rows, `done` first. */
export async function runJobs(todo: Job[], done: Row[], o: ScheduleOptions): Promise<Row[]> {
  const rows = [...done];
  const pending = [...todo];
  const running = new Map<string, { job: Job; started: number; promise: Promise<void> }>();
  const warm = new Set(rows.map((r) => r.model));
  const t0 = performance.now();
  const total = todo.length;
  let finished = 0;
  const byId = (id: string) => rows.find((r) => r.id === id);

  const record = (row: Row) => {
    rows.push(row);
    appendRow(o.rowsPath, row);
    warm.add(row.model);
    finished += 1;
  };
  const eta = () => {
    const now = performance.now();
    let known = 0;
    let unknown = 0;
    for (const job of pending) {
      const e = estimate(job, rows);
      if (e === undefined) unknown += 1;
      else known += e;
    }
    for (const { job, started } of running.values()) {
      const e = estimate(job, rows);
      if (e === undefined) unknown += 1;
      else known += Math.max(0, e - (now - started) / 1000);
    }
    const elapsed = (now - t0) / 1000;
    return `${clock(elapsed)} elapsed; ETA ${clock(known / o.jobs)}${unknown ? ` + ${unknown} run(s) not yet measured` : ''}`;
  };

  /** The next job that may start now, its config resolved; a time-matched job whose inputs failed becomes a failed row. */
  const next = (): RunJob | null => {
    for (let i = 0; i < pending.length; i++) {
      const job = pending[i];
      const sameModel = [...running.values()].some((r) => r.job.model === job.model);
      if (!warm.has(job.model) && sameModel) continue;
      if (!job.matches) {
        pending.splice(i, 1);
        return job;
      }
      const ddpg = byId(job.matches.ddpg);
      const local = byId(job.matches.local);
      const waiting = [job.matches.ddpg, job.matches.local].some((id) => !byId(id) && (pending.some((p) => p.id === id) || running.has(id)));
      if (waiting) continue;
      pending.splice(i, 1);
      const length = matchedLength(ddpg, local);
      if (typeof length === 'string') {
        record({ id: job.id, model: job.model, regime: job.regime, planner: job.planner, seed: job.seed, input: job.input, status: 'failed', note: `not run: ${length}` });
        i -= 1;
        continue;
      }
      return { ...job, input: withMatchedLength(job, o, length), matchedSeconds: length.ddpgSeconds };
    }
    return null;
  };

  for (;;) {
    while (running.size < o.jobs) {
      const job = next();
      if (!job) break;
      const label = `${job.model} ${job.regime} ${job.planner} seed ${job.seed}`;
      o.say(`start ${label} (${running.size + 1} running; episodes ${String(job.input.episodes)})`);
      const promise = runChild(job, o, label).then((row) => {
        running.delete(job.id);
        record(row);
        const minutes = (rowSeconds(row) / 60).toFixed(1);
        const test = row.finals?.length ? `test ${((row.finals.reduce((s, v) => s + v, 0) / row.finals.length) * 100).toFixed(2)}%` : row.note;
        o.say(`[${finished}/${total}] ${label}: ${row.status}, ${test}, ${minutes} min; ${eta()}`);
      });
      running.set(job.id, { job: job as Job, started: performance.now(), promise });
    }
    if (running.size === 0) break;
    await Promise.race([...running.values()].map((r) => r.promise));
  }
  for (const job of pending) record({ id: job.id, model: job.model, regime: job.regime, planner: job.planner, seed: job.seed, input: job.input, status: 'failed', note: 'never became ready (a job it waits for is not planned)' });
  return rows;
}
