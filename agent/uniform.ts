/**
 * The uniform baseline: the same action for every layer (e.g. "4 bits everywhere"). The caller finds the best uniform
 * setting that fits the budget and hands it over; this agent only replays it, so uniform runs flow through the same
 * loop, store and reports as learned ones.
 */
import { ConfigError } from '../errors.js';
import type { Agent, AgentCheckpoint, AgentDims, AgentPhase, EpisodeReport, Transition } from './agent.js';
import { checkCheckpointHeader } from './checkpoint-header.js';
import { validateDims } from './ddpg.js';

export class UniformAgent implements Agent {
  readonly kind = 'uniform' as const;
  private readonly action: number[];
  private episode = 0;

  constructor(args: AgentDims & { action: number[] }) {
    validateDims(args);
    const { action, actionSize } = args;
    if (!Array.isArray(action) || action.length !== actionSize || !action.every((a) => a >= 0 && a <= 1)) {
      throw new ConfigError(`uniform agent action must be ${actionSize} numbers in [0, 1], got ${JSON.stringify(action)}`);
    }
    this.action = [...action];
  }

  act(_state: number[], _explore: boolean): number[] {
    return [...this.action];
  }

  observe(_t: Transition): void {}

  endEpisode(_reward: number): EpisodeReport {
    this.episode += 1;
    return { phase: 'learning', updates: 0 };
  }

  phase(): AgentPhase {
    return 'learning';
  }

  episodes(): number {
    return this.episode;
  }

  async checkpoint(): Promise<AgentCheckpoint> {
    return { format: 'autoshrink-agent', version: 1, kind: 'uniform', state: { action: [...this.action], episode: this.episode }, blobs: {} };
  }

  restore(cp: AgentCheckpoint): void {
    checkCheckpointHeader(cp, 'uniform');
    const st = cp.state as { action: number[]; episode: number };
    if (JSON.stringify(st.action) !== JSON.stringify(this.action)) {
      throw new ConfigError(`checkpoint action ${JSON.stringify(st.action)} differs from the agent's ${JSON.stringify(this.action)}`);
    }
    this.episode = st.episode;
  }

  dispose(): void {}
}
