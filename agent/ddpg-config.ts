/**
 * DDPG's configuration: every constant of the algorithm with its anchor's value (AMC, HAQ; docs/search.md, DDPG),
 * the defaults, and the one validation. Apart from agent/ddpg.ts so the algorithm file stays the algorithm.
 */
import { ConfigError } from '../errors.js';
import type { AgentDims } from './agent.js';

/** Every constant of the algorithm. Defaults in DEFAULT_DDPG_CONFIG; validate with validateDdpgConfig. */
export interface DdpgConfig {
  /** Seeds the one RNG: warm-up actions, exploration noise, replay sampling and the network initialisers. */
  seed: number;
  /** Hidden layer widths of both actor and critic. AMC/HAQ: [300, 300]. */
  hidden: number[];
  /** Adam learning rate of the actor. AMC/HAQ: 1e-4. */
  actorLr: number;
  /** Adam learning rate of the critic. AMC/HAQ: 1e-3. */
  criticLr: number;
  /** Adam first-moment decay. PyTorch default 0.9. */
  adamBeta1: number;
  /** Adam second-moment decay. PyTorch default 0.999. */
  adamBeta2: number;
  /** Adam epsilon. PyTorch default 1e-8. */
  adamEpsilon: number;
  /** Soft target update rate: target = tau * online + (1 - tau) * target, after every update. AMC/HAQ: 0.01. */
  tau: number;
  /** Discount. AMC/HAQ: 1 (the episode's one reward counts as much at the first layer as at the last). */
  gamma: number;
  /** Transitions per gradient update. AMC/HAQ: 64. */
  batchSize: number;
  /** Replay capacity in episodes: the buffer holds replayEpisodes x layers transitions. AMC/HAQ: 100. */
  replayEpisodes: number;
  /**
   * Episodes of uniform random actions before the actor acts. HAQ: 20 (AMC: 100), out of 600-800 episodes. Ours:
   * HAQ's 20, a fifth of autoshrink's default 100-episode run (episodes got cheap enough for 100 within about five
   * minutes on lenet5); 100 transitions of a 5-layer model are plenty for the first batches.
   */
  warmupEpisodes: number;
  /**
   * Std of the warm-up's exploration. 0: warm-up actions are uniform random (AMC, HAQ). > 0: the actor's output plus
   * truncated-normal noise of this std, for an actor that has imitated a known good answer (a warm start): the
   * warm-up then measures that answer's neighbourhood, and the critic learns where it matters before the actor moves.
   */
  warmupSigma: number;
  /** Episodes the run plans, warm-up included; the last is a policy episode when policyEvery > 0. 0: open-ended. */
  plannedEpisodes: number;
  /** Every k-th episode after warm-up (policy ones counted) is played without noise. AMC/HAQ: never (0). */
  policyEvery: number;
  /** Initial std of the truncated-normal exploration noise around the actor's output. AMC/HAQ: 0.5. */
  noiseSigma: number;
  /**
   * Layers perturbed per exploring episode, on average. 0: every layer (AMC, HAQ). k > 0: each layer gets the noise
   * with probability k / layers and plays the actor's output otherwise, so an episode changes about k layers of the
   * policy's strategy: a local search around the policy whose rewards tell the critic what those few layers cost,
   * instead of every layer moving at once (near a good strategy almost every all-layer move is worse).
   */
  noiseLayers: number;
  /**
   * With noiseLayers > 0: an exploring episode whose draw would perturb no layer draws again (true), so every
   * exploring episode explores; false draws per layer as it goes (about (1 - k/L)^L of the episodes, 10-13% at k = 2,
   * then replay the policy's strategy: cache hits and duplicate transitions). AMC/HAQ perturb every layer.
   */
  noiseRedraw: boolean;
  /**
   * Learning episodes (after warm-up) whose updates train the critic alone, the actor frozen: a warm-started actor
   * keeps its imitated policy until the critic has seen its neighbourhood, instead of following the gradient of an
   * untrained critic from the first update. AMC/HAQ: 0 (the actor updates from the first critic update).
   */
  criticWarmupEpisodes: number;
  /** Factor applied to the noise std after each episode past warm-up. HAQ: 0.99 (AMC: 0.95). */
  noiseDecay: number;
  /** Step of the reward baseline, per update: b += alpha * (mean reward of the batch - b). AMC/HAQ: 0.5. */
  baselineAlpha: number;
  /** Gradient updates after each learning episode; 'per-transition': one per step of the episode (AMC/HAQ). */
  updatesPerEpisode: number | 'per-transition';
  /** Half-width of the uniform init of each network's last kernel: the actor starts near 0.5, Q near 0. AMC: 3e-3. */
  finalLayerInit: number;
}

