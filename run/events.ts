/**
 * The typed events a search run emits. One stream drives everything that watches a run: the ink live view, the
 * plain-text progress lines, the NDJSON output (`--json`, one event per line) and the tests. The loop never knows
 * who listens.
 */
import type { AgentPhase } from '../agent/agent.js';
import type { LeftOutLayer } from '../env/layers.js';
import type { SpecView } from '../env/knobs.js';
import type { SizedEpisode } from './goal.js';

/** What a budget limits. `size`: packed model bytes; `flops`: multiply-accumulates; `bitops`: MACs x wbits x abits;
 * `latency`: the predicted milliseconds of one predict call (env/latency-table.ts). */
export type BudgetKind = 'size' | 'flops' | 'bitops' | 'latency';

export interface BudgetInfo {
  kind: BudgetKind;
  /** The limit in the budget's unit (bytes for size, MACs for flops, bit-operations for bitops). */
  limit: number;
  /** The uncompressed model's cost in the same unit. */
  full: number;
  /** A human label, e.g. "size <= 3 bits/weight (16.2 kB)". */
  label: string;
  /** Every budget of the run when it has two (the first is this one). */
  all?: Array<{ kind: BudgetKind; limit: number; full: number; label: string }>;
}

/** One layer's chosen setting as the UI, the store and the strategy file show it (env/knobs.ts's SpecView). */
export type LayerChoice = SpecView;

/** The agent's phase an episode was played in: warmup (random), learning (the actor with noise) or policy (the
 * actor without noise; agent/agent.ts AgentPhase). */
export type Phase = AgentPhase;

/** Where an episode's wall time went, in seconds. */
export interface EpisodeTimings {
  agent: number;
  compress: number;
  finetune: number;
  evaluate: number;
  other: number;
}

export interface RunStartedEvent {
  type: 'run-started';
  runId: string;
  model: string;
  dataset: string;
  budget: BudgetInfo;
  backend: string;
  seed: number;
  agent: string;
  episodes: number;
  warmup: number;
  layers: string[];
  /** Validation accuracy of the uncompressed model, in [0, 1]. */
  baselineAccuracy: number;
  /** Weight-bearing layers the search leaves at fp32 (types without a learner, excluded layers); never silent. */
  leftOut: LeftOutLayer[];
  /** Number of episodes already stored when the run was resumed (0 for a new run). */
  resumedAt: number;
  /** Episodes proposed and evaluated together (--rollout-batch, else the evaluator's slots); absent: 1. */
  batch?: number;
  /** The stored best of a resumed run (null for a new run or before any episode). */
  best?: BestImprovedEvent | null;
  /** --time: the run's wall-clock limit, its episodes planned to fit (`episodes`). */
  timeLimit?: TimeLimit;
  /** --goal smallest: what the run asks and what its stored episodes found (shown in place of the budget). */
  smallest?: SmallestGoal;
}

/** A --goal smallest run as the views show it, in place of a budget: drops in points of accuracy. */
export interface SmallestGoal {
  /** --max-drop: the drop the final model may lose, judged on the held-out images and confirmed on test. */
  maxDrop: number;
  /** The drop the episodes aim at (run/goal.ts episodeDropOf): a short episode loses far more than the final. */
  episodeDrop: number;
  /** The smallest stored episode within `episodeDrop` of the baseline (a resumed run's), or null. */
  found: SizedEpisode | null;
  /** The budget's label when --budget caps the size (run/goal.ts sizeCap); null under the goal's own wall
   * (size:8bits), which binds no setting. */
  cap: string | null;
}

/** A time-limited run's plan as the views need it, in seconds. */
export interface TimeLimit {
  /** The whole run's limit (--time). */
  seconds: number;
  /** Estimated re-rank and final stage (with references), after the last episode: the ETA counts it. */
  tailSeconds: number;
  /** What the probe measured an episode at (absent on resume: the plan was made before). */
  episodeSeconds?: number;
}

/** Episodes are numbered from 0 in events and the store (views show n + 1). */
export interface EpisodeStartedEvent {
  type: 'episode-started';
  episode: number;
  phase: Phase;
}

/**
 * An episode's strategy began its evaluation (compress, fine-tune, score) in this process, on a worker thread or on a
 * queue worker. With --workers or --queue several episodes are evaluated at once; a strategy answered from the cache
 * has no such event.
 */
export interface EpisodeEvaluatingEvent {
  type: 'episode-evaluating';
  episode: number;
}

export interface LayerChosenEvent {
  type: 'layer-chosen';
  episode: number;
  layer: number;
  choice: LayerChoice;
}

export interface EpisodeFinishedEvent {
  type: 'episode-finished';
  episode: number;
  phase: Phase;
  strategy: LayerChoice[];
  /** Validation accuracy in [0, 1] after the short fine-tune. */
  accuracy: number;
  /** Realised cost in the budget's unit; always <= budget.limit. */
  cost: number;
  /** Realised cost against every budget, when the run has two (the first is `cost`). */
  costs?: number[];
  /** The share of the budget used, cost / budget.limit (0.727 = 72.7%). Every search sets it; optional only because
   * stored episodes keep the cost and the run's limit instead. */
  budgetShare?: number;
  reward: number;
  /** True when an identical strategy was evaluated before and its result reused. */
  cached: boolean;
  seconds: number;
  timings: EpisodeTimings;
  /** How the agent's learning went after this episode (null where it did not train or is not an RL agent): the
   * critic's loss and mean Q over the episode's updates, the noise std for the next episode. */
  criticLoss?: number | null;
  actorLoss?: number | null;
  meanQ?: number | null;
  sigma?: number | null;
  /** Layers whose choice the budget wall changed. */
  clamped?: number | null;
}

/** Emitted right after the `episode-finished` of the episode that became the best. */
export interface BestImprovedEvent {
  type: 'best-improved';
  episode: number;
  accuracy: number;
  cost: number;
  /** Its cost against every budget, when the run has two (the first is `cost`). */
  costs?: number[];
  reward: number;
  strategy: LayerChoice[];
}

export interface RunPausedEvent {
  type: 'run-paused';
  paused: boolean;
}

export type RunStatus = 'running' | 'completed' | 'stopped' | 'failed';

export interface RunFinishedEvent {
  type: 'run-finished';
  runId: string;
  status: RunStatus;
  episodes: number;
  seconds: number;
  best: BestImprovedEvent | null;
}

export interface LogEvent {
  type: 'log';
  level: 'info' | 'warn';
  message: string;
}

export type RunEvent =
  | RunStartedEvent
  | EpisodeStartedEvent
  | EpisodeEvaluatingEvent
  | LayerChosenEvent
  | EpisodeFinishedEvent
  | BestImprovedEvent
  | RunPausedEvent
  | RunFinishedEvent
  | LogEvent;
