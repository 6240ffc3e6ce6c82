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
 *
 * The networks (an agent checkpoint with `journal`, run/planners/network-journal.ts): the agent's networks and Adam
 * moments are the same 3 MB whatever the run's length, and an agent may store them only every few episodes. A
 * checkpoint with `journal: { base }` and its network blobs goes whole (its replay cut out as above) to the row
 * `networks`/base; one with `journal: { base, entry }` has no network blobs, and its entry (what the agent needs to
 * learn that episode again) goes to the row `learn`/entry.episode. The replay rows are kept back to the networks' own
 * replay. A resume gets the agent checkpoint of the networks' episode, joined whole, with `journal: { base, relearn:
 * [the entries since, in order], expect: the last checkpoint's state }`: the agent learns them again and must arrive
 * at that state.
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
const NETWORKS = 'networks';
const LEARN = 'learn';
const PREFIX = 'replay/';

/** An agent checkpoint's journal as the agent writes it: the episode of its last stored networks, and, when this
 * checkpoint leaves its networks out, what to learn this episode again from. */
interface Journal {
  base: number;
  entry?: { episode: number } & Tree;
}

const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

/** The replay counters of an agent checkpoint that can be written as rows, else null. */
function countersOf(agent: unknown): Counters | null {
  if (!isTree(agent) || !isTree(agent.state) || !isTree(agent.blobs)) return null;
  const r = agent.state.replay;
  if (!isTree(r) || typeof r.pushed !== 'number' || typeof r.capacity !== 'number' || typeof r.size !== 'number') return null;
  return r as unknown as Counters;
}

function journalOf(agent: unknown): Journal | null {
  if (!isTree(agent) || !isTree(agent.journal) || typeof agent.journal.base !== 'number') return null;
  return agent.journal as unknown as Journal;
}

/** The replay's transitions `from`..pushed-1 as rows, each its parts one after the other. */
function replayRows(blobs: Record<string, Float32Array>, c: Counters, from: number) {
  const parts = Object.keys(blobs)
    .filter((k) => k.startsWith(PREFIX))
    .map((k): [string, number] => [k.slice(PREFIX.length), c.size ? blobs[k].length / c.size : 0]);
  const width = parts.reduce((n, [, w]) => n + w, 0);
  const values = [];
  for (let k = from; k < c.pushed; k++) {
    const slot = k % c.capacity;
    const row = new Float32Array(width);
    let at = 0;
    for (const [p, w] of parts) {
      row.set(blobs[PREFIX + p].subarray(slot * w, (slot + 1) * w), at);
      at += w;
    }
    values.push(row);
  }
  return { parts, values };
}

/** A stored agent checkpoint whose transitions are rows, with its replay blobs built back from the rows. */
function joinReplay(agent: Tree, c: Counters & { rows: Array<[string, number]> }, rows: StoredCheckpoint['rows']): CheckpointValue {
  const byIndex = new Map((rows[REPLAY] ?? []).map((r) => [r.index, r.value]));
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
  return { ...agent, state: { ...(agent.state as Tree), replay: counters }, blobs: { ...(agent.blobs as Tree), ...replay } } as CheckpointValue;
}

const withoutRows = (state: Tree): Tree => {
  const { rows: _rows, ...counters } = state.replay as Counters;
  return { ...state, replay: counters };
};

export class CheckpointLog {
  /** Per stream, the rows stored: the index of the next row to write. */
  private written = { [REPLAY]: 0, [CACHE]: 0 };
  /** The first replay row the stored networks' own replay holds (the rows from it on are kept); Infinity: none. */
  private keepFrom = Infinity;
  private staged: { [REPLAY]: number; [CACHE]: number; keepFrom: number } | null = null;

