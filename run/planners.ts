/**
 * Every way of choosing a strategy, behind the one interface the search loop calls (DESIGN.md "Planners"):
 * - `agentPlanner`: an agent (ddpg, random, uniform) walks the layers; the env's wall clamps each action.
 * - `greedyPlanner`: AIMET/HAWQ-style greedy over measured per-layer sensitivities (agent/greedy.ts), one episode.
 * - `knapsackPlanner`: HAWQ-V3's answer: per-layer, per-setting sensitivities (validation loss, no fine-tune), then
 *   the exact multiple-choice knapsack under the budget (agent/knapsack.ts), one episode.
 *
 * Batched rollouts: `propose` gets B episode numbers and returns B strategies made from the policy as it stands at
 * the batch start; the loop evaluates them concurrently, then calls `learn` once per episode in proposal order. The
 * same seed and the same B give the same strategies whatever evaluates them. A planner may return fewer proposals than
 * asked (a warm start's seed is a batch of its own); the loop goes on from the episode after the last one. Proposals are plain JSON (strategy,
 * phase, transitions), so a checkpoint can carry the unfinished rest of a batch across a kill.
 */
import type { Agent, AgentCheckpoint, EpisodeReport, Transition } from '../agent/agent.js';
import { createAgent } from '../agent/create-agent.js';
import { greedySearch } from '../agent/greedy.js';
import { solveKnapsack } from '../agent/knapsack.js';
import type { CompressionEnv, Evaluation } from '../env/compression-env.js';
import { describeSpec, specToAction } from '../env/knobs.js';
import type { LayerSpec } from '../learners/types.js';
import { agentOptions } from './agent-options.js';
import type { RunConfig } from './config.js';
import type { Phase, RunEvent } from './events.js';

/** One proposed episode: what to evaluate, and what the agent must learn from once its reward is known. */
export interface Proposal {
  episode: number;
  strategy: LayerSpec[];
  phase: Phase;
  agentSeconds: number;
  /** Layers whose choice the budget wall changed (pinned layers not counted). */
  clamped: number;
  transitions: Transition[];
}

export interface Planner {
  readonly planned: number;
  /** Strategies for `episodes` (consecutive), from the policy as it stands; emits episode-started and layer-chosen. */
  propose(episodes: number[]): Promise<Proposal[]>;
  /** Learn from one finished episode (in proposal order); returns the agent's report and the checkpoint to store. */
  learn(proposal: Proposal, reward: number): Promise<{ report: EpisodeReport | null; checkpoint: unknown }>;
  restore(checkpoint: unknown): void;
  dispose(): void;
}

/** What a planner may use: the env (coordinator side), the run's config, events, and the evaluation seam. */
export interface PlannerContext {
  env: CompressionEnv;
  config: RunConfig;
  emit: (event: RunEvent) => void;
  /** Evaluate strategies (cached, concurrently where the evaluator can), results in the order given. */
  evaluate: (strategies: LayerSpec[][], opts?: { steps?: number }) => Promise<Evaluation[]>;
  signal?: AbortSignal;
}

export class Aborted extends Error {}

export function createPlanner(ctx: PlannerContext): Planner {
  switch (ctx.config.agent) {
    case 'greedy':
      return greedyPlanner(ctx);
    case 'knapsack':
      return knapsackPlanner(ctx);
    default:
      return agentPlanner(ctx);
  }
}

/** The uniform agent's one setting: the most expensive identical setting of every searched layer that fits. */
export function uniformAction(env: CompressionEnv): number[] {
  const plan = env.plan;
  const grid = plan.candidates.find((c) => c.specs.length > 1)?.specs ?? plan.candidates[0].specs;
  let best: LayerSpec | null = null;
  let bestCost = -Infinity;
  for (const spec of grid) {
    const strategy = env.layers.map((_, i) => (plan.candidates[i].specs.length === 1 ? plan.candidates[i].specs[0] : spec));
    const cost = env.cost(strategy);
    if (cost <= plan.limit && (cost > bestCost || (cost === bestCost && best !== null && spec.bits > best.bits))) {
      best = spec;
      bestCost = cost;
    }
  }
  return specToAction(best ?? grid[0], env.config.space);
}

/** Actor updates of the warm start's behaviour cloning. */
const IMITATION_STEPS = 400;

