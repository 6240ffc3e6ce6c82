/**
 * The re-rank before the final stage: the run's top `rerankTop` distinct strategies by reward, each re-evaluated with
 * a longer fine-tune (`rerankSteps`), the best of them finished. A search's best reward is the maximum of noisy
 * measurements, so it is biased upwards (the winner's curse); PocketFlow returns its best noisy roll-out as is.
 *
 * The re-evaluation scores on the holdout split (Dataset.holdout): images that trained nothing and ranked nothing.
 * Re-scoring on the validation images that chose the top k keeps the selection bias the re-rank is there to remove.
 * Runs with `holdoutSize` 0 (and runs stored before the split existed) re-rank on every validation image, as before.
 */
import type { DataSplit, Dataset } from '../../env/data/dataset.js';
import { evaluateAccuracy } from '../../env/evaluate.js';
import { rerankStepsOf, type RunConfig } from '../config.js';
import type { BuiltEnvironment } from '../environment.js';
import { type Evaluator, inProcessEvaluator } from '../evaluators/evaluator.js';
import { settingsOf, toSpecs } from './specs.js';

export interface RerankRow {
  episode: number;
  /** Reward and validation accuracy the search measured (short fine-tune, reward images). */
  searchReward: number;
  searchAccuracy: number;
  /** Reward and accuracy after the longer fine-tune, on the re-rank's images (rerankSplit). */
  reward: number;
  accuracy: number;
  chosen: boolean;
}

export type StoredEpisode = {
  episode: number;
  accuracy: number;
  reward: number;
  strategy: Array<{ name: string; bits: number; pruneRatio: number; clusters: number; preserveRatio?: number }>;
};

/** The images the re-rank scores on: the holdout split, or every validation image when the run holds none out. */
export function rerankSplit(data: Dataset): { split: DataSplit; name: 'holdout' | 'validation' } {
  return data.holdout?.count ? { split: data.holdout, name: 'holdout' } : { split: data.validation, name: 'validation' };
}

/** The top `k` distinct strategies by reward (ties: the earlier episode), best first. */
export function topDistinct(episodes: StoredEpisode[], k: number): StoredEpisode[] {
  const seen = new Set<string>();
  return episodes
    .slice()
    .sort((a, b) => b.reward - a.reward || a.episode - b.episode)
    .filter((e) => {
      const key = JSON.stringify(e.strategy.map((l) => [l.bits, l.pruneRatio, l.clusters, l.preserveRatio ?? 1]));
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, k);
}

/**
 * Re-evaluate the top `config.rerankTop` distinct strategies by reward with a longer fine-tune on the re-rank's
 * images, and return them best first; the first is the pick. Every re-evaluation fine-tunes on the same batches, so
 * they go to `evaluator` as one batch (`--workers`, `--queue`: at the same time) and give what one process gives.
 */
export async function rerank(built: BuiltEnvironment, config: RunConfig, episodes: StoredEpisode[], evaluator: Evaluator = inProcessEvaluator(built.env)): Promise<RerankRow[]> {
  const { env } = built;
  const settings = settingsOf(config);
  const top = topDistinct(episodes, config.rerankTop);
  const { split, name } = rerankSplit(built.data);
  env.restoreOriginal();
  const baseline = await evaluateAccuracy(built.model, split, built.data.inputShape);
  const steps = rerankStepsOf(config);
  const specs = top.map((e) => toSpecs(e.strategy, settings));
  const results = await evaluator.measure(specs.map((strategy) => ({ strategy, steps, on: name })));
  env.restoreOriginal();
  const rows: RerankRow[] = top.map((e, i) => ({
    episode: e.episode,
    searchReward: e.reward,
    searchAccuracy: e.accuracy,
    reward: env.score(specs[i], results[i].accuracy, baseline, results[i].loss).reward,
    accuracy: results[i].accuracy,
    chosen: false,
  }));
  rows.sort((a, b) => b.reward - a.reward || a.episode - b.episode);
  if (rows.length) rows[0].chosen = true;
  return rows;
}
