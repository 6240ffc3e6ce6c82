/**
 * An agent (ddpg, random) walks the layers; the env's wall clamps each action; the fill pass spends what the walls
 * left (run/planners/fill-strategy.ts), and a filled strategy is walked again through the env so the transitions the
 * agent stores are the strategy that is measured (the same walk: layer order is seeded per episode).
 *
 * Warm start (--warm-start knapsack): episode 0 is the knapsack's answer, walked through the env so its transitions
 * are real, a batch of its own; after its reward the actor imitates it until its own noise-free action reproduces the
 * answer on every layer (agent/imitate-until.ts), so the search explores around the strong baseline. With the channels
 * knob the knapsack cannot plan; --warm-start plan seeds the same way from the channel plan (run/planners/channel-plan.ts),
 * filled by the channel fill pass like every other episode.
 */
import type { Agent, AgentCheckpoint, Transition } from '../../agent/agent.js';
import { createAgent } from '../../agent/create-agent.js';
import { imitateUntil } from '../../agent/imitate-until.js';
import { sameSpec } from '../../env/budget.js';
import { actionToSpec, describeSpec, specToAction } from '../../env/knobs.js';
import type { LayerSpec } from '../../learners/types.js';
import { agentOptions } from '../agent-options.js';
import type { Phase } from '../events.js';
import { channelPlan } from './channel-plan.js';
import { maybeFill } from './fill-strategy.js';
import { knapsackCandidates } from './knapsack.js';
import { NetworkJournal } from './network-journal.js';
import type { Planner, PlannerContext, Proposal } from './types.js';

