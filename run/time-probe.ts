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
import { measurementsAtMost } from './planners/sensitivities.js';
import { bisectionRescores, type Images, measurementSeconds, parseDuration, planEpisodes, type ProbeCosts, probeCosts, smallestTailSeconds, tailSeconds, type TimePlan, warmupFor } from './time-plan.js';

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
  return { reward: built.env.valSplit.validation.count, validation: built.data.validation.count, rerank: rerankSplit(built.data).split.count, test: built.data.test.count };
}

/**
 * Seconds after the search, for `config`, at `costs`: the re-rank, the final stage and the references; under --goal
 * smallest no re-rank of its own but its held-out baseline score, and `rescore`, the seconds of one held-out re-score
 * (the plan counts bisectionRescores of them: how many depends on the episodes planned).
 */
export function tailOf(config: RunConfig, costs: ProbeCosts, images: Images, env: CompressionEnv): { tail: number; rescore?: number } {
  const agents = referenceAgents(config);
  // the knapsack reference reads the sensitivities from the run's store when the search measured them
  const measured = agents.includes('knapsack') && !measuresSensitivities(config, env);
  const references = { count: agents.length, candidates: Math.max(1, config.rerankTop), measurements: measured ? measurementsAtMost(env) : 0 };
  const steps = { rerankTop: config.rerankTop, rerankSteps: rerankStepsOf(config), finalSteps: config.finalSteps };
  if (config.goal === 'smallest') return smallestTailSeconds({ ...steps, rescoreSteps: rescoreStepsOf(config) }, costs, images, references);
  return { tail: tailSeconds(steps, costs, images, references) };
}

/** Whether the search measures the sensitivities before its first episode: for the fill pass, the knapsack's warm
 * start, or the local search's start (run/planners/sensitivities.ts). */
export function measuresSensitivities(config: RunConfig, env: CompressionEnv): boolean {
  return env.channels === null && (config.fill || config.warmStart === 'knapsack' || config.agent === 'local');
}

/** Seconds before the first episode, for `config`, at `costs`: the sensitivities, when the search measures them. */
export function setupOf(config: RunConfig, costs: ProbeCosts, images: Images, env: CompressionEnv): number {
  return measuresSensitivities(config, env) ? measurementsAtMost(env) * measurementSeconds(costs, images) : 0;
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
  // fresh: the second would otherwise start from what the first kept (env/prefix-cache.ts), as few episodes do
  await env.measure(strategy, { fresh: true });
  const t1 = clock();
  await env.measure(strategy, { steps: 0, fresh: true });
  const t2 = clock();
  env.restoreOriginal();
  const costs = probeCosts((t1 - t0) / 1000, (t2 - t1) / 1000, config.finetuneSteps, env.valSplit.validation.count);
  // --workers N evaluates N episodes at once (a queue's worker count is not known here: counted as one)
  const parallel = config.queue ? 1 : Math.max(1, config.workers);
  const images = imagesOf(built);
  // the sensitivities are measured a batch at a time, so --workers shares them out as it does episodes
  const setup = setupOf(config, costs, images, env) / parallel;
  const plan = planEpisodes({ limit: parseDuration(config.time)!, spent: (clock() - startedAt) / 1000, setup, ...tailOf(config, costs, images, env), episodeSeconds: costs.episodeSeconds / parallel, text: config.time });
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
  const { tail, rescore } = tailOf(config, costs, imagesOf(built), built.env);
  return tail + (rescore ? bisectionRescores(config.episodes) * rescore : 0);
}
