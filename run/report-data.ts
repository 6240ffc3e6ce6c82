/**
 * Stored runs as the report's plain data (report/types.ts): the episodes, the chosen strategy with its layers' sizes,
 * the final results with the real files' sizes, the config and the provenance. Read-only: the store is opened
 * read-only, and a run without a final stage gets its strategy from `exportStrategy`, which builds the model to name
 * its layers (no fine-tune).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, RunNotFoundError } from '../errors.js';
import type { CostKind, ReportFinal, ReportRun, ReportSmallest } from '../report/types.js';
import { exportStrategy, type SmallestReport } from './final/final.js';
import { episodeDropOf, sizeCap, smallestWithin, withinDrop } from './goal.js';
import type { LatencyCheck } from './final/latency-check.js';
import type { SizeReport } from './final/model-files.js';
import type { ReferenceRow } from './final/references.js';
import { storePath } from './search.js';
import { openStore, type RunRecord, type Store } from './store/store.js';
import type { Strategy } from './final/strategy.js';

/** What `finishRun` stores with `setFinal` (run/final/final.ts), as far as the report reads it. */
interface StoredFinal {
  out?: string;
  validationAccuracy: number;
  testAccuracy: number;
  baselineTestAccuracy: number;
  sizes: SizeReport;
  /** The quantized tfjs export, in final reports written since it exists (older ones wrote an fp32 tfjs copy). */
  tfjs?: { bytes: number; testAccuracy: number };
  steps: number;
  seconds: number;
  strategy?: Strategy;
  smallest?: SmallestReport;
  latency?: LatencyCheck;
  references?: ReferenceRow[];
}

