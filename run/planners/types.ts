/**
 * The one interface the search loop calls, whoever chooses the strategies (run/planners.ts builds them).
 *
 * Batched rollouts: `propose` gets B episode numbers and returns B strategies made from the policy as it stands at
 * the batch start; the loop evaluates them concurrently, then calls `learn` once per episode in proposal order. The
 * same seed and the same B give the same strategies whatever evaluates them. A planner may return fewer proposals than
 * asked (a warm start's seed is a batch of its own), never none; the loop goes on from the episode after the last
 * one. Proposals are plain JSON (strategy, phase, transitions), so a checkpoint can carry the unfinished rest of a
 * batch across a kill.
 */
import type { EpisodeReport, Transition } from '../../agent/agent.js';
import type { CompressionEnv, Evaluation } from '../../env/compression-env.js';
import type { LayerSpec } from '../../learners/types.js';
import type { RunConfig } from '../config.js';
import type { Phase, RunEvent } from '../events.js';
import type { StoredReport } from './network-journal.js';

/** One proposed episode: what to evaluate, and what the agent must learn from once its reward is known. */
export interface Proposal {
  episode: number;
  strategy: LayerSpec[];
  phase: Phase;
  agentSeconds: number;
  /** Layers whose choice the budget wall changed (pinned layers not counted). */
  clamped: number;
  transitions: Transition[];
  /** Learnt before the next batch is proposed, even with --learn-ahead (a warm start's seed: the actor imitates it). */
  alone?: boolean;
}

export interface Planner {
  readonly planned: number;
  /** Strategies for `episodes` (consecutive), from the policy as it stands; emits episode-started and layer-chosen. */
  propose(episodes: number[]): Promise<Proposal[]>;
  /** Learn from one finished episode (in proposal order); returns the agent's report and the checkpoint to store. */
  learn(proposal: Proposal, reward: number): Promise<{ report: EpisodeReport | null; checkpoint: unknown }>;
  /** Continue from a stored checkpoint (DDPG may learn the episodes since its last stored networks again, and check
   * their learning against `stored`, the run's stored episodes). */
  restore(checkpoint: unknown, stored: readonly StoredReport[]): void | Promise<void>;
  dispose(): void;
}

/** What a planner may use: the env (coordinator side), the run's config, events, and the evaluation seam. */
export interface PlannerContext {
  env: CompressionEnv;
  config: RunConfig;
  emit: (event: RunEvent) => void;
  /** Evaluate strategies (cached, concurrently where the evaluator can), results in the order given. */
  evaluate: (strategies: LayerSpec[][], opts?: { steps?: number }) => Promise<Evaluation[]>;
  /** Evaluations that run at the same time (the evaluator's slots; absent: 1). A planner that measures one thing at a
   * time may fill the others with what it will likely need next. */
  slots?: number;
  signal?: AbortSignal;
  /** DDPG: episodes between two stored copies of its networks (run/planners/network-journal.ts; default 25). */
  networkCheckpointEvery?: number;
}

export class Aborted extends Error {}

/** Candidates each planner hands to the re-rank: --rerank-top, at least one. */
export function candidatesOf(config: RunConfig): number {
  return Math.max(1, config.rerankTop);
}
