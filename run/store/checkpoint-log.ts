/**
 * Checkpoints that do not grow with the run. Two parts of a search's checkpoint only grow: the agent's replay buffer
 * (up to its capacity, then a ring) and the evaluation cache (one entry per strategy measured). Written whole, every
 * episode's checkpoint wrote them again, so the coordinator's write grew with the run. Here they go to the
 * checkpoint_rows table, one row per transition or cache entry, each written once, in the transaction of the
 * checkpoint that first holds it; the checkpoint blobs keep only their counters. A resume joins the rows back into the
 * checkpoint the agent and the run wrote, bit for bit.
 *
 * What is read of a checkpoint (any agent that follows it gets this):
 * - agent: `{ state: { replay: { size, next, pushed, capacity } }, blobs: { 'replay/<part>': Float32Array } }`, as
 *   agent/replay-buffer.ts saves it: each part `size` slots of one width, transition k in slot k % capacity.
 * - env: `{ cache: [...] }`, an array that only grows at its end (the cache of run/search.ts's EnvCheckpoint).
 * Checkpoints stored whole (before schema v5, or of agents without a replay buffer) are read as they are; the first
 * checkpoint after them writes every kept row.
 */
import type { CheckpointValue } from './checkpoint-codec.js';
import type { CheckpointInput, CheckpointRows, StoredCheckpoint } from './store.js';

type Tree = Record<string, unknown>;
interface Counters {
  size: number;
  next: number;
  pushed: number;
  capacity: number;
  /** Set in a stored checkpoint whose transitions are rows: each part's name and width, in a row's order. */
  rows?: Array<[string, number]>;
}

const REPLAY = 'replay';
const CACHE = 'cache';
const PREFIX = 'replay/';

const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

/** The replay counters of an agent checkpoint that can be written as rows, else null. */
function countersOf(agent: unknown): Counters | null {
  if (!isTree(agent) || !isTree(agent.state) || !isTree(agent.blobs)) return null;
  const r = agent.state.replay;
  if (!isTree(r) || typeof r.pushed !== 'number' || typeof r.capacity !== 'number' || typeof r.size !== 'number') return null;
  return r as unknown as Counters;
}

export class CheckpointLog {
  /** Per stream, the rows stored: the index of the next row to write. */
  private written = { [REPLAY]: 0, [CACHE]: 0 };
  private staged: { [REPLAY]: number; [CACHE]: number } | null = null;

  /** The checkpoint to store: the replay transitions and cache entries cut out, the new ones as rows beside it. */
  split(agent: unknown, env: unknown): CheckpointInput {
    const rows: CheckpointRows = { append: [], dropBelow: [] };
    const staged = { ...this.written };
    const c = countersOf(agent);
    if (c && isTree(agent)) {
      const blobs = agent.blobs as Record<string, Float32Array>;
      // a row is one transition, its parts one after the other
      const parts = Object.keys(blobs)
        .filter((k) => k.startsWith(PREFIX))
        .map((k): [string, number] => [k.slice(PREFIX.length), c.size ? blobs[k].length / c.size : 0]);
      const width = parts.reduce((n, [, w]) => n + w, 0);
      const first = Math.max(this.written[REPLAY], c.pushed - c.size);
      const values = [];
      for (let k = first; k < c.pushed; k++) {
        const slot = k % c.capacity;
        const row = new Float32Array(width);
        let at = 0;
        for (const [p, w] of parts) {
          row.set(blobs[PREFIX + p].subarray(slot * w, (slot + 1) * w), at);
          at += w;
        }
        values.push(row);
      }
      rows.append.push({ stream: REPLAY, from: first, values });
      rows.dropBelow!.push({ stream: REPLAY, index: c.pushed - c.size });
      staged[REPLAY] = c.pushed;
      const kept = Object.fromEntries(Object.entries(blobs).filter(([k]) => !k.startsWith(PREFIX)));
      agent = { ...agent, state: { ...(agent.state as Tree), replay: { ...c, rows: parts } }, blobs: kept };
    }
    if (isTree(env) && Array.isArray(env.cache)) {
      const cache = env.cache as unknown[];
      if (cache.length < this.written[CACHE]) throw new Error(`the evaluation cache shrank from ${this.written[CACHE]} to ${cache.length} entries; it may only grow`);
      rows.append.push({ stream: CACHE, from: this.written[CACHE], values: cache.slice(this.written[CACHE]) });
      staged[CACHE] = cache.length;
      env = { ...env, cache: undefined, cacheRows: cache.length };
    }
    this.staged = staged;
    return { agent, env, rows };
  }

  /** The last split is stored: its rows are written. */
  committed(): void {
    if (this.staged) this.written = this.staged;
    this.staged = null;
  }

  /** The stored checkpoint as it was written (rows joined back in); the log continues after it. */
  join(cp: StoredCheckpoint): { agent: CheckpointValue; env: CheckpointValue } {
    let { agent, env } = cp;
    const c = countersOf(agent);
    this.written = { [REPLAY]: 0, [CACHE]: 0 };
    if (c?.rows && isTree(agent)) {
      const byIndex = new Map((cp.rows[REPLAY] ?? []).map((r) => [r.index, r.value]));
      const width = c.rows.reduce((n, [, w]) => n + w, 0);
      const replay: Record<string, Float32Array> = Object.fromEntries(c.rows.map(([p, w]) => [PREFIX + p, new Float32Array(c.size * w)]));
      for (let k = c.pushed - c.size; k < c.pushed; k++) {
        const row = byIndex.get(k);
        if (!(row instanceof Float32Array) || row.length !== width) throw new Error(`checkpoint row ${k} of the replay buffer is missing or has the wrong size`);
        const slot = k % c.capacity;
        let at = 0;
        for (const [p, w] of c.rows) {
          replay[PREFIX + p].set(row.subarray(at, at + w), slot * w);
          at += w;
        }
      }
      const { rows: _rows, ...counters } = c;
      agent = { ...agent, state: { ...(agent.state as Tree), replay: counters }, blobs: { ...(agent.blobs as Tree), ...replay } } as CheckpointValue;
      this.written[REPLAY] = c.pushed;
    }
    if (isTree(env) && typeof env.cacheRows === 'number') {
      const n = env.cacheRows;
      const stored = cp.rows[CACHE] ?? [];
      if (stored.length < n || (n > 0 && stored[n - 1].index !== n - 1)) throw new Error(`the checkpoint's evaluation cache has ${stored.length} of its ${n} rows`);
      const { cacheRows: _n, ...rest } = env;
      env = { ...rest, cache: stored.slice(0, n).map((r) => r.value) } as CheckpointValue;
      this.written[CACHE] = n;
    }
    return { agent, env };
  }
}