/** Bytes of the files in a directory (the tfjs model: model.json and its shards), or null when it is gone. */
function directoryBytes(dir: string): number | null {
  if (!existsSync(dir)) return null;
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

function finalOf(stored: StoredFinal): ReportFinal {
  return {
    validationAccuracy: stored.validationAccuracy,
    testAccuracy: stored.testAccuracy,
    baselineTestAccuracy: stored.baselineTestAccuracy,
    tfjsTestAccuracy: stored.tfjs?.testAccuracy ?? null,
    sizes: {
      packed: stored.sizes.packedBytes,
      packedGzip: stored.sizes.gzipBytes,
      tfjs: stored.tfjs?.bytes ?? (stored.out ? directoryBytes(join(stored.out, 'tfjs')) : null),
      fp32: stored.sizes.fp32Bytes,
    },
    steps: stored.steps,
    seconds: stored.seconds,
    ...(stored.latency ? { latency: pick(stored.latency, ['measuredMs', 'fp32Ms', 'predictedMs', 'batch', 'backend', 'overBudget']) } : {}),
    ...(stored.references?.length
      ? { references: stored.references.map((r) => ({ agent: r.agent, testAccuracy: r.testAccuracy, packedBytes: r.packedBytes, ...(r.latency ? { latency: pick(r.latency, ['measuredMs', 'fp32Ms']) } : {}) })) }
      : {}),
  };
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

/**
 * A --goal smallest run's part of the report, from what the run stored: its config's drops, its episodes against the
 * baseline it stored at its start, and the final stage's choice. Null for a run of the budget goal.
 */
function smallestOf(run: RunRecord, episodes: ReadonlyArray<{ episode: number; accuracy: number; cost: number }>, stored: StoredFinal | null): ReportSmallest | null {
  const c = (run.config ?? {}) as { goal?: string; maxDrop: number; episodeDrop?: number; budget: string };
  if (c.goal !== 'smallest') return null;
  const episodeDrop = episodeDropOf({ goal: 'smallest', maxDrop: c.maxDrop, episodeDrop: c.episodeDrop });
  const baseline = run.baseline;
  const s = stored?.smallest;
  return {
    maxDrop: c.maxDrop,
    episodeDrop,
    wall: c.budget,
    capped: sizeCap(c.budget) !== null,
    baseline,
    found: baseline ? smallestWithin(episodes, baseline.accuracy, episodeDrop) : null,
    within: baseline ? episodes.filter((e) => withinDrop(e.accuracy, baseline.accuracy, episodeDrop)).length : 0,
    choice: s
      ? {
          heldOut: s.heldOut,
          screened: s.screened,
          rows: s.rows.map(({ episode, bytes, heldOutAccuracy, withinDrop: within, chosen }) => ({ episode, bytes, heldOutAccuracy, withinDrop: within, chosen })),
          met: s.met,
          confirmed: s.confirmed,
          testDrop: s.testDrop,
        }
      : null,
  };
}

/** `beforeModel` runs once before a model is built (the caller selects the tfjs backend there). */
interface ReadOptions {
  beforeModel?: () => Promise<void>;
}

async function readRun(store: Store, run: RunRecord, workdir: string, { beforeModel }: ReadOptions): Promise<Omit<ReportRun, 'label'>> {
  if (!run.best) throw new ConfigError(`run ${run.id} has no finished episode yet; nothing to report (resume it: autoshrink resume ${run.id})`);
  const episodes = store.episodes(run.id);
  const stored = (run.final as StoredFinal | null)?.testAccuracy === undefined ? null : (run.final as StoredFinal);
  let strategy = stored?.strategy;
  if (!strategy) {
    await beforeModel?.();
    strategy = await exportStrategy(run.id, { workdir });
  }
  const chosenEpisode = stored?.strategy ? strategy.provenance.episode : run.best.episode;
  const chosen = episodes.find((e) => e.episode === chosenEpisode) ?? run.best;
  const shapes = new Map(strategy.model.layers.map((l) => [l.name, l]));
  const config = (run.config ?? {}) as Record<string, unknown>;
  const smallest = smallestOf(run, episodes, stored);
  return {
    id: run.id,
    agent: run.agent,
    seed: run.seed,
    model: run.model,
    dataset: run.dataset,
    status: run.status,
    budget: { kind: run.budget.kind as CostKind, limit: run.budget.limit, label: strategy.budget.label },
    baselineAccuracy: strategy.accuracy.baselineValidation,
    episodes: episodes.map(({ episode, phase, accuracy, cost, reward }) => ({ episode, phase, accuracy, cost, reward })),
    chosen: { episode: chosen.episode, accuracy: chosen.accuracy, cost: chosen.cost, by: stored?.strategy ? 'final stage' : 'best reward' },
    layers: strategy.layers.map((l) => {
      const layer = shapes.get(l.name);
      return { name: l.name, kind: layer?.kind ?? '?', params: layer ? layer.shape.reduce((a, b) => a * b, 1) : 0, bits: l.bits, pruneRatio: l.pruneRatio, clusters: l.clusters };
    }),
    knobs: Array.isArray(config.knobs) ? (config.knobs as string[]) : ['bits', 'prune'],
    final: stored ? finalOf(stored) : null,
    ...(smallest ? { smallest } : {}),
    config,
    provenance: {
      run: run.id,
      created: run.createdAt,
      updated: run.updatedAt,
      status: run.status,
      backend: run.backend,
      autoshrink: run.versions.autoshrink,
      tfjs: run.versions.tfjs,
      node: run.versions.node,
      'model hash': strategy.model.hash,
      ...(stored?.out ? { files: stored.out } : {}),
    },
  };
}

/**
 * The runs named by id or unique prefix, in the order given, each labelled by agent and seed (and its id when two
 * would read the same). Throws RunNotFoundError for an unknown or ambiguous id or a workdir without runs.
 */
export async function readReportRuns(workdir: string, ids: readonly string[], options: ReadOptions = {}): Promise<ReportRun[]> {
  const path = storePath(workdir);
  if (!existsSync(path)) throw new RunNotFoundError(`no runs yet in ${workdir} (no runs.db); start one with autoshrink search`);
  const store = openStore(path, { readonly: true });
  try {
    const records = ids.map((id) => store.findRun(id));
    const twice = records.find((r, i) => records.findIndex((o) => o.id === r.id) !== i);
    if (twice) throw new ConfigError(`run ${twice.id} is named twice; name each run once`);
    const runs: Array<Omit<ReportRun, 'label'>> = [];
    let ready: Promise<void> | undefined;
    const beforeModel = () => (ready ??= options.beforeModel?.() ?? Promise.resolve());
    for (const record of records) runs.push(await readRun(store, record, workdir, { beforeModel }));
    const base = (r: Omit<ReportRun, 'label'>) => `${r.agent}, seed ${r.seed}`;
    return runs.map((r) => ({ ...r, label: runs.filter((o) => base(o) === base(r)).length > 1 ? `${base(r)} (${r.id})` : base(r) }));
  } finally {
    store.close();
  }
}
