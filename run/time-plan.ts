/**
 * `--time 10m`: a wall-clock limit for the whole run (search, re-rank, final stage and its references), turned into an
 * episode count once, before the first episode, as NNI's `maxExperimentDuration` bounds an experiment. Two probe
 * evaluations of one strategy (with and without the episode's fine-tune) measure what an episode, a fine-tune step
 * and a scored image cost on this machine; the re-rank and the final stage are estimated from those, and the episodes
 * get the rest. The planned count (and the warm-up that follows from it) is written into the run's stored config, so
 * a resume or a replay of the same run makes the same choices; the limit itself is not enforced by stopping (a run
 * slower than its probe finishes late, it does not cut its schedule short).
 */
import { ConfigError } from '../errors.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `90s`, `10m`, `1h`, `1.5h` in seconds; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smh])\s*$/.exec(text);
  if (!m) return null;
  const seconds = Number(m[1]) * UNITS[m[2]];
  return seconds > 0 ? seconds : null;
}

/** What one probe measured, in seconds. */
export interface ProbeCosts {
  /** One episode: compress, `finetuneSteps` steps, score on the reward images. */
  episodeSeconds: number;
  /** One fine-tune step. */
  stepSeconds: number;
  /** Scoring one image. */
  imageSeconds: number;
}

/** The probe's two timings: with the episode's fine-tune and without it, on `rewardImages` images. */
export function probeCosts(withFinetune: number, withoutFinetune: number, finetuneSteps: number, rewardImages: number): ProbeCosts {
  return {
    episodeSeconds: withFinetune,
    stepSeconds: finetuneSteps > 0 ? Math.max(0, withFinetune - withoutFinetune) / finetuneSteps : 0,
    imageSeconds: rewardImages > 0 ? withoutFinetune / rewardImages : 0,
  };
}

export interface Images {
  /** The images an episode is scored on (--eval-size of validation); a sensitivity is scored on them too. */
  reward?: number;
  validation: number;
  /** The re-rank's images (the holdout split, or validation without one). */
  rerank: number;
  test: number;
}

/**
 * What the summary's references (run/final/references.ts) add after the run's own final stage: `count` planners, each
 * scoring its `candidates` as episodes, re-ranking them as the run does and a final fine-tune; the knapsack's
 * reference measures its sensitivities first (`measurements` settings without fine-tune, on the reward images).
 */
export interface ReferenceWork {
  count: number;
  candidates: number;
  measurements: number;
}

export const NO_REFERENCES: ReferenceWork = { count: 0, candidates: 0, measurements: 0 };

/** One measurement without fine-tune (a sensitivity): scoring the reward images. */
export function measurementSeconds(costs: ProbeCosts, images: Images): number {
  return (images.reward ?? images.validation) * costs.imageSeconds;
}

/**
 * Seconds after the search: the re-rank (rerankTop fine-tunes of rerankSteps (resolved: rerankStepsOf), each scored
 * on its images) and the final stage (finalSteps, scored on validation and test three times each: before, after, and
 * while its tfjs export chooses and reports), then the references: each its candidates as episodes, the same re-rank
 * (with more than one candidate) and the same final, and the knapsack's sensitivities.
 */
export function tailSeconds(config: { rerankTop: number; rerankSteps: number; finalSteps: number }, costs: ProbeCosts, images: Images, references: ReferenceWork = NO_REFERENCES): number {
  const rerank = config.rerankTop > 0 ? config.rerankTop * (config.rerankSteps * costs.stepSeconds + images.rerank * costs.imageSeconds) : 0;
  const final = config.finalSteps > 0 ? config.finalSteps * costs.stepSeconds + 3 * (images.validation + images.test) * costs.imageSeconds : 0;
  const reference = references.candidates * costs.episodeSeconds + (references.candidates > 1 ? rerank : 0) + final;
  return rerank + final + references.count * reference + references.measurements * measurementSeconds(costs, images);
}

/**
 * The most held-out re-scores the choice of --goal smallest makes over n strategies (run/final/smallest.ts
 * bisectSmallest): ceil(log2(n + 1)), the depth of a bisection over n. The strategies it bisects are at most the run's
 * episodes, so a plan of n episodes leaves room for this many.
 */
export function bisectionRescores(strategies: number): number {
  let rescores = 0;
  while (2 ** rescores < strategies + 1) rescores++;
  return rescores;
}

/**
 * Seconds of one held-out re-score of --goal smallest: the final's staged fine-tune of `rescoreSteps` steps, scored on
 * the held-out images (the re-rank's).
 */
export function rescoreSeconds(rescoreSteps: number, costs: ProbeCosts, images: Images): number {
  return rescoreSteps * costs.stepSeconds + images.rerank * costs.imageSeconds;
}