  /** The checkpoint to store: the replay transitions and cache entries cut out, the new ones as rows beside it. */
  split(agent: unknown, env: unknown): CheckpointInput {
    const rows: CheckpointRows = { append: [], dropBelow: [] };
    const staged = { ...this.written, keepFrom: this.keepFrom };
    const c = countersOf(agent);
    if (c && isTree(agent)) {
      const blobs = agent.blobs as Record<string, Float32Array>;
      const { parts, values } = replayRows(blobs, c, Math.max(this.written[REPLAY], c.pushed - c.size));
      rows.append.push({ stream: REPLAY, from: c.pushed - values.length, values });
      staged[REPLAY] = c.pushed;
      const kept = Object.fromEntries(Object.entries(blobs).filter(([k]) => !k.startsWith(PREFIX)));
      agent = { ...agent, state: { ...(agent.state as Tree), replay: { ...c, rows: parts } }, blobs: kept };
      const journal = journalOf(agent);
      if (journal && isTree(agent)) {
        if (journal.entry) {
          rows.append.push({ stream: LEARN, from: journal.entry.episode, values: [journal.entry] });
        } else {
          // the networks of this episode, with the state they go with, stay until the next networks are stored
          rows.append.push({ stream: NETWORKS, from: journal.base, values: [{ state: agent.state, blobs: kept }] });
          rows.dropBelow!.push({ stream: NETWORKS, index: journal.base }, { stream: LEARN, index: journal.base + 1 });
          staged.keepFrom = c.pushed - c.size;
        }
        agent = { ...agent, blobs: {}, journal: { base: journal.base } };
      } else {
        staged.keepFrom = Infinity;
      }
      rows.dropBelow!.push({ stream: REPLAY, index: Math.min(c.pushed - c.size, staged.keepFrom) });
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
    if (this.staged) {
      const { keepFrom, ...written } = this.staged;
      this.written = written;
      this.keepFrom = keepFrom;
    }
    this.staged = null;
  }

  /** The stored checkpoint as it was written (rows joined back in); the log continues after it. */
  join(cp: StoredCheckpoint): { agent: CheckpointValue; env: CheckpointValue } {
    let { agent, env } = cp;
    const c = countersOf(agent);
    this.written = { [REPLAY]: 0, [CACHE]: 0 };
    this.keepFrom = Infinity;
    const journal = journalOf(agent);
    if (journal && c?.rows && isTree(agent)) {
      agent = this.joinJournal(cp, agent, journal);
      this.written[REPLAY] = c.pushed;
    } else if (c?.rows && isTree(agent)) {
      agent = joinReplay(agent, c as Counters & { rows: Array<[string, number]> }, cp.rows);
      this.written[REPLAY] = c.pushed;
    }
    if (isTree(env) && typeof env.cacheRows === 'number') {
      const n = env.cacheRows;
      const { cacheRows: _n, ...rest } = env;
      env = { ...rest, cache: cacheOf(cp) } as CheckpointValue;
      this.written[CACHE] = n;
    }
    return { agent, env };
  }

  /** The networks' checkpoint joined whole, with the entries to learn again and the state they must arrive at. */
  private joinJournal(cp: StoredCheckpoint, agent: Tree, journal: Journal): CheckpointValue {
    const stored = (cp.rows[NETWORKS] ?? []).find((r) => r.index === journal.base)?.value;
    if (!isTree(stored) || !isTree(stored.state)) throw new Error(`the checkpoint's networks of episode ${journal.base} are missing`);
    const base = countersOf({ state: stored.state, blobs: {} });
    if (!base?.rows) throw new Error(`the checkpoint's networks of episode ${journal.base} have no replay counters`);
    const relearn = (cp.rows[LEARN] ?? []).filter((r) => r.index > journal.base && r.index <= cp.episode).map((r) => r.value);
    const wanted = cp.episode - journal.base;
    if (relearn.length !== wanted) throw new Error(`the checkpoint has ${relearn.length} of the ${wanted} episodes to learn again since its networks of episode ${journal.base}`);
    this.keepFrom = base.pushed - base.size;
    const whole = joinReplay({ ...agent, state: stored.state, blobs: stored.blobs }, base as Counters & { rows: Array<[string, number]> }, cp.rows) as Tree;
    return { ...whole, journal: { base: journal.base, relearn, expect: withoutRows(agent.state as Tree) } } as CheckpointValue;
  }
}

/** The evaluation cache a stored checkpoint holds (its rows joined back in), without rebuilding the agent's part. */
export function cacheOf(cp: StoredCheckpoint): unknown[] {
  const env = cp.env;
  if (!isTree(env)) return [];
  if (typeof env.cacheRows !== 'number') return Array.isArray(env.cache) ? (env.cache as unknown[]) : [];
  const n = env.cacheRows;
  const stored = cp.rows[CACHE] ?? [];
  if (stored.length < n || (n > 0 && stored[n - 1].index !== n - 1)) throw new Error(`the checkpoint's evaluation cache has ${stored.length} of its ${n} rows`);
  return stored.slice(0, n).map((r) => r.value);
}
