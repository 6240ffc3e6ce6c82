/**
 * The choice of `--goal smallest` (docs/smallest.md): the smallest strategy whose accuracy stays within `--max-drop`
 * points of the baseline, judged on the held-out split (the re-rank's: images no episode trained on or was scored on),
 * then confirmed once on test by the final stage. A failed confirmation is reported, never re-chosen.
 *
 * 1. Screen: the run's distinct strategies whose episode accuracy (short one-stage fine-tune, reward images) is within
 *    the episodes' own target (--max-drop plus EPISODE_RECOVERY_POINTS, what the final recovers beyond an episode on
 *    heavy settings, measured by bench/episode-vs-final.ts), ordered by size, smallest first. None: every strategy.
 * 2. Bisect over that order: re-score the middle one with the final stage's own staged fine-tune (prune and retrain,
 *    then cluster; --final-steps, the final's seed) on the held-out images; within the drop, look among the smaller
 *    half, else among the larger. ceil(log2(n + 1)) re-scores find the boundary where accuracy falls monotonically
 *    with size, and a drop no candidate meets climbs to the largest ones.
 * 3. Pick: the smallest re-scored strategy within the drop; when none is, the closest (highest held-out accuracy,
 *    the smaller on a tie), marked as missing the drop.
 */
import { OriginalWeights } from '../../env/compress-model.js';
import type { DataSplit } from '../../env/data/dataset.js';
import { evaluateAccuracy } from '../../env/evaluate.js';
import { learnerSpec } from '../../env/knobs.js';
import { compressibleLayers } from '../../env/layers.js';
import type { LayerSpec } from '../../learners/types.js';
import type { RunConfig } from '../config.js';
import { episodeDropOf, withinDrop } from '../goal.js';
import { type BuiltEnvironment, GRADUAL_PRUNING } from '../environment.js';
import { rerankSplit, type StoredEpisode } from './rerank.js';
import { settingsOf, toSpecs } from './specs.js';
import { compressInStages } from './stages.js';
import { bisectionRescores } from '../time-plan.js';

/**
 * Steps of the staged re-score: --rerank-steps when given, else the final's own --final-steps, so the held-out
 * judgment is the very model the final stage writes (a 180-step staged re-score fell 3-4 points short of the 600-step
 * final on heavy mlp settings, bench/results/episode-vs-final-mlp.md).
 */
export function rescoreStepsOf(config: RunConfig): number {
  return config.rerankSteps ?? config.finalSteps;
}

/** A strategy of the run with its size (model.ashk bytes at fixed width, as the size wall counts them). */
export interface SizedStrategy {
  episode: number;
  bytes: number;
  /** Accuracy the search measured (short fine-tune, reward images). */
  accuracy: number;
}

/** One re-scored strategy: the staged fine-tune's accuracy on the held-out images. */
export interface SmallestRow extends SizedStrategy {
  heldOutAccuracy: number;
  withinDrop: boolean;
  chosen: boolean;
}

export interface SmallestChoice {
  /** The drop asked for, in points. */
  maxDrop: number;
  /** Whether a re-scored strategy stayed within the drop on the held-out images. */
  met: boolean;
  heldOut: { split: 'holdout' | 'validation'; images: number; baseline: number };
  /** Strategies screened (step 1) and the re-scored ones, in the order they were re-scored. */
  screened: number;
  rows: SmallestRow[];
}

export { withinDrop } from '../goal.js';

/**
 * Step 1: the distinct strategies whose episode accuracy is within `drop` points of the episodes' baseline (the
 * episodes' own target, episodeDropOf), smallest first (ties: the more accurate, then the earlier); every distinct
 * strategy when none is.
 */
export function screenBySize(strategies: SizedStrategy[], baseline: number, drop: number): SizedStrategy[] {
  const ordered = strategies.slice().sort((a, b) => a.bytes - b.bytes || b.accuracy - a.accuracy || a.episode - b.episode);
  const passing = ordered.filter((s) => withinDrop(s.accuracy, baseline, drop));
  return passing.length ? passing : ordered;
}

/**
 * Steps 2 and 3 over strategies ordered smallest first, `score` giving a strategy's held-out accuracy. Pure apart
 * from `score`, so the choice is tested on hand-made accuracies.
 */
