/**
 * DDPG (Lillicrap et al. 2016) as AMC (He et al., ECCV 2018) and HAQ (Wang et al., CVPR 2019) use it to choose a
 * compression setting per layer. Constants are theirs (docs/search.md, DDPG); the file reads in the algorithm's
 * order: config, networks, phase, act, observe, end of episode (store, then per update: sample, baseline, critic
 * update, actor update, soft update; then noise decay), checkpoint.
 *
 * Where we deliberately differ from the AMC/HAQ code:
 * - Replay stores the action the env APPLIED after its budget wall, not the policy's raw action, and every step of
 *   the episode, the first layer's included (AMC's code drops the first layer's transition).
 * - Training starts at the end of the last warm-up episode (AMC starts one episode later), so the first learning
 *   episode already acts with a trained actor.
 * - Replay samples with replacement, so a batch exists even before 64 transitions are stored.
 * - Our own Adam (agent/adam.ts) so a restored agent continues bit for bit; PyTorch-form update, eps 1e-8.
 * - One seeded RNG drives warm-up actions, noise, replay sampling and the network initialisers.
 * - Policy episodes (policyEvery, plannedEpisodes): every k-th episode after warm-up and the last planned one are
 *   played with the actor's plain output, so the run sees what the policy itself has learnt; their transitions are
 *   stored and trained on like any other. The anchors never evaluate the noise-free policy during the search
 *   (PocketFlow returns its best noisy roll-out). Off by default here (the anchors' way); autoshrink runs turn it on.
 * - With noiseLayers > 0, an exploring episode's noise falls on a few layers, drawn per episode and drawn again when
 *   it would perturb none (noiseRedraw); the critic may learn alone for the first learning episodes
 *   (criticWarmupEpisodes), so a warm-started actor does not follow an untrained critic.
 * - Sigma decays after every episode past warm-up, policy episodes included, so it is a function of the episode
 *   index alone. autoshrink runs fit the decay to the run's length (agent/noise.ts plannedNoiseDecay) so sigma ends
 *   near 0.05 instead of HAQ's 0.41 after 20 learning episodes at 0.99 (docs/search.md, DDPG).
 */
import * as tf from '../tfjs.js';
import { ConfigError } from '../errors.js';
import { type DdpgArgs, type DdpgConfig, validateDdpgConfig, validateDims } from './ddpg-config.js';
import { Adam } from './adam.js';
import type { Agent, AgentCheckpoint, AgentDims, AgentPhase, EpisodeReport, Transition } from './agent.js';
import { checkCheckpointHeader } from './checkpoint-header.js';
import { cloneMlp, createMlp, mlpForward, softUpdate, type Mlp } from './mlp.js';
import { truncatedNormal } from './noise.js';
import { ReplayBuffer, type Batch, type ReplayCounters } from './replay-buffer.js';
import { createRng, drawSeed, type Rng, type RngState } from './rng.js';

export { DEFAULT_DDPG_CONFIG, validateDdpgConfig, validateDims } from './ddpg-config.js';
export type { DdpgArgs, DdpgConfig } from './ddpg-config.js';

/** The JSON half of a DDPG checkpoint. */
interface DdpgCheckpointState {
  dims: AgentDims;
  config: DdpgConfig;
  episode: number;
  sigma: number;
  baseline: number | null;
  rng: RngState;
  actorAdamStep: number;
  criticAdamStep: number;
  replay: ReplayCounters;
  pending: Transition[];
}

export class Ddpg implements Agent {
  readonly kind = 'ddpg' as const;
  readonly config: DdpgConfig;
  readonly dims: AgentDims;

  // Networks: online actor and critic, their slowly following targets, one Adam each.
  readonly actor: Mlp;
  readonly critic: Mlp;
  readonly targetActor: Mlp;
  readonly targetCritic: Mlp;
  private readonly actorOptim: Adam;
  private readonly criticOptim: Adam;

  readonly replay: ReplayBuffer;
  private rng: Rng;
  /** Episodes completed. */
  private episode = 0;
  /** Current exploration noise std. */
  private sigmaNow: number;
  /** Moving average of sampled rewards, subtracted from rewards before the critic update; null before the first. */
  private baseline: number | null = null;
  /** Steps of the current episode, waiting for its reward. */
  private pending: Transition[] = [];
  /** noiseLayers > 0: which layers the exploring episode `maskEpisode` perturbs, and the next step's position. */
  private mask: boolean[] = [];
  private maskEpisode = -1;
  private maskStep = 0;

