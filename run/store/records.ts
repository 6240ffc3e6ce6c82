/**
 * The store's records as the rest of the code sees them: a run, its best episode, a stored episode and its
 * diagnostics. Plain types, no SQLite: `schema.ts` maps them to rows, `store.ts` reads and writes them.
 */
import type { BudgetKind, EpisodeFinishedEvent, LayerChoice, RunStatus } from '../events.js';

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
  /** The backend the run uses, by our name: 'node', 'wasm' or 'cpu' (env/backend-names.ts). */
  backend: string;
  /** Built-in model name or path to a model.json. */
  model: string;
  /** Dataset spec as given, e.g. 'mnist' or 'idx:/data/digits'. */
  dataset: string;
  budget: { kind: BudgetKind; limit: number };
  /** Every budget, when the run has two (the first is `budget`). */
  budgets?: Array<{ kind: BudgetKind; limit: number }>;
  /** The --agent: 'ddpg', 'random', 'uniform', 'greedy', 'knapsack', 'local' or 'plan' (run/config.ts). */
  agent: string;
  episodesPlanned: number;
  /** The full run config, stored as JSON; whoever reads it back validates it against the config schema. */
  config: unknown;
  versions: RunVersions;
  /** What the run measured of the uncompressed model before its first episode (the views' baseline). */
  baseline?: RunBaseline;
}

/**
 * The uncompressed model as a run measured it before its first episode, as `run-started` announced it: so a stored
 * run shows its episodes against the baseline (points kept, times smaller) without building the model again.
 */
export interface RunBaseline {
  /** Validation accuracy on the reward images, in [0, 1]. */
  accuracy: number;
  /** The uncompressed model's cost in the (first) budget's unit: fp32 bytes for a size budget. */
  full: number;
}

/** The best episode of a run so far, by reward. */
export interface BestRecord {
  episode: number;
  accuracy: number;
  cost: number;
  /** Its cost against every budget, when the run has two (the first is `cost`); absent in runs stored before. */
  costs?: number[];
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
  /** The backend it ran on, by our name ('node', 'wasm', 'cpu'), as the CLI stores it; a library caller may have
   * stored tfjs's name of the node backend, 'tensorflow', which a resume reads as 'node'. */
  backend: string;
  model: string;
  dataset: string;
  budget: { kind: BudgetKind; limit: number };
  /** Every budget of the run: `[budget]`, or both of a run with two. */
  budgets: Array<{ kind: BudgetKind; limit: number }>;
  agent: string;
  episodesPlanned: number;
  /** How many episodes are stored. */
  episodesDone: number;
  config: unknown;
  versions: RunVersions;
  best: BestRecord | null;
  /** The baseline the run measured; null for runs stored before schema v7. */
  baseline: RunBaseline | null;
  /** What `setFinal` stored (the final fine-tune's report), or null. */
  final: unknown;
}

/** How an episode's learning went, for diagnosing a run; null where the agent or the env did not report it. */
export interface EpisodeDiagnostics {
  /** Mean critic and actor losses over the episode's updates (agent/agent.ts EpisodeReport). */
  criticLoss: number | null;
  actorLoss: number | null;
  /** Mean critic value Q(s, a) over the updates' sampled batches. */
  meanQ: number | null;
  /** Exploration noise std for the next episode. */
  sigma: number | null;
  /** How many layers' actions the budget wall clamped. */
  clamped: number | null;
}

export const DIAGNOSTICS = ['criticLoss', 'actorLoss', 'meanQ', 'sigma', 'clamped'] as const satisfies ReadonlyArray<keyof EpisodeDiagnostics>;

/**
 * One finished episode as `recordEpisode` takes it: an `episode-finished` event without its type tag, and whichever
 * diagnostics there are.
 */
export type EpisodeInput = Omit<EpisodeFinishedEvent, 'type'> & Partial<EpisodeDiagnostics>;

/** A stored episode: every diagnostic is there, null when it was not recorded. */
export interface EpisodeRecord extends Omit<EpisodeInput, keyof EpisodeDiagnostics>, EpisodeDiagnostics {
  runId: string;
  createdAt: string;
}
