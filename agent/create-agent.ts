/** One door to every agent kind, for the run loop. */
import { ConfigError } from '../errors.js';
import type { Agent, AgentDims, AgentKind } from './agent.js';
import { Ddpg, type DdpgConfig } from './ddpg.js';
import { RandomSearch } from './random-search.js';
import { UniformAgent } from './uniform.js';

export type AgentOptions = AgentDims & {
  seed: number;
  /** The fixed action of the uniform agent (required for 'uniform', ignored otherwise). */
  action?: number[];
} & Partial<Omit<DdpgConfig, 'seed'>>;

/** An agent of `kind`; any other kind (the run config's greedy and knapsack are planners, not agents) is a ConfigError. */
export function createAgent(kind: AgentKind | (string & {}), options: AgentOptions): Agent {
  const { action, ...rest } = options;
  switch (kind) {
    case 'ddpg':
      return new Ddpg(rest);
    case 'random':
      return new RandomSearch({ stateSize: rest.stateSize, actionSize: rest.actionSize, layers: rest.layers, seed: rest.seed });
    case 'uniform':
      if (!action) throw new ConfigError('the uniform agent needs its action: pass options.action');
      return new UniformAgent({ stateSize: rest.stateSize, actionSize: rest.actionSize, layers: rest.layers, action });
    default:
      throw new ConfigError(`unknown agent kind ${JSON.stringify(kind)}: use ddpg, random or uniform`);
  }
}