export async function bisectSmallest(
  ordered: SizedStrategy[],
  score: (s: SizedStrategy) => Promise<number>,
  baseline: number,
  maxDrop: number,
): Promise<{ rows: SmallestRow[]; met: boolean }> {
  const rows: SmallestRow[] = [];
  let lo = 0;
  let hi = ordered.length - 1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const heldOutAccuracy = await score(ordered[mid]);
    const within = withinDrop(heldOutAccuracy, baseline, maxDrop);
    rows.push({ ...ordered[mid], heldOutAccuracy, withinDrop: within, chosen: false });
    if (within) hi = mid - 1;
    else lo = mid + 1;
  }
  const within = rows.filter((r) => r.withinDrop);
  const pick = within.length
    ? within.reduce((a, b) => (b.bytes < a.bytes ? b : a))
    : rows.reduce((a, b) => (b.heldOutAccuracy > a.heldOutAccuracy || (b.heldOutAccuracy === a.heldOutAccuracy && b.bytes < a.bytes) ? b : a), rows[0]);
  if (pick) pick.chosen = true;
  return { rows, met: within.length > 0 };
}

/** The distinct strategies of a run with their sizes (the first episode of each). */
export function sizedStrategies(built: BuiltEnvironment, config: RunConfig, episodes: StoredEpisode[]): SizedStrategy[] {
  const settings = settingsOf(config);
  const seen = new Set<string>();
  const out: SizedStrategy[] = [];
  for (const e of episodes.slice().sort((a, b) => a.episode - b.episode)) {
    const key = JSON.stringify(e.strategy.map((l) => [l.bits, l.pruneRatio, l.clusters]));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ episode: e.episode, bytes: built.env.cost(toSpecs(e.strategy, settings)), accuracy: e.accuracy });
  }
  return out;
}

/**
 * The accuracies of `specs` on each of `splits` after the final's staged fine-tune of `steps` steps from the original
 * weights (the same batches for every strategy); the model holds the original weights again afterwards.
 */
export async function stagedAccuracies(built: BuiltEnvironment, config: RunConfig, specs: LayerSpec[], steps: number, splits: DataSplit[], originals: OriginalWeights, onStep?: (step: number) => void): Promise<number[]> {
  const { env, model, data } = built;
  try {
    // the final stage's own fine-tune (final.ts finalInput): at --final-steps the re-scored model is the final's
    await compressInStages(model, originals, env.layers.map((layer, i) => ({ layer, spec: learnerSpec(specs[i]) })), data, {
      steps,
      batchSize: config.finetuneBatch,
      learningRate: config.finetuneLr,
      seed: `final:${config.seed}`,
      gradualPruning: config.gradualPruning ? GRADUAL_PRUNING : undefined,
      bnBatches: config.bnBatches,
      ...(onStep ? { onStep } : {}),
    });
    const out: number[] = [];
    for (const split of splits) out.push(await evaluateAccuracy(model, split, data.inputShape));
    return out;
  } finally {
    originals.restore(model);
  }
}

/** A progress bar over steps (the CLI's): the re-scores' fine-tune steps, counted across them. */
export interface RescoreProgress {
  update(step: number): void;
  finish(): void;
}

/**
 * Steps 1 to 3 on a finished run: its pick, and what led to it. `progress`, given the most steps the re-scores can
 * take (bisectionRescores of the screened strategies, each rescoreStepsOf), returns the bar they advance.
 */
export async function chooseSmallest(built: BuiltEnvironment, config: RunConfig, episodes: StoredEpisode[], progress?: (steps: number) => RescoreProgress | undefined): Promise<SmallestChoice> {
  const { split, name } = rerankSplit(built.data);
  built.env.restoreOriginal();
  const baseline = await evaluateAccuracy(built.model, split, built.data.inputShape);
  const ordered = screenBySize(sizedStrategies(built, config, episodes), built.env.baselineAccuracy, episodeDropOf(config));
  const settings = settingsOf(config);
  const byEpisode = new Map(episodes.map((e) => [e.episode, e]));
  const originals = new OriginalWeights(built.model, compressibleLayers(built.model));
  try {
    const steps = rescoreStepsOf(config);
    const bar = progress?.(bisectionRescores(ordered.length) * steps);
    let done = 0;
    const score = async (s: SizedStrategy) => {
      const [accuracy] = await stagedAccuracies(built, config, toSpecs(byEpisode.get(s.episode)!.strategy, settings), steps, [split], originals, bar ? (step) => bar.update(done * steps + step) : undefined);
      done++;
      return accuracy;
    };
    const { rows, met } = await bisectSmallest(ordered, score, baseline, config.maxDrop);
    bar?.finish();
    return { maxDrop: config.maxDrop, met, heldOut: { split: name, images: split.count, baseline }, screened: ordered.length, rows };
  } finally {
    originals.dispose();
    built.env.restoreOriginal();
  }
}

/** The test's confirmation of the pick: within the drop of the baseline's test accuracy, or not (never re-chosen). */
export function confirmation(choice: SmallestChoice, test: { accuracy: number; baseline: number }): { confirmed: boolean; testDrop: number } {
  return { confirmed: withinDrop(test.accuracy, test.baseline, choice.maxDrop), testDrop: 100 * (test.baseline - test.accuracy) };
}
