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
 * A warm-started DDPG run (--warm-start, --warm-sigma > 0) starts from --warm-sigma instead, and its warm-up acts
 * around the imitated seed with that std.
 */
export function agentOptions(config: RunConfig): AgentSettings {
  // A warm-started run explores near its seed: warm-up around it, learning noise from --warm-sigma down
  const warm = config.agent === 'ddpg' && config.warmStart !== 'none' && config.warmSigma > 0;
  const noiseSigma = warm ? config.warmSigma : config.noiseSigma;
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
    noiseSigma,
    noiseLayers: config.noiseLayers,
    noiseRedraw: true,
    criticWarmupEpisodes: config.criticWarmup ?? 0,
    warmupSigma: warm ? config.warmSigma : 0,
    noiseDecay: config.noiseDecay ?? plannedNoiseDecay(noiseSigma, config.noiseFinal, config.episodes - config.warmup),
  };
}