function agentPlanner(ctx: PlannerContext): Planner {
  const { env, config, emit } = ctx;
  const agent: Agent = createAgent(config.agent, {
    stateSize: env.stateSize,
    actionSize: env.actionSize,
    layers: env.layers.length,
    action: config.agent === 'uniform' ? uniformAction(env) : undefined,
    ...agentOptions(config),
  });
  const warmStart = config.agent === 'ddpg' && config.warmStart === 'knapsack';
  /** Episode 0 of a warm-started run: the knapsack's answer, walked through the env so its transitions are real. */
  const seedProposal = async (): Promise<Proposal> => {
    const strategy = await knapsackStrategy(ctx);
    emit({ type: 'episode-started', episode: 0, phase: agent.phase(0) });
    const transitions: Transition[] = [];
    let state = env.reset(0);
    for (let step = 0; step < env.layers.length; step++) {
      const layer = env.currentLayer;
      const r = env.step(specToAction(strategy[env.layers.indexOf(layer)], env.config.space));
      transitions.push({ state, action: r.applied, nextState: r.next ?? state, done: r.next === null });
      emit({ type: 'layer-chosen', episode: 0, layer: layer.index, choice: describeSpec(layer.name, r.spec, env.channelsAt(env.layers.indexOf(layer), r.spec)) });
      if (r.next) state = r.next;
    }
    return { episode: 0, strategy: env.finishStrategy(), phase: agent.phase(0), agentSeconds: 0, clamped: 0, transitions };
  };
  return {
    planned: config.agent === 'uniform' ? 1 : config.episodes,
    async propose(episodes) {
      const out: Proposal[] = [];
      for (const episode of episodes) {
        if (episode === 0 && warmStart) {
          // the seed is a batch of its own: the actor imitates it (learn) before any other episode acts
          return [await seedProposal()];
        }
        const phase = agent.phase(episode);
        emit({ type: 'episode-started', episode, phase });
        let agentSeconds = 0;
        let clamped = 0;
        const transitions: Transition[] = [];
        let state = env.reset(episode);
        for (let step = 0; step < env.layers.length; step++) {
          const ta = performance.now();
          const action = agent.act(state, phase !== 'policy', episode);
          agentSeconds += (performance.now() - ta) / 1000;
          const layer = env.currentLayer;
          const r = env.step(action);
          if (r.clamped && !r.pinned) clamped++;
          transitions.push({ state, action: r.applied, nextState: r.next ?? state, done: r.next === null });
          emit({ type: 'layer-chosen', episode, layer: layer.index, choice: describeSpec(layer.name, r.spec, env.channelsAt(env.layers.indexOf(layer), r.spec)) });
          if (r.next) state = r.next;
        }
        out.push({ episode, strategy: env.finishStrategy(), phase, agentSeconds, clamped, transitions });
      }
      return out;
    },
    async learn(proposal, reward) {
      for (const t of proposal.transitions) agent.observe(t);
      const report = agent.endEpisode(reward);
      if (proposal.episode === 0 && warmStart && agent.imitate) {
        const loss = agent.imitate(proposal.transitions.map((t) => t.state), proposal.transitions.map((t) => t.action), IMITATION_STEPS);
        emit({ type: 'log', level: 'info', message: `warm start: the actor imitates the knapsack answer (${IMITATION_STEPS} steps, squared error ${loss.toExponential(2)})` });
      }
      return { report, checkpoint: await agent.checkpoint() };
    },
    restore: (cp) => agent.restore(cp as AgentCheckpoint),
    dispose: () => agent.dispose(),
  };
}

/** Settings measured per layer by the sensitivity planners: the layer's settings sorted by cost, thinned evenly. */
function ladders(env: CompressionEnv, rungs: number): LayerSpec[][] {
  return env.plan.candidates.map(({ specs }) => {
    const desc = specs.slice().reverse();
    if (desc.length <= rungs) return desc;
    return Array.from({ length: rungs }, (_, k) => desc[Math.round((k * (desc.length - 1)) / (rungs - 1))]);
  });
}

/** A planner that makes its one strategy by measuring, then stores it as episode 0 (it has no agent to learn). */
function oneShot(ctx: PlannerContext, make: () => Promise<LayerSpec[]>): Planner {
  return {
    planned: 1,
    async propose(episodes) {
      const episode = episodes[0];
      ctx.emit({ type: 'episode-started', episode, phase: 'learning' });
      const strategy = await make();
      strategy.forEach((spec, l) => ctx.emit({ type: 'layer-chosen', episode, layer: ctx.env.layers[l].index, choice: describeSpec(ctx.env.layers[l].name, spec, ctx.env.channelsAt(l, spec)) }));
      return [{ episode, strategy, phase: 'learning', agentSeconds: 0, clamped: 0, transitions: [] }];
    },
    learn: async () => ({ report: null, checkpoint: { format: `autoshrink-${ctx.config.agent}`, version: 1 } }),
    restore: () => {},
    dispose: () => {},
  };
}

