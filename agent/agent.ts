/**
 * The contract every searcher honours. An agent sees numbers only: a state vector per layer, an action in [0,1]^k,
 * one reward per episode. It never imports env/, run/ or learners/; the run loop joins it to the world.
 *
 * One episode, as the run loop drives it:
 *   for each layer: a = agent.act(state, explore); the env clamps a with its budget wall to a'; agent.observe({state,
 *   action: a', nextState, done}); then agent.endEpisode(reward) once. The reward is given to every step of the
 *   episode (AMC, HAQ) and learning agents train inside endEpisode.
 */

export type AgentKind = 'ddpg' | 'random' | 'uniform';

/**
 * `warmup`: actions are uniform random while the replay buffer fills; `learning`: the actor acts, with exploration
 * noise; `policy`: the actor acts without noise (the deterministic policy, evaluated between learning episodes and
 * at the end). Every phase stores its transitions and, after warm-up, trains.
 */
export type AgentPhase = 'warmup' | 'learning' | 'policy';

/** The sizes of the problem an agent is built for. */
export interface AgentDims {
  /** Length of every state vector. */
  stateSize: number;
  /** Knobs per layer (k): every action is a number[] of this length in [0, 1]. */
  actionSize: number;
  /** Steps (compressible layers) per episode; sizes the replay buffer. */
  layers: number;
}

/** One step of an episode. No reward: the episode's one reward arrives with endEpisode. */
export interface Transition {
  state: number[];
  /** The action ACTUALLY APPLIED, after the env's budget wall; not necessarily what act() returned. */
  action: number[];
  nextState: number[];
  /** True on the last layer of the episode. */
  done: boolean;
}

/** What an agent did at the end of an episode. Losses are means over the episode's updates (absent if none ran). */
export interface EpisodeReport {
  /** The phase the finished episode was played in. */
  phase: AgentPhase;
  /** Gradient updates run at the end of this episode. */
  updates: number;
  actorLoss?: number;
  criticLoss?: number;
  /** Mean critic value Q(s, a) over the updates' sampled batches (rewards are baseline-subtracted, so near 0 when
   * the critic tracks the baseline). */
  meanQ?: number;
  /** Exploration noise std for the next episode. */
  sigma?: number;
  /** Moving-average reward baseline after this episode's updates. */
  baseline?: number;
}

/**
 * Everything needed to continue an agent exactly where it stopped. `state` is plain JSON (JSON.stringify round-trips
 * it exactly); `blobs` holds the large arrays (network weights, Adam moments, replay buffer) as Float32Arrays, keyed
 * by a slash path such as `actor/0` or `replay/states`. Store both; restore() takes them back.
 */
export interface AgentCheckpoint {
  format: 'autoshrink-agent';
  version: 1;
  kind: AgentKind;
  state: Record<string, unknown>;
  blobs: Record<string, Float32Array>;
}

export interface Agent {
  readonly kind: AgentKind;
  /**
   * The action for this state, each component in [0, 1]. `explore: false` gives the agent's best guess, no noise.
   * `episode` (default: the one about to be played) decides the phase, for a loop that proposes a batch ahead.
   * `noiseScale` (default 1) multiplies an exploring action's noise: the loop raises it when a draw lands on a
   * strategy already measured (agents without noise ignore it).
   */
  act(state: number[], explore: boolean, episode?: number, noiseScale?: number): number[];
  /** Record one step of the current episode. */
  observe(transition: Transition): void;
  /** Close the episode: give `reward` to each of its steps, train (learning agents), advance the episode counter. */
  endEpisode(reward: number): EpisodeReport;
  /**
   * The phase of episode `episode` (from 0, as the run counts), by default of the one about to be (or being) played.
   * A loop that proposes a batch of episodes before the agent learns from them asks for each episode's own phase, and
   * plays a `policy` episode with `act(state, false)`.
   */
  phase(episode?: number): AgentPhase;
  /** Episodes completed so far. */
  episodes(): number;
  checkpoint(): Promise<AgentCheckpoint>;
  /** Take back a checkpoint from an agent of the same kind and config; continues exactly as the original would. */
  restore(checkpoint: AgentCheckpoint): void;
  /** Learning agents: train the policy to output `actions` at `states` (a warm start); returns the last loss. */
  imitate?(states: number[][], actions: number[][], steps: number): number;
  /** Free tensors. The agent is unusable afterwards. */
  dispose(): void;
}