  constructor(args: DdpgArgs) {
    const { stateSize, actionSize, layers, ...rest } = args;
    this.dims = { stateSize, actionSize, layers };
    validateDims(this.dims);
    this.config = validateDdpgConfig(rest);
    const c = this.config;
    this.rng = createRng(c.seed);
    this.sigmaNow = c.noiseSigma;

    // actor: state -> hidden -> sigmoid k;  critic: [state, action] -> hidden -> 1
    const actorSizes = [stateSize, ...c.hidden, actionSize];
    const criticSizes = [stateSize + actionSize, ...c.hidden, 1];
    this.actor = createMlp(actorSizes, actorSizes.map(() => drawSeed(this.rng)), c.finalLayerInit, true);
    this.critic = createMlp(criticSizes, criticSizes.map(() => drawSeed(this.rng)), c.finalLayerInit, true);
    this.targetActor = cloneMlp(this.actor);
    this.targetCritic = cloneMlp(this.critic);
    const adam = { beta1: c.adamBeta1, beta2: c.adamBeta2, epsilon: c.adamEpsilon };
    this.actorOptim = new Adam(this.actor, { lr: c.actorLr, ...adam });
    this.criticOptim = new Adam(this.critic, { lr: c.criticLr, ...adam });

    this.replay = new ReplayBuffer(c.replayEpisodes * layers, stateSize, actionSize);
  }

  // ---- phase -----------------------------------------------------------------------------------------------------

  /**
   * Warm-up first. After it, the policyEvery-th, 2 x policyEvery-th, ... episode and the last planned one are policy
   * episodes (to be played without noise: act(state, false)); the rest are learning episodes. E.g. 30 planned,
   * warm-up 10, every 5: episodes 14, 19, 24 and 29 (from 0) are policy episodes. By default the next episode's phase.
   */
  phase(episode = this.episode): AgentPhase {
    const c = this.config;
    const sinceWarmup = episode - c.warmupEpisodes;
    if (sinceWarmup < 0) return 'warmup';
    const policy = c.policyEvery > 0 && ((sinceWarmup + 1) % c.policyEvery === 0 || episode === c.plannedEpisodes - 1);
    return policy ? 'policy' : 'learning';
  }

  episodes(): number {
    return this.episode;
  }

  /** The exploration noise std the next learning step uses. */
  get sigma(): number {
    return this.sigmaNow;
  }

  // ---- act -------------------------------------------------------------------------------------------------------

  /**
   * Warm-up: uniform random (or, with warmupSigma, the actor's output plus noise of that std). Learning: actor output
   * plus truncated-normal noise (with noiseLayers > 0, on about that many layers of the episode; the others play the
   * actor's output). explore = false (policy episodes): the actor's output. The caller says which, so a batch of
   * proposals can mix learning and policy episodes.
   */
  act(state: number[], explore: boolean, episode = this.episode, noiseScale = 1): number[] {
    this.checkVector('state', state, this.dims.stateSize);
    const warmup = explore && this.phase(episode) === 'warmup';
    if (warmup && !(this.config.warmupSigma > 0)) {
      return Array.from({ length: this.dims.actionSize }, () => this.rng());
    }
    const mu = this.policy(state);
    if (!explore) return mu;
    // noiseLayers > 0: this layer is perturbed with probability noiseLayers / layers, else it plays the policy
    const { noiseLayers } = this.config;
    if (noiseLayers > 0 && noiseLayers < this.dims.layers) {
      const perturbed = this.config.noiseRedraw ? this.maskStepOf(episode) : this.rng() * this.dims.layers < noiseLayers;
      if (!perturbed) return mu;
    }
    const base = warmup ? this.config.warmupSigma : this.sigmaNow;
    // a raised scale stops at 0.5: wider than that the truncated normal on [0, 1] is nearly uniform
    const sigma = noiseScale > 1 ? Math.max(base, Math.min(base * noiseScale, 0.5)) : base;
    return mu.map((m) => truncatedNormal(this.rng, m, sigma, 0, 1));
  }

  /**
   * Whether this step of exploring episode `episode` is perturbed. The episode's mask is drawn at its first step,
   * each layer with probability noiseLayers / layers, and drawn again while it perturbs no layer (an episode that
   * perturbs nothing replays the policy's strategy: a cache hit and a duplicate transition, not exploration).
   */
  private maskStepOf(episode: number): boolean {
    const L = this.dims.layers;
    if (episode !== this.maskEpisode || this.maskStep >= L) {
      for (let tries = 0; tries < 1000; tries++) {
        this.mask = Array.from({ length: L }, () => this.rng() * L < this.config.noiseLayers);
        if (this.mask.some(Boolean)) break;
      }
      this.maskEpisode = episode;
      this.maskStep = 0;
    }
    return this.mask[this.maskStep++];
  }

