/**
 * The agent's settings from a run config: the one place that maps run-config fields to agent/ arguments, with the
 * two things the agent cannot know by itself: the planned episode count and the noise decay fitted to it.
 */
import type { AgentOptions } from '../agent/create-agent.js';
import { plannedNoiseDecay } from '../agent/noise.js';
import type { RunConfig } from './config.js';

/** Everything createAgent takes except the problem's sizes and the uniform agent's action (both from the env). */
export type AgentSettings = Omit<AgentOptions, 'stateSize' | 'actionSize' | 'layers' | 'action'>;

/**
 * `createAgent(config.agent, {stateSize, actionSize, layers, action, ...agentOptions(config)})`. Unless --noise-decay
 * is given, sigma decays geometrically after warm-up from --noise-sigma to --noise-final at the last episode:
 * decay = (final / sigma)^(1 / (episodes - warmup - 1)); e.g. 30 episodes, warm-up 10: 0.1^(1/19) = 0.886.
 */
export function agentOptions(config: RunConfig): AgentSettings {
  return {
    seed: config.seed,
    hidden: [...config.hidden],
    actorLr: config.actorLr,
    criticLr: config.criticLr,
    tau: config.tau,
    gamma: config.gamma,
    batchSize: config.batchSize,
    replayEpisodes: config.replayEpisodes,
    updatesPerEpisode: config.updatesPerEpisode,
    warmupEpisodes: config.warmup,
    plannedEpisodes: config.episodes,
    policyEvery: config.policyEvery,
    noiseSigma: config.noiseSigma,
    noiseDecay: config.noiseDecay ?? plannedNoiseDecay(config.noiseSigma, config.noiseFinal, config.episodes - config.warmup),
  };
}
