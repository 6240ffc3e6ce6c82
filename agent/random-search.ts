/**
 * Random search: uniform random actions every episode, from a seeded RNG. The baseline any learning agent must beat
 * (it is DDPG's warm-up, forever). It has no policy, so `explore` is ignored; the run keeps the best strategy seen.
 */
import { ConfigError } from '../errors.js';
import type { Agent, AgentCheckpoint, AgentDims, AgentPhase, EpisodeReport, Transition } from './agent.js';
import { checkCheckpointHeader } from './checkpoint-header.js';
import { validateDims } from './ddpg.js';
import { createRng, type Rng, type RngState } from './rng.js';

export class RandomSearch implements Agent {
  readonly kind = 'random' as const;
  private rng: Rng;
  private seed: number;
  private episode = 0;

  constructor(readonly args: AgentDims & { seed: number }) {
    validateDims(args);
    if (!Number.isFinite(args.seed)) throw new ConfigError(`random search seed must be a finite number, got ${args.seed}`);
    this.seed = args.seed;
    this.rng = createRng(args.seed);
  }

  /** k uniform draws in [0, 1), whatever the state. */
  act(_state: number[], _explore: boolean): number[] {
    return Array.from({ length: this.args.actionSize }, () => this.rng());
  }

  observe(_t: Transition): void {}

  endEpisode(_reward: number): EpisodeReport {
    this.episode += 1;
    return { phase: 'learning', updates: 0 };
  }

  /** No warm-up: every episode is the search itself. */
  phase(): AgentPhase {
    return 'learning';
  }

  episodes(): number {
    return this.episode;
  }

  async checkpoint(): Promise<AgentCheckpoint> {
    return {
      format: 'autoshrink-agent',
      version: 1,
      kind: 'random',
      state: { actionSize: this.args.actionSize, seed: this.seed, episode: this.episode, rng: this.rng.state() },
      blobs: {},
    };
  }

  restore(cp: AgentCheckpoint): void {
    checkCheckpointHeader(cp, 'random');
    const st = cp.state as { actionSize: number; seed: number; episode: number; rng: RngState };
    if (st.actionSize !== this.args.actionSize) {
      throw new ConfigError(`checkpoint actionSize ${st.actionSize} differs from the agent's ${this.args.actionSize}`);
    }
    this.episode = st.episode;
    this.seed = st.seed;
    this.rng = createRng(st.seed, st.rng);
  }

  dispose(): void {}
}