  /** The actor's deterministic action for one state. */
  policy(state: number[]): number[] {
    const out = tf.tidy(() => this.actorForward(this.actor, tf.tensor2d(state, [1, this.dims.stateSize])));
    const values = Array.from(out.dataSync());
    out.dispose();
    return values;
  }

  // ---- observe ---------------------------------------------------------------------------------------------------

  observe(t: Transition): void {
    this.checkVector('state', t.state, this.dims.stateSize);
    this.checkVector('nextState', t.nextState, this.dims.stateSize);
    this.checkVector('action', t.action, this.dims.actionSize);
    if (!t.action.every((a) => a >= 0 && a <= 1)) {
      throw new ConfigError(`observed action ${JSON.stringify(t.action)} is outside [0, 1]`);
    }
    this.pending.push({ state: [...t.state], action: [...t.action], nextState: [...t.nextState], done: t.done });
  }

  // ---- end of episode: store, learn, decay noise -----------------------------------------------------------------

  endEpisode(reward: number): EpisodeReport {
    if (!Number.isFinite(reward)) throw new ConfigError(`episode reward must be a finite number, got ${reward}`);
    const c = this.config;
    const phase = this.phase();

    // Every step of the episode earns the episode's one reward (AMC, HAQ).
    for (const t of this.pending) this.replay.push({ ...t, reward });
    const steps = this.pending.length;
    this.pending = [];
    this.episode += 1;

    // Learn once all warm-up episodes are stored: from the end of the last warm-up episode on.
    const learning = this.episode >= c.warmupEpisodes && this.replay.size > 0;
    const updates = !learning ? 0 : c.updatesPerEpisode === 'per-transition' ? steps : c.updatesPerEpisode;
    let criticLoss = 0;
    let meanQ = 0;
    let actorLoss = 0;
    // the critic learns alone for the first criticWarmupEpisodes learning episodes: they act with the actor as it was
    const actorFrozen = this.episode - c.warmupEpisodes < c.criticWarmupEpisodes;
    for (let u = 0; u < updates; u++) {
      const batch = this.replay.sample(c.batchSize, this.rng);
      this.updateBaseline(batch);
      const critic = this.updateCritic(batch);
      criticLoss += critic.loss;
      meanQ += critic.meanQ;
      if (!actorFrozen) actorLoss += this.updateActor(batch);
      this.softUpdateTargets();
    }

    // Explore less after each episode past warm-up (policy ones included): sigma_e = sigma_0 * decay^(e - warmup).
    if (phase !== 'warmup') this.sigmaNow *= c.noiseDecay;

    const report: EpisodeReport = { phase, updates, sigma: this.sigmaNow };
    if (updates > 0) {
      report.criticLoss = criticLoss / updates;
      report.meanQ = meanQ / updates;
      if (!actorFrozen) report.actorLoss = actorLoss / updates;
    }
    if (this.baseline !== null) report.baseline = this.baseline;
    return report;
  }

  /** AMC's baseline: a moving average of the sampled batches' mean reward. */
  private updateBaseline(batch: Batch): void {
    let mean = 0;
    for (let i = 0; i < batch.size; i++) mean += batch.rewards[i];
    mean /= batch.size;
    this.baseline = this.baseline === null ? mean : this.baseline + this.config.baselineAlpha * (mean - this.baseline);
  }

  /**
   * One critic step: y = (r - baseline) + gamma * (1 - done) * targetCritic(s', targetActor(s')),
   * minimise mean (critic(s, a) - y)^2 over the critic's variables only. Returns the loss and the batch's mean
   * critic(s, a), both before the step.
   */
  updateCritic(batch: Batch): { loss: number; meanQ: number } {
    const { gamma } = this.config;
    const baseline = this.baseline ?? 0;
    const lossAndQ = tf.tidy(() => {
      const { s, a, r, s2, done } = this.batchTensors(batch);
      const nextQ = this.criticForward(this.targetCritic, s2, this.actorForward(this.targetActor, s2));
      const y = r.sub(baseline).add(nextQ.mul(tf.scalar(1).sub(done)).mul(gamma));
      // one forward pass of the critic for both the loss and the mean Q (kept out of variableGrads' scope)
      let q: tf.Tensor2D | undefined;
      const { value, grads } = tf.variableGrads(() => {
        q = tf.keep(this.criticForward(this.critic, s, a));
        return q.sub(y).square().mean() as tf.Scalar;
      }, this.critic);
      const meanQ = q!.mean();
      q!.dispose();
      this.criticOptim.apply(this.critic.map((v) => grads[v.name]));
      return tf.stack([value, meanQ]);
    });
    const [loss, meanQ] = lossAndQ.dataSync();
    lossAndQ.dispose();
    return { loss, meanQ };
  }

