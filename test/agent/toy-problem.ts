/**
 * A toy search problem with a known answer, for the agent tests: `targets.length` "layers", one knob each.
 * State at layer i: one-hot(i) followed by the previous layer's action (0 at the first layer).
 * Reward of an episode: -mean_i (a_i - target_i)^2, so the best possible reward is 0 and uniform random actions
 * average -mean_i (target_i^2 - target_i + 1/3).
 */
import type { Agent, EpisodeReport } from '../../agent/agent.js';

export const TOY_TARGETS = [0.2, 0.8, 0.5, 0.9];

export function toyState(layer: number, layers: number, prevAction: number): number[] {
  const s = new Array<number>(layers + 1).fill(0);
  s[layer] = 1;
  s[layers] = prevAction;
  return s;
}

export function toyReward(actions: number[], targets: number[] = TOY_TARGETS): number {
  let sum = 0;
  for (let i = 0; i < targets.length; i++) sum += (actions[i] - targets[i]) ** 2;
  return -sum / targets.length;
}

/** Expected reward of uniform random actions: -mean_i E[(U - t_i)^2] = -mean_i (t_i^2 - t_i + 1/3). */
export function toyRandomExpectation(targets: number[] = TOY_TARGETS): number {
  return -targets.reduce((acc, t) => acc + t * t - t + 1 / 3, 0) / targets.length;
}

/** Play one episode (exploring unless told not to); returns its actions, reward and the agent's end-of-episode report. */
export function playToyEpisode(
  agent: Agent,
  targets: number[] = TOY_TARGETS,
  explore = true,
): { actions: number[]; reward: number; report: EpisodeReport } {
  const layers = targets.length;
  const actions: number[] = [];
  let prev = 0;
  for (let i = 0; i < layers; i++) {
    const state = toyState(i, layers, prev);
    const [a] = agent.act(state, explore);
    actions.push(a);
    const nextState = i + 1 < layers ? toyState(i + 1, layers, a) : state;
    agent.observe({ state, action: [a], nextState, done: i + 1 === layers });
    prev = a;
  }
  const reward = toyReward(actions, targets);
  const report = agent.endEpisode(reward);
  return { actions, reward, report };
}