/**
 * --goal smallest's seconds after the search: no re-rank of its own (tailSeconds' re-rank with no final and no
 * references is taken out; the references still re-rank theirs) but its held-out baseline score, the final stage and the
 * references; and `rescore`, one held-out re-score, of which the plan counts bisectionRescores.
 */
export function smallestTailSeconds(
  config: { rerankTop: number; rerankSteps: number; finalSteps: number; rescoreSteps: number },
  costs: ProbeCosts,
  images: Images,
  references: ReferenceWork = NO_REFERENCES,
): { tail: number; rescore: number } {
  const ownRerank = tailSeconds({ ...config, finalSteps: 0 }, costs, images);
  const tail = tailSeconds(config, costs, images, references) - ownRerank + images.rerank * costs.imageSeconds;
  return { tail, rescore: rescoreSeconds(config.rescoreSteps, costs, images) };
}

/** The fewest episodes a time-limited search plans: a DDPG run needs one past its warm-up. */
export const MIN_TIMED_EPISODES = 2;

export interface TimePlan {
  /** The --time limit, seconds. */
  limit: number;
  episodes: number;
  /** Seconds the episodes are planned to take. */
  searchSeconds: number;
  /** Estimated seconds of the re-rank and the final stage (with references), and of --goal smallest's re-scores. */
  tailSeconds: number;
  /** Estimated seconds before the first episode: the sensitivities the run measures for its fill pass, warm start or
   * local search. */
  setupSeconds: number;
  /** --goal smallest: the held-out re-scores planned for (bisectionRescores of the planned episodes). */
  rescores?: number;
}

/**
 * Episodes that fit: the most n with n x episodeSeconds + bisectionRescores(n) x rescore <= limit - spent - setup -
 * tail (`rescore`: seconds of one held-out re-score under --goal smallest, absent otherwise: then
 * floor((limit - spent - setup - tail) / episodeSeconds)), at least MIN_TIMED_EPISODES; a limit that leaves less is
 * refused with the smallest limit that would do.
 */
export function planEpisodes(o: { limit: number; spent: number; setup?: number; tail: number; episodeSeconds: number; text: string; rescore?: number }): TimePlan {
  const setup = o.setup ?? 0;
  const left = o.limit - o.spent - setup - o.tail;
  const rescore = o.rescore ?? 0;
  const needs = (n: number) => n * o.episodeSeconds + (rescore > 0 ? bisectionRescores(n) * rescore : 0);
  let episodes = o.episodeSeconds > 0 ? Math.floor(left / o.episodeSeconds) : Number.POSITIVE_INFINITY;
  if (Number.isFinite(episodes) && rescore > 0) {
    // the re-scores grow with n: the most n that fits, by bisection over [0, floor(left / episodeSeconds)]
    let lo = 0;
    let hi = Math.max(0, episodes);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (needs(mid) <= left) lo = mid;
      else hi = mid - 1;
    }
    episodes = needs(lo) <= left ? lo : -1;
  }
  if (episodes < MIN_TIMED_EPISODES) {
    const need = Math.ceil(o.spent + setup + o.tail + needs(MIN_TIMED_EPISODES));
    const after = rescore > 0 ? `the held-out re-scores and final stage about ${Math.round(o.tail + bisectionRescores(MIN_TIMED_EPISODES) * rescore)}s` : `the re-rank and final stage about ${Math.round(o.tail)}s`;
    throw new ConfigError(
      `--time ${o.text} is too short: an episode takes about ${o.episodeSeconds.toFixed(1)}s here${setup > 0 ? `, the sensitivities about ${Math.round(setup)}s` : ''} and ${after}; give at least --time ${formatLimit(need)}, or lower --final-steps${rescore > 0 ? ' / --rerank-steps' : ' / --rerank-top'}`,
    );
  }
  const planned = Number.isFinite(episodes) ? episodes : MIN_TIMED_EPISODES;
  const rescores = rescore > 0 ? bisectionRescores(planned) : 0;
  return { limit: o.limit, episodes: planned, searchSeconds: planned * o.episodeSeconds, tailSeconds: o.tail + rescores * rescore, setupSeconds: setup, ...(rescore > 0 ? { rescores } : {}) };
}

/** Seconds as the flag takes them, rounded up: 75 -> 2m, 45 -> 45s. */
export function formatLimit(seconds: number): string {
  return seconds <= 90 ? `${Math.ceil(seconds)}s` : seconds <= 5400 ? `${Math.ceil(seconds / 60)}m` : `${Math.ceil(seconds / 3600)}h`;
}

/** The warm-up a planned count brings when the run left --warmup at its default (a fifth, at most `cap`). */
export function warmupFor(episodes: number, cap: number): number {
  return Math.min(cap, Math.floor(episodes / 5));
}