  /** One actor step: maximise Q(s, actor(s)), i.e. minimise -mean critic(s, actor(s)), over the actor's variables only. */
  updateActor(batch: Batch): number {
    const loss = tf.tidy(() => {
      const { s } = this.batchTensors(batch);
      const { value, grads } = tf.variableGrads(
        () => this.criticForward(this.critic, s, this.actorForward(this.actor, s)).mean().neg() as tf.Scalar,
        this.actor,
      );
      this.actorOptim.apply(this.actor.map((v) => grads[v.name]));
      return value;
    });
    return readScalar(loss);
  }

  /**
   * Behaviour cloning, a warm start the anchors do not have: `steps` actor updates (the actor's own Adam) minimising
   * the mean squared distance between actor(s) and the given actions, then the target actor copies the actor. A run
   * warm-started by the knapsack planner begins its policy at the knapsack's answer and explores around it, so its
   * learning episodes start from the strong baseline instead of from 0.5 everywhere. Returns the last loss.
   */
  imitate(states: number[][], actions: number[][], steps: number): number {
    states.forEach((s) => this.checkVector('state', s, this.dims.stateSize));
    actions.forEach((a) => this.checkVector('action', a, this.dims.actionSize));
    let last = NaN;
    for (let i = 0; i < steps; i++) {
      const loss = tf.tidy(() => {
        const s = tf.tensor2d(states.flat(), [states.length, this.dims.stateSize]);
        const a = tf.tensor2d(actions.flat(), [actions.length, this.dims.actionSize]);
        const { value, grads } = tf.variableGrads(() => this.actorForward(this.actor, s).sub(a).square().mean() as tf.Scalar, this.actor);
        this.actorOptim.apply(this.actor.map((v) => grads[v.name]));
        return value;
      });
      last = readScalar(loss);
    }
    softUpdate(this.targetActor, this.actor, 1);
    return last;
  }

  /** targetX = tau * X + (1 - tau) * targetX for the actor and the critic. */
  softUpdateTargets(): void {
    softUpdate(this.targetActor, this.actor, this.config.tau);
    softUpdate(this.targetCritic, this.critic, this.config.tau);
  }

  // ---- networks --------------------------------------------------------------------------------------------------

  private actorForward(net: Mlp, s: tf.Tensor2D): tf.Tensor2D {
    return tf.sigmoid(mlpForward(net, s));
  }

  private criticForward(net: Mlp, s: tf.Tensor2D, a: tf.Tensor2D): tf.Tensor2D {
    return mlpForward(net, tf.concat([s, a], 1));
  }

  private batchTensors(b: Batch) {
    const { stateSize: S, actionSize: K } = this.dims;
    return {
      s: tf.tensor2d(b.states, [b.size, S]),
      a: tf.tensor2d(b.actions, [b.size, K]),
      r: tf.tensor2d(b.rewards, [b.size, 1]),
      s2: tf.tensor2d(b.nextStates, [b.size, S]),
      done: tf.tensor2d(b.dones, [b.size, 1]),
    };
  }

  // ---- checkpoint ------------------------------------------------------------------------------------------------

  /**
   * Everything to continue exactly here. With `networks: false` the networks and Adam moments are left out (the
   * JSON state and the replay only, a few kilobytes): a run stores them every few episodes and, on resume, learns the
   * episodes since again (`relearn`), which gives the same networks bit for bit.
   */
  async checkpoint(opts: { networks?: boolean } = {}): Promise<AgentCheckpoint> {
    const blobs: Record<string, Float32Array> = {};
    for (const [name, vars] of opts.networks === false ? [] : this.variableGroups()) {
      for (let i = 0; i < vars.length; i++) blobs[`${name}/${i}`] = new Float32Array(await vars[i].data());
    }
    const replay = this.replay.save('replay');
    Object.assign(blobs, replay.blobs);
    const state: DdpgCheckpointState = {
      dims: { ...this.dims },
      config: { ...this.config, hidden: [...this.config.hidden] },
      episode: this.episode,
      sigma: this.sigmaNow,
      baseline: this.baseline,
      rng: this.rng.state(),
      actorAdamStep: this.actorOptim.step,
      criticAdamStep: this.criticOptim.step,
      replay: replay.json,
      pending: this.pending.map((t) => ({ ...t })),
    };
    return { format: 'autoshrink-agent', version: 1, kind: 'ddpg', state: { ...state }, blobs };
  }

