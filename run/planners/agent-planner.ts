/**
 * An agent (ddpg, random) walks the layers; the env's wall clamps each action; the fill pass spends what the walls
 * left (run/planners/fill-strategy.ts), and a filled strategy is walked again through the env so the transitions the
 * agent stores are the strategy that is measured (the same walk: layer order is seeded per episode).
 *
 * Warm start (--warm-start knapsack): episode 0 is the knapsack's answer, walked through the env so its transitions
 * are real, a batch of its own; after its reward the actor imitates it until its own noise-free action reproduces the
 * answer on every layer (agent/imitate-until.ts), so the search explores around the strong baseline.
 */
import type { Agent, AgentCheckpoint, Transition } from '../../agent/agent.js';
import { createAgent } from '../../agent/create-agent.js';
import { imitateUntil } from '../../agent/imitate-until.js';
import { sameSpec } from '../../env/budget.js';
import { actionToSpec, describeSpec, specToAction } from '../../env/knobs.js';
import type { LayerSpec } from '../../learners/types.js';
import { agentOptions } from '../agent-options.js';
import type { Phase } from '../events.js';
import { maybeFill } from './fill-strategy.js';
import { knapsackCandidates } from './knapsack.js';
import type { Planner, PlannerContext, Proposal } from './types.js';

export function agentPlanner(ctx: PlannerContext): Planner {
  const { env, config, emit } = ctx;
  const agent: Agent = createAgent(config.agent, {
    stateSize: env.stateSize,
    actionSize: env.actionSize,
    layers: env.layers.length,
    ...agentOptions(config),
  });
  const warmStart = config.agent === 'ddpg' && config.warmStart === 'knapsack';

  /** Walk `strategy` through the env as episode `episode`: its transitions, and the strategy the walls leave. */
  const walk = (episode: number, strategy: LayerSpec[], announce: boolean) => {
    const transitions: Transition[] = [];
    let state = env.reset(episode);
    for (let step = 0; step < env.layers.length; step++) {
      const layer = env.currentLayer;
      const i = env.layers.indexOf(layer);
      const r = env.step(specToAction(strategy[i], env.config.space));
      transitions.push({ state, action: r.applied, nextState: r.next ?? state, done: r.next === null });
      if (announce) emit({ type: 'layer-chosen', episode, layer: layer.index, choice: describeSpec(layer.name, r.spec, env.channelsAt(i, r.spec)) });
      if (r.next) state = r.next;
    }
    return { transitions, strategy: env.finishStrategy() };
  };

  /** Episode 0 of a warm-started run: the knapsack's answer, filled. */
  const seedProposal = async (): Promise<Proposal> => {
    const [strategy] = await knapsackCandidates(ctx, 1);
    emit({ type: 'episode-started', episode: 0, phase: agent.phase(0) });
    const seed = walk(0, strategy, true);
    return { episode: 0, strategy: seed.strategy, phase: agent.phase(0), agentSeconds: 0, clamped: 0, transitions: seed.transitions };
  };

  /** One episode played by the agent, then filled (and walked again if the fill changed it). */
  const play = async (episode: number): Promise<Proposal> => {
    const phase: Phase = agent.phase(episode);
    emit({ type: 'episode-started', episode, phase });
    let agentSeconds = 0;
    let clamped = 0;
    let transitions: Transition[] = [];
    const chosen: Array<{ layer: number; i: number; spec: LayerSpec }> = [];
    let state = env.reset(episode);
    for (let step = 0; step < env.layers.length; step++) {
      const ta = performance.now();
      const action = agent.act(state, phase !== 'policy', episode);
      agentSeconds += (performance.now() - ta) / 1000;
      const layer = env.currentLayer;
      const r = env.step(action);
      if (r.clamped && !r.pinned) clamped++;
      transitions.push({ state, action: r.applied, nextState: r.next ?? state, done: r.next === null });
      chosen.push({ layer: layer.index, i: env.layers.indexOf(layer), spec: r.spec });
      if (r.next) state = r.next;
    }
    let strategy = env.finishStrategy();
    const filled = await maybeFill(ctx, strategy);
    if (filled !== strategy) {
      const again = walk(episode, filled, false);
      transitions = again.transitions;
      strategy = again.strategy;
    }
    // the layers as measured (filled)
    for (const c of chosen) emit({ type: 'layer-chosen', episode, layer: c.layer, choice: describeSpec(env.layers[c.i].name, strategy[c.i], env.channelsAt(c.i, strategy[c.i])) });
    return { episode, strategy, phase, agentSeconds, clamped, transitions };
  };

  return {
    planned: config.episodes,
    async propose(episodes) {
      const out: Proposal[] = [];
      for (const episode of episodes) {
        // the seed is a batch of its own: the actor imitates it (learn) before any other episode acts
        if (episode === 0 && warmStart) return [await seedProposal()];
        out.push(await play(episode));
      }
      return out;
    },
    async learn(proposal, reward) {
      for (const t of proposal.transitions) agent.observe(t);
      const report = agent.endEpisode(reward);
      if (proposal.episode === 0 && warmStart) imitateSeed(proposal);
      return { report, checkpoint: await agent.checkpoint() };
    },
    restore: (cp) => agent.restore(cp as AgentCheckpoint),
    dispose: () => agent.dispose(),
  };

  /** The actor imitates the seed until its noise-free action gives the seed's setting at every step of the walk. */
  function imitateSeed(seed: Proposal): void {
    const states = seed.transitions.map((t) => t.state);
    const actions = seed.transitions.map((t) => t.action);
    const space = env.config.space;
    const r = imitateUntil(agent, states, actions, { reproduced: (i, action) => sameSpec(actionToSpec(action, space), actionToSpec(actions[i], space)) });
    const n = states.length;
    if (r.wrong.length === 0) {
      emit({ type: 'log', level: 'info', message: `warm start: the actor imitates the knapsack answer and reproduces it on all ${n} layers (${r.steps} steps, squared error ${r.loss.toExponential(2)})` });
    } else {
      emit({ type: 'log', level: 'warn', message: `warm start: after ${r.steps} imitation steps the actor still misses the knapsack answer on ${r.wrong.length} of ${n} layers; the search starts from its nearest policy` });
    }
  }
}