export function agentPlanner(ctx: PlannerContext): Planner {
  const { env, config, emit } = ctx;
  const agent: Agent = createAgent(config.agent, {
    stateSize: env.stateSize,
    actionSize: env.actionSize,
    layers: env.layers.length,
    ...agentOptions(config),
  });
  const warmStart = config.agent === 'ddpg' && (config.warmStart === 'knapsack' || config.warmStart === 'plan');
  const seedName = config.warmStart === 'plan' ? 'the channel plan' : 'the knapsack answer';
  const journal = new NetworkJournal(agent, ctx.networkCheckpointEvery);

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

  /** Episode 0 of a warm-started run: the knapsack's answer (filled), or the channel plan (filled). */
  const seedProposal = async (): Promise<Proposal> => {
    const [strategy] = config.warmStart === 'plan' ? [await maybeFill(ctx, channelPlan(env))] : await knapsackCandidates(ctx, 1);
    emit({ type: 'episode-started', episode: 0, phase: agent.phase(0) });
    const seed = walk(0, strategy, true);
    return { episode: 0, strategy: seed.strategy, phase: agent.phase(0), agentSeconds: 0, clamped: 0, transitions: seed.transitions, alone: true };
  };

  /**
   * One episode played by the agent, then filled (and walked again if the fill changed it). An exploring episode
   * that lands on a strategy the run already measured (or proposed earlier in this batch) is drawn again, up to
   * --redraws times, with its noise doubled and the layers its noise moved kept out of the fill: the fill spends
   * what a layer moved down saved on the best loss per byte, which is mostly that same layer back up, so a
   * perturbation around a filled policy returns to it and the run replays a few strategies (the noise alone
   * cannot help: it is small late in a run).
   */
  const play = async (episode: number, seen: LayerSpec[][]): Promise<Proposal> => {
    const phase: Phase = agent.phase(episode);
    emit({ type: 'episode-started', episode, phase });
    let agentSeconds = 0;
    let drawn = playOnce(episode, phase, 1, false);
    agentSeconds += drawn.agentSeconds;
    let strategy = await fillWalk(episode, drawn);
    for (let redraw = 1; phase !== 'policy' && redraw <= config.redraws && known(strategy.strategy, seen); redraw++) {
      drawn = playOnce(episode, phase, 2 ** redraw, true);
      agentSeconds += drawn.agentSeconds;
      strategy = await fillWalk(episode, drawn);
    }
    seen.push(strategy.strategy);
    // the layers as measured (filled)
    for (const c of drawn.chosen) emit({ type: 'layer-chosen', episode, layer: c.layer, choice: describeSpec(env.layers[c.i].name, strategy.strategy[c.i], env.channelsAt(c.i, strategy.strategy[c.i])) });
    return { episode, strategy: strategy.strategy, phase, agentSeconds, clamped: drawn.clamped, transitions: strategy.transitions };
  };

  /**
   * The agent's walk of the layers, its actions clamped by the walls. With `markMoved` (DDPG), `frozen` marks the
   * layers where the noise changed the setting from the actor's own (the fill leaves them where the noise put them).
   */
  const playOnce = (episode: number, phase: Phase, noiseScale: number, markMoved: boolean) => {
    let agentSeconds = 0;
    let clamped = 0;
    const transitions: Transition[] = [];
    const chosen: Array<{ layer: number; i: number }> = [];
    const frozen = new Array<boolean>(env.layers.length).fill(false);
    const space = env.config.space;
    let state = env.reset(episode);
    for (let step = 0; step < env.layers.length; step++) {
      const ta = performance.now();
      const action = agent.act(state, phase !== 'policy', episode, noiseScale);
      // act(state, false) is the actor's output and draws nothing from the agent's RNG
      const moved = markMoved && agent.kind === 'ddpg' && !sameSpec(actionToSpec(action, space), actionToSpec(agent.act(state, false, episode), space));
      agentSeconds += (performance.now() - ta) / 1000;
      frozen[env.layers.indexOf(env.currentLayer)] = moved;
      const layer = env.currentLayer;
      const r = env.step(action);
      if (r.clamped && !r.pinned) clamped++;
      transitions.push({ state, action: r.applied, nextState: r.next ?? state, done: r.next === null });
      chosen.push({ layer: layer.index, i: env.layers.indexOf(layer) });
      if (r.next) state = r.next;
    }
    return { agentSeconds, clamped, transitions, chosen, frozen, strategy: env.finishStrategy() };
  };

  /** The fill pass on a played walk; a changed strategy is walked again so the stored transitions are the filled ones. */
  const fillWalk = async (episode: number, drawn: { strategy: LayerSpec[]; transitions: Transition[]; frozen: boolean[] }) => {
    const filled = await maybeFill(ctx, drawn.strategy, drawn.frozen);
    if (filled === drawn.strategy) return { strategy: drawn.strategy, transitions: drawn.transitions };
    return walk(episode, filled, false);
  };

  /** Measured in this run, or proposed earlier in the same batch. */
  const known = (strategy: LayerSpec[], seen: LayerSpec[][]) =>
    env.cached(strategy) !== undefined || seen.some((s) => s.every((x, i) => sameSpec(x, strategy[i])));

  return {
    planned: config.episodes,
    async propose(episodes) {
      const out: Proposal[] = [];
      const seen: LayerSpec[][] = [];
      for (const episode of episodes) {
        // the seed is a batch of its own: the actor imitates it (learn) before any other episode acts
        if (episode === 0 && warmStart) return [await seedProposal()];
        out.push(await play(episode, seen));
      }
      return out;
    },
    async learn(proposal, reward) {
      journal.beforeLearn();
      for (const t of proposal.transitions) agent.observe(t);
      const report = agent.endEpisode(reward);
      if (proposal.episode === 0 && warmStart) imitateSeed(proposal);
      // the imitation is not in the journal: episode 0's checkpoint always carries the networks after it
      return { report, checkpoint: await journal.checkpoint(proposal.episode, reward, proposal.transitions) };
    },
    restore: (cp, stored) => journal.restore(cp as AgentCheckpoint, stored),
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
      emit({ type: 'log', level: 'info', message: `warm start: the actor imitates ${seedName} and reproduces it on all ${n} layers (${r.steps} steps, squared error ${r.loss.toExponential(2)})` });
    } else {
      emit({ type: 'log', level: 'warn', message: `warm start: after ${r.steps} imitation steps the actor still misses ${seedName} on ${r.wrong.length} of ${n} layers; the search starts from its nearest policy` });
    }
  }
}