export const DEFAULT_DDPG_CONFIG: Readonly<Omit<DdpgConfig, 'seed'>> = Object.freeze({
  hidden: [300, 300],
  actorLr: 1e-4,
  criticLr: 1e-3,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  tau: 0.01,
  gamma: 1,
  batchSize: 64,
  replayEpisodes: 100,
  warmupEpisodes: 20,
  warmupSigma: 0,
  plannedEpisodes: 0,
  policyEvery: 0,
  noiseSigma: 0.5,
  noiseLayers: 0,
  noiseRedraw: true,
  criticWarmupEpisodes: 0,
  noiseDecay: 0.99,
  baselineAlpha: 0.5,
  updatesPerEpisode: 'per-transition' as const,
  finalLayerInit: 3e-3,
});

/** What `new Ddpg` takes: the problem's sizes, the seed, and any config fields to override. */
export type DdpgArgs = AgentDims & { seed: number } & Partial<Omit<DdpgConfig, 'seed'>>;

/** Fill defaults and check every field; throws ConfigError naming the first bad one. */
export function validateDdpgConfig(args: { seed: number } & Partial<Omit<DdpgConfig, 'seed'>>): DdpgConfig {
  // Known fields only, so a stray option never ends up in a stored config.
  const c = { seed: args.seed } as DdpgConfig;
  for (const key of Object.keys(DEFAULT_DDPG_CONFIG) as (keyof typeof DEFAULT_DDPG_CONFIG)[]) {
    (c as unknown as Record<string, unknown>)[key] = args[key] ?? DEFAULT_DDPG_CONFIG[key];
  }
  c.hidden = Array.isArray(c.hidden) ? [...c.hidden] : c.hidden;
  const bad = (field: string, want: string, got: unknown) =>
    new ConfigError(`DDPG config ${field} must be ${want}, got ${JSON.stringify(got)}`);
  const posInt = (x: unknown) => Number.isInteger(x) && (x as number) > 0;
  if (!Number.isFinite(c.seed)) throw bad('seed', 'a finite number', c.seed);
  if (!Array.isArray(c.hidden) || c.hidden.length === 0 || !c.hidden.every(posInt)) {
    throw bad('hidden', 'a non-empty list of positive integers', c.hidden);
  }
  for (const f of ['actorLr', 'criticLr', 'adamEpsilon'] as const) if (!(c[f] > 0 && Number.isFinite(c[f]))) throw bad(f, 'a positive number', c[f]);
  for (const f of ['adamBeta1', 'adamBeta2'] as const) if (!(c[f] >= 0 && c[f] < 1)) throw bad(f, 'in [0, 1)', c[f]);
  if (!(c.tau > 0 && c.tau <= 1)) throw bad('tau', 'in (0, 1]', c.tau);
  if (!(c.gamma >= 0 && c.gamma <= 1)) throw bad('gamma', 'in [0, 1]', c.gamma);
  if (!posInt(c.batchSize)) throw bad('batchSize', 'a positive integer', c.batchSize);
  if (!posInt(c.replayEpisodes)) throw bad('replayEpisodes', 'a positive integer', c.replayEpisodes);
  if (typeof c.noiseRedraw !== 'boolean') throw bad('noiseRedraw', 'true or false', c.noiseRedraw);
  for (const f of ['warmupEpisodes', 'plannedEpisodes', 'policyEvery', 'criticWarmupEpisodes'] as const) {
    if (!(Number.isInteger(c[f]) && c[f] >= 0)) throw bad(f, 'an integer >= 0', c[f]);
  }
  for (const f of ['noiseSigma', 'warmupSigma', 'noiseLayers'] as const) if (!(c[f] >= 0 && Number.isFinite(c[f]))) throw bad(f, 'a number >= 0', c[f]);
  if (!(c.noiseDecay > 0 && c.noiseDecay <= 1)) throw bad('noiseDecay', 'in (0, 1]', c.noiseDecay);
  if (!(c.baselineAlpha > 0 && c.baselineAlpha <= 1)) throw bad('baselineAlpha', 'in (0, 1]', c.baselineAlpha);
  if (c.updatesPerEpisode !== 'per-transition' && !(Number.isInteger(c.updatesPerEpisode) && c.updatesPerEpisode >= 0)) {
    throw bad('updatesPerEpisode', "an integer >= 0 or 'per-transition'", c.updatesPerEpisode);
  }
  if (!(c.finalLayerInit >= 0 && Number.isFinite(c.finalLayerInit))) throw bad('finalLayerInit', 'a number >= 0', c.finalLayerInit);
  return c;
}

export function validateDims(dims: AgentDims): void {
  for (const f of ['stateSize', 'actionSize', 'layers'] as const) {
    if (!(Number.isInteger(dims[f]) && dims[f] > 0)) {
      throw new ConfigError(`agent ${f} must be a positive integer, got ${JSON.stringify(dims[f])}`);
    }
  }
}
