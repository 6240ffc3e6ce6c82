/**
 * The measuring half of `--time` (run/time-plan.ts plans): two probe evaluations of one strategy on the run's own
 * environment, before the planner exists, and the run config with the planned episode count (and, where --warmup was
 * left at its default, the warm-up that follows from it) written in. The clock is injected so tests can check the
 * arithmetic without a wall clock.
 */
import { DEFAULT_DDPG_CONFIG as DDPG } from '../agent/ddpg.js';
import type { CompressionEnv } from '../env/compression-env.js';
import type { LayerSpec } from '../learners/types.js';
import { parseRunConfig, rerankStepsOf, type RunConfig } from './config.js';
import type { BuiltEnvironment } from './environment.js';
import { rerankSplit } from './final/rerank.js';
import { referenceAgents } from './final/references.js';
import { rescoreStepsOf } from './final/smallest.js';
import { bisectionRescores, type Images, parseDuration, planEpisodes, type ProbeCosts, probeCosts, rescoreSeconds, tailSeconds, type TimePlan, warmupFor } from './time-plan.js';

/** Planners whose episode count follows --episodes (the one-shot planners take the time they take). */
const SEARCHED = new Set(['ddpg', 'random', 'local']);

/** A milliseconds clock (performance.now by default). */
export type Clock = () => number;

/** The middle of the search space, walked through the env's walls: a strategy as costly to evaluate as most. */
function probeStrategy(env: CompressionEnv): LayerSpec[] {
  let state: number[] | null = env.reset(0);
  while (state) state = env.step(new Array(env.actionSize).fill(0.5)).next;
  return env.finishStrategy();
}

export function imagesOf(built: BuiltEnvironment): Images {
  return { validation: built.data.validation.count, rerank: rerankSplit(built.data).split.count, test: built.data.test.count };
}

/**
 * Seconds after the search, for `config`, at `costs`: the re-rank, the final stage and its references; under --goal
 * smallest no re-rank but its held-out baseline score, and `rescore`, the seconds of one held-out re-score (the
 * plan counts bisectionRescores of them: how many depends on the episodes planned).
 */
export function tailOf(config: RunConfig, costs: ProbeCosts, images: Images): { tail: number; rescore?: number } {
  const references = referenceAgents(config).length;
  if (config.goal !== 'smallest') return { tail: tailSeconds({ rerankTop: config.rerankTop, rerankSteps: rerankStepsOf(config), finalSteps: config.finalSteps }, costs, images, references) };
  const tail = tailSeconds({ rerankTop: 0, rerankSteps: 0, finalSteps: config.finalSteps }, costs, images, references) + images.rerank * costs.imageSeconds;
  return { tail, rescore: rescoreSeconds(rescoreStepsOf(config), costs, images) };
}

/**
 * The run's config with --time planned into it, and the plan; null when the run has no --time or its planner is
 * one-shot. `startedAt`: the clock when the run began (what was spent before the probe counts against the limit).
 */
export async function planTimedRun(config: RunConfig, built: BuiltEnvironment, clock: Clock, startedAt: number): Promise<{ config: RunConfig; plan: TimePlan; warmupClamped: boolean } | null> {
  if (!config.time || !SEARCHED.has(config.agent)) return null;
  const { env } = built;
  const strategy = probeStrategy(env);
  const t0 = clock();
  await env.measure(strategy);
  const t1 = clock();
  await env.measure(strategy, { steps: 0 });
  const t2 = clock();
  env.restoreOriginal();
  const costs = probeCosts((t1 - t0) / 1000, (t2 - t1) / 1000, config.finetuneSteps, env.valSplit.validation.count);
  // --workers N evaluates N episodes at once (a queue's worker count is not known here: counted as one)
  const parallel = config.queue ? 1 : Math.max(1, config.workers);
  const plan = planEpisodes({ limit: parseDuration(config.time)!, spent: (clock() - startedAt) / 1000, ...tailOf(config, costs, imagesOf(built)), episodeSeconds: costs.episodeSeconds / parallel, text: config.time });
  const derived = config.warmup === warmupFor(config.episodes, DDPG.warmupEpisodes);
  const warmup = derived ? warmupFor(plan.episodes, DDPG.warmupEpisodes) : Math.min(config.warmup, plan.episodes - 1);
  return { config: parseRunConfig({ ...config, episodes: plan.episodes, warmup }), plan, warmupClamped: !derived && warmup !== config.warmup };
}

/**
 * A resumed time-limited run's tail estimate for the ETA, from what its stored episodes measured (no probe: the plan
 * is already stored): mean fine-tune seconds per step, mean scoring seconds per reward image.
 */
export function tailFromEpisodes(config: RunConfig, built: BuiltEnvironment, episodes: Array<{ cached: boolean; seconds: number; timings: { finetune: number; evaluate: number } }>): number {
  const measured = episodes.filter((e) => !e.cached);
  if (measured.length === 0) return 0;
  const mean = (f: (e: (typeof measured)[number]) => number) => measured.reduce((s, e) => s + f(e), 0) / measured.length;
  const costs: ProbeCosts = {
    episodeSeconds: mean((e) => e.seconds),
    stepSeconds: config.finetuneSteps > 0 ? mean((e) => e.timings.finetune) / config.finetuneSteps : 0,
    imageSeconds: mean((e) => e.timings.evaluate) / Math.max(1, built.env.valSplit.validation.count),
  };
  const { tail, rescore } = tailOf(config, costs, imagesOf(built));
  return tail + (rescore ? bisectionRescores(config.episodes) * rescore : 0);
}
