/**
 * The rows file: one JSON object per line, a header first (the command, the commit), then one row per finished run,
 * appended the moment it finishes, so a killed benchmark loses at most the runs in flight. On a restart the rows
 * whose job is still asked for with the very same run config are kept and their jobs skipped; a torn last line (a
 * kill mid-write) is dropped.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface Row {
  id: string;
  model: string;
  regime: string;
  planner: string;
  seed: number;
  status: 'ok' | 'failed';
  note?: string;
  /** The run config handed to runSearch (the key a resumed benchmark compares). */
  input: Record<string, unknown>;
  runId?: string;
  commit?: string;
  /** The budget's limit in its unit (bytes for size budgets). */
  limit?: number;
  /** What the run actually used, from its stored config. */
  settings?: { episodes: number; warmup: number; finetuneSteps: number; finalSteps: number; rerankTop: number; rerankSteps: number };
  /** Episodes stored (a one-shot planner's candidates count as episodes). */
  episodesRun?: number;
  /** The re-ranked pick: its episode, search validation accuracy and cost. */
  episode?: number;
  validation?: number;
  cost?: number;
  /** Test accuracy of each final fine-tune (the first is the product's own finishRun). */
  finals?: number[];
  /** How many of the finals the row's test accuracy averages (the noise probe has more). */
  counted?: number;
  /** Seeds of those finals. */
  finalSeeds?: number[];
  baselineTest?: number;
  packedBytes?: number;
  /** Reward of every episode, in order (for the best-so-far plots). */
  rewards?: number[];
  /** Wall times: the search, the sum of its episodes' own seconds, the re-rank + first final, the extra finals. */
  searchSeconds?: number;
  episodeSeconds?: number;
  finishSeconds?: number;
  extraFinalSeconds?: number;
  /** CPU seconds of the run's process (user + system, all its threads): less sensitive than wall time to a busy machine. */
  cpuSeconds?: number;
  /** A time-matched row: the DDPG wall time it was given. */
  matchedSeconds?: number;
}

export interface Header {
  command: string;
  started: string;
  commit: string;
}

/** Rows file beside the results file: `search-quality.md` -> `search-quality.rows.jsonl`. */
export const rowsPathOf = (out: string) => `${out.replace(/\.md$/, '')}.rows.jsonl`;

/** Stable text of a run config, the resume key beside the job id; a time-matched run's length (set from measured
 * times) is left out of its key. */
export function inputKey(input: Record<string, unknown>, timeMatched = false): string {
  const keys = Object.keys(input).filter((k) => !(timeMatched && (k === 'episodes' || k === 'time')));
  return JSON.stringify(keys.sort().map((k) => [k, input[k]]));
}

/** The header and rows of an existing file; a line that does not parse (a torn write) is left out. */
export function readRows(path: string): { header: Header | null; rows: Row[] } {
  if (!existsSync(path)) return { header: null, rows: [] };
  let header: Header | null = null;
  const rows: Row[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let value: { header?: Header } & Partial<Row>;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (value.header) header = value.header;
    else if (value.id) rows.push(value as Row);
  }
  return { header, rows };
}

/**
 * Open the rows file for a run of `header.command`: with `fresh`, an existing file is moved aside (`.old-<time>`);
 * otherwise its finished rows are kept where a job of the same id asks for the same config (the last such row wins).
 * Failed rows are not kept: their jobs run again.
 */
export function openRows(path: string, header: Header, jobs: Array<{ id: string; input: Record<string, unknown>; matches?: unknown }>, fresh: boolean): { kept: Row[]; dropped: number; before: Header | null } {
  if (fresh && existsSync(path)) renameSync(path, `${path}.old-${Date.now()}`);
  const { header: before, rows } = readRows(path);
  const want = new Map(jobs.map((j) => [j.id, inputKey(j.input, j.matches !== undefined)]));
  const byId = new Map<string, Row>();
  for (const r of rows) if (r.status === 'ok' && want.get(r.id) === inputKey(r.input, r.matchedSeconds !== undefined)) byId.set(r.id, r);
  if (!existsSync(path)) writeFileSync(path, `${JSON.stringify({ header })}\n`);
  else appendFileSync(path, `${JSON.stringify({ header })}\n`);
  return { kept: [...byId.values()], dropped: rows.length - byId.size, before };
}

export function appendRow(path: string, row: Row): void {
  appendFileSync(path, `${JSON.stringify(row)}\n`);
}