  /** Restore into an agent built with the same dims and config. The seed may differ: RNG state and seed are taken over. */
  restore(cp: AgentCheckpoint): void {
    checkCheckpointHeader(cp, 'ddpg');
    const st = cp.state as unknown as DdpgCheckpointState;
    for (const f of ['stateSize', 'actionSize', 'layers'] as const) {
      if (st.dims?.[f] !== this.dims[f]) throw new ConfigError(`checkpoint ${f} ${st.dims?.[f]} differs from the agent's ${this.dims[f]}`);
    }
    // A checkpoint from before policy episodes (or warm-up around a seed, or noise on a few layers) continues as it was
    // made: without them.
    for (const f of ['plannedEpisodes', 'policyEvery', 'warmupSigma', 'noiseLayers', 'criticWarmupEpisodes'] as const) {
      if (st.config && st.config[f] === undefined) st.config[f] = this.config[f] = 0;
    }
    // ... and one from before the redraw of idle noise masks draws per layer, as it did
    if (st.config && st.config.noiseRedraw === undefined) st.config.noiseRedraw = this.config.noiseRedraw = false;
    for (const f of Object.keys(this.config) as (keyof DdpgConfig)[]) {
      if (f !== 'seed' && JSON.stringify(st.config?.[f]) !== JSON.stringify(this.config[f])) {
        throw new ConfigError(`checkpoint config ${f} ${JSON.stringify(st.config?.[f])} differs from the agent's ${JSON.stringify(this.config[f])}`);
      }
    }
    tf.tidy(() => {
      for (const [name, vars] of this.variableGroups()) {
        vars.forEach((v, i) => {
          const blob = cp.blobs[`${name}/${i}`];
          if (!blob || blob.length !== v.size) throw new ConfigError(`checkpoint blob ${name}/${i} is missing or has the wrong size`);
          v.assign(tf.tensor(blob, v.shape, 'float32'));
        });
      }
    });
    try {
      this.replay.load('replay', st.replay, cp.blobs);
    } catch (e) {
      throw new ConfigError(`checkpoint replay buffer does not fit: ${(e as Error).message}`);
    }
    this.actorOptim.step = st.actorAdamStep;
    this.criticOptim.step = st.criticAdamStep;
    this.episode = st.episode;
    this.sigmaNow = st.sigma;
    this.baseline = st.baseline;
    this.config.seed = st.config.seed; // provenance: the state now descends from the checkpoint's seed
    this.rng = createRng(this.config.seed, st.rng);
    this.pending = st.pending.map((t) => ({ state: [...t.state], action: [...t.action], nextState: [...t.nextState], done: t.done }));
    // checkpoints fall between episodes: the next exploring step starts a new mask
    this.maskEpisode = -1;
  }

  /** The RNG's state: with an episode's transitions and reward, what `endEpisode` reads besides the checkpoint. */
  rngState(): RngState {
    return this.rng.state();
  }

  /**
   * Learn a stored episode again, as `endEpisode` learnt it the first time: its transitions, its reward, and the RNG
   * as it stood before (proposals drew from it in between). On resume from the last stored networks, the episodes
   * learnt since, in order, bring the networks, Adam, replay, baseline and noise to where the run left them.
   */
  relearn(entry: { rng: RngState; transitions: Transition[]; reward: number }): EpisodeReport {
    this.rng = createRng(this.config.seed, entry.rng);
    this.pending = [];
    for (const t of entry.transitions) this.observe(t);
    return this.endEpisode(entry.reward);
  }

  /** Every variable that a checkpoint carries, grouped and named. */
  private variableGroups(): [string, tf.Variable[]][] {
    return [
      ['actor', this.actor],
      ['critic', this.critic],
      ['targetActor', this.targetActor],
      ['targetCritic', this.targetCritic],
      ['actorAdam/m', this.actorOptim.m],
      ['actorAdam/v', this.actorOptim.v],
      ['criticAdam/m', this.criticOptim.m],
      ['criticAdam/v', this.criticOptim.v],
    ];
  }

  dispose(): void {
    tf.dispose([...this.actor, ...this.critic, ...this.targetActor, ...this.targetCritic]);
    this.actorOptim.dispose();
    this.criticOptim.dispose();
  }

  private checkVector(what: string, v: number[], length: number): void {
    if (!Array.isArray(v) || v.length !== length || !v.every(Number.isFinite)) {
      throw new ConfigError(`${what} must be ${length} finite numbers, got ${Array.isArray(v) ? `${v.length} values` : typeof v}`);
    }
  }
}

function readScalar(t: tf.Tensor): number {
  const x = t.dataSync()[0];
  t.dispose();
  return x;
}
