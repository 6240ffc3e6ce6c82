/**
 * What `--goal smallest` changes in a run config (docs/smallest.md): its defaults, its refusals, and the drop its
 * episodes aim at. Kept apart from config.ts, which applies them, so the rules of the goal read in one place.
 */

/** The run-config fields the goal reads. */
export interface GoalFields {
  goal: 'budget' | 'smallest';
  budget: string;
  reward: string;
  knobs: readonly string[];
  maxDrop: number;
  episodeDrop?: number;
}

/**
 * The defaults of `--goal smallest` (docs/smallest.md), each taken only where the flag is not given: Deep Compression's
 * knobs and ranges (its LeNets prune 92-94% and cluster to 16-32 centroids), ranked by the within-drop reward, under a
 * size wall no knob setting reaches (8 bits a weight is the top of --bits), no fill pass (it raises layers toward the
 * wall, the opposite of the goal), no references (uniform and the knapsack would fill that wall: no answer to the
 * question), no knapsack warm start for the same reason, and 60-step episodes, on which its recovery was measured.
 */
export const SMALLEST_DEFAULTS = {
  knobs: ['bits', 'prune', 'clusters'],
  pruneBounds: [0, 0.98],
  reward: 'within-drop',
  budget: 'size:8bits',
  fill: false,
  references: false,
  // the episode-to-final recovery below was measured on 60-step episodes (the budget goal's episodes do not fine-tune)
  finetuneSteps: 60,
  // the knapsack's answer under a wall no setting reaches is every layer at full width: the opposite of the goal
  warmStart: 'none',
} as const;

/**
 * Points of accuracy the final stage's long staged fine-tune recovers beyond a 60-step episode on a heavy setting
 * (prune 80-98%, 4-64 clusters, 2-4 bits), about the median on mlp (bench/results/episode-vs-final-mlp.md; lenet5's
 * is far larger, so --episode-drop sets it per model). Under --goal smallest the episodes aim at --max-drop plus this,
 * and the choice's screen keeps the strategies within it; the held-out re-score with the final's own fine-tune judges.
 */
export const EPISODE_RECOVERY_POINTS = 30;

/**
 * The drop, in points, the episodes' within-drop reward aims at: --max-drop under the budget goal; under --goal
 * smallest --episode-drop, else --max-drop plus EPISODE_RECOVERY_POINTS.
 */
export function episodeDropOf(config: Pick<GoalFields, 'goal' | 'maxDrop' | 'episodeDrop'>): number {
  if (config.goal !== 'smallest') return config.maxDrop;
  return config.episodeDrop ?? config.maxDrop + EPISODE_RECOVERY_POINTS;
}

/** Why a `--goal smallest` config cannot run, as a line naming the flags, or null. */
export function smallestGoalProblem(c: GoalFields): string | null {
  if (c.goal !== 'smallest') return c.episodeDrop === undefined ? null : `--episode-drop ${c.episodeDrop} applies to --goal smallest only (add --goal smallest, or drop --episode-drop)`;
  if (!c.budget.trim().toLowerCase().startsWith('size:')) return `--goal smallest takes a size budget as its wall, not --budget ${c.budget} (give size:8bits, the default, or a size cap such as size:40kB)`;
  if (c.reward !== 'within-drop') return `--goal smallest ranks episodes by the within-drop reward, not --reward ${c.reward} (drop --reward)`;
  const knob = c.knobs.find((k) => k === 'channels' || k === 'abits');
  if (knob) return `--goal smallest searches bits, prune and clusters, not --knobs ${knob} (drop ${knob} from --knobs)`;
  return null;
}

/**
 * The size cap a --goal smallest run was given (its --budget when it is not the goal's own size:8bits, which binds no
 * setting), or null: the views show a cap beside the goal and say that the default wall binds nothing.
 */
export function sizeCap(budget: string): string | null {
  return budget.trim().toLowerCase() === SMALLEST_DEFAULTS.budget ? null : budget;
}

/** Whether `accuracy` is within `maxDrop` points of `baseline` (a rounding hair counts as within). */
export function withinDrop(accuracy: number, baseline: number, maxDrop: number): boolean {
  return accuracy >= baseline - maxDrop / 100 - 1e-9;
}

/** An episode as the smallest-so-far reads it: its size (the size wall's bytes) and its accuracy. */
export interface SizedEpisode {
  episode: number;
  /** Validation accuracy after the episode's fine-tune, on the reward images. */
  accuracy: number;
  /** model.ashk bytes at fixed width, as the size wall counts them (the final's entropy-coded file is smaller). */
  cost: number;
}

/** The order the choice screens in (run/final/smallest.ts screenBySize): smaller first, then more accurate, then earlier. */
export function smallerFirst(a: SizedEpisode, b: SizedEpisode): number {
  return a.cost - b.cost || b.accuracy - a.accuracy || a.episode - b.episode;
}

/**
 * What a --goal smallest run has found so far: the smallest episode within `drop` points (the episodes' target,
 * episodeDropOf) of `baseline`, or null when none is. The first of the choice's screen, so the views show the
 * strategy the choice starts from.
 */
export function smallestWithin(episodes: Iterable<SizedEpisode>, baseline: number, drop: number): SizedEpisode | null {
  let found: SizedEpisode | null = null;
  for (const e of episodes) {
    if (!withinDrop(e.accuracy, baseline, drop)) continue;
    if (found === null || smallerFirst(e, found) < 0) found = { episode: e.episode, accuracy: e.accuracy, cost: e.cost };
  }
  return found;
}