/** Greedy ladder length per layer: candidates spread evenly over the layer's settings sorted by cost. */
const GREEDY_LADDER = 8;

/**
 * AIMET/HAWQ-style greedy (agent/greedy.ts): per-layer sensitivity (accuracy drop with only that layer lowered, each
 * a short fine-tune + validation like an episode), then lower the least sensitive layer per unit of cost saved until
 * the budget holds. Not resumable mid-way: a stopped greedy run starts its sensitivity pass again (measured
 * strategies are cached in the run's checkpoint once it finishes).
 */
function greedyPlanner(ctx: PlannerContext): Planner {
  const { env, emit } = ctx;
  const ladder = ladders(env, GREEDY_LADDER);
  return oneShot(ctx, async () => {
    const top = ladder.map((l) => l[0]);
    const [reference] = await ctx.evaluate([top]);
    const result = await greedySearch({
      candidates: ladder.map((l) => l.map((_, j) => [j])),
      sensitivity: async (layer, j) => {
        if (ctx.signal?.aborted) throw new Aborted();
        const strategy = top.slice();
        strategy[layer] = ladder[layer][j];
        const [e] = await ctx.evaluate([strategy]);
        const c = describeSpec(env.layers[layer].name, strategy[layer]);
        emit({ type: 'log', level: 'info', message: `sensitivity ${c.name} at ${c.bits} bits, ${Math.round(c.pruneRatio * 100)}% pruned, ${c.clusters} clusters: accuracy ${(e.accuracy * 100).toFixed(2)}% (${((reference.accuracy - e.accuracy) * 100).toFixed(2)} points lost)` });
        return reference.accuracy - e.accuracy;
      },
      cost: (assignment) => env.cost(assignment.map((j, l) => ladder[l][j])),
      budget: env.plan.limit,
    });
    return result.assignment.map((j, l) => ladder[l][j]);
  });
}

/** Settings measured per layer by the knapsack planner (all of them when a layer has no more). */
const KNAPSACK_LADDER = 24;

/**
 * HAWQ-V3 (REFERENCE.md section 8) with measured sensitivities: for each layer and each setting on its ladder, the
 * validation loss with only that layer compressed (no fine-tune: the damage the setting does, as HAWQ's Hessian
 * estimate approximates it), minus the uncompressed loss; then the exact multiple-choice knapsack picks one setting
 * per layer minimising the summed loss increase under the budget. Cross-entropy rather than accuracy: it moves with
 * every confidence, so small differences between settings are not lost to the 1/N steps of an accuracy.
 */
function knapsackPlanner(ctx: PlannerContext): Planner {
  return oneShot(ctx, () => knapsackStrategy(ctx));
}

async function knapsackStrategy(ctx: PlannerContext): Promise<LayerSpec[]> {
  const { env, emit } = ctx;
  const ladder = ladders(env, KNAPSACK_LADDER);
  const top = env.layers.map(() => ({ ...env.config.space.base, bits: 32, pruneRatio: 0, clusters: 0 }));
  const jobs: LayerSpec[][] = [top];
  ladder.forEach((rungs, l) => rungs.forEach((spec) => jobs.push(top.map((s, i) => (i === l ? spec : s)))));
  emit({ type: 'log', level: 'info', message: `knapsack: measuring ${jobs.length - 1} layer settings without fine-tune` });
  const results = await ctx.evaluate(jobs, { steps: 0 });
  if (ctx.signal?.aborted) throw new Aborted();
  const reference = results[0].loss;
  let k = 1;
  const options = ladder.map((rungs, l) => rungs.map((spec) => ({ cost: env.layerCost(l, spec), loss: Math.max(0, results[k++].loss - reference) })));
  const solved = solveKnapsack(options, env.plan.limit - env.plan.fixed);
  emit({ type: 'log', level: 'info', message: `knapsack: predicted loss increase ${solved.loss.toFixed(4)} (lower bound ${solved.lowerBound.toFixed(4)})` });
  return solved.choice.map((j, l) => ladder[l][j]);
}
