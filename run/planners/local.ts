/**
 * `--agent local`: best-improvement local search from the knapsack's answer (agent/local-search.ts), every
 * neighbour measured as an episode of the run (its fine-tune and reward), for as many episodes as DDPG gets. The
 * control that tells whether DDPG's critic adds anything over plain search around the same start. A layer's ladder
 * is its measured options on the Pareto frontier of cost against predicted loss (run/planners/sensitivities.ts), so
 * one step up or down is a step along what the knapsack itself would consider.
 *
 * With the channels knob the knapsack cannot plan (a layer's channels change its consumer's cost): the search starts
 * from the channel plan (run/planners/channel-plan.ts), a layer's ladder is its preserve-ratio grid, a move is one
 * layer a rung up and another a rung down where the whole strategy still fits every budget, and each neighbour goes
 * through the channel fill pass (run/planners/channel-fill.ts).
 */
import { paretoFrontier } from '../../agent/frontier.js';
import { LocalSearch, type LocalSearchState } from '../../agent/local-search.js';
import { sameSpec } from '../../env/budget.js';
import { describeSpec } from '../../env/knobs.js';
import type { LayerSpec } from '../../learners/types.js';
import { channelFill, fillsChannels } from './channel-fill.js';
import { channelPlan, preserveLadders } from './channel-plan.js';
import { fills } from './fill-strategy.js';
import { knapsackCandidates } from './knapsack.js';
import { predictedLoss, sensitivities } from './sensitivities.js';
import type { Planner, PlannerContext, Proposal } from './types.js';

interface LocalCheckpoint {
  format: 'autoshrink-local';
  version: 1;
  search: LocalSearchState;
}

export function localPlanner(ctx: PlannerContext): Planner {
  const { env, config, emit } = ctx;
  let ready: Promise<{ search: LocalSearch; ladders: LayerSpec[][] }> | null = null;
  let restored: LocalSearchState | null = null;
  const setup = async () => (env.channels ? channelSetup() : knapsackSetup());
  const channelSetup = async () => {
    const s = await sensitivities(ctx);
    const ladders = preserveLadders(env);
    const toChoice = (strategy: LayerSpec[]) => strategy.map((spec, l) => ladders[l].findIndex((x) => sameSpec(x, spec)));
    const start = toChoice(channelPlan(env));
    const search = new LocalSearch({
      ladders: ladders.map((ladder, l) => ladder.map((spec) => ({ cost: s.units(l, spec), loss: predictedLoss(s, l, spec) }))),
      budget: s.budget,
      fits: (choice) => env.fits(toStrategy(ladders, choice)),
      fillWith: (choice) => toChoice(channelFill(s, ctx, toStrategy(ladders, choice), undefined, ladders).strategy),
      start,
      seed: config.seed,
      fill: fillsChannels(ctx),
    });
    emit({ type: 'log', level: 'info', message: 'local: starting from the channel plan; a move takes one layer a rung up its preserve ratios and another a rung down' });
    if (restored) search.restore(restored);
    return { search, ladders };
  };
  const knapsackSetup = async () => {
    const s = await sensitivities(ctx);
    const [start] = await knapsackCandidates(ctx, 1);
    const ladders: LayerSpec[][] = [];
    const options = s.layers.map((o, l) => {
      const onFrontier = paretoFrontier(o.costs.map((cost, j) => ({ cost, loss: o.losses[j] })));
      const at = o.specs.findIndex((x) => sameSpec(x, start[l]));
      const keep = [...new Set([...onFrontier, at].filter((j) => j >= 0))].sort((a, b) => o.costs[a] - o.costs[b] || o.losses[a] - o.losses[b] || a - b);
      ladders.push(keep.map((j) => o.specs[j]));
      return keep.map((j) => ({ cost: o.costs[j], loss: o.losses[j] }));
    });
    const search = new LocalSearch({
      ladders: options,
      budget: s.budget,
      start: start.map((spec, l) => ladders[l].findIndex((x) => sameSpec(x, spec))),
      seed: config.seed,
      fill: fills(ctx),
    });
    if (restored) search.restore(restored);
    return { search, ladders };
  };
  const toStrategy = (ladders: LayerSpec[][], choice: number[]) => choice.map((j, l) => ladders[l][j]);
  const toChoice = (ladders: LayerSpec[][], strategy: LayerSpec[]) => strategy.map((spec, l) => ladders[l].findIndex((x) => sameSpec(x, spec)));
  return {
    planned: config.episodes,
    async propose(episodes) {
      ready ??= setup();
      const { search, ladders } = await ready;
      const out: Proposal[] = [];
      for (const episode of episodes) {
        const choice = search.next();
        if (choice === null) break;
        const strategy = toStrategy(ladders, choice);
        emit({ type: 'episode-started', episode, phase: 'learning' });
        strategy.forEach((spec, l) => emit({ type: 'layer-chosen', episode, layer: env.layers[l].index, choice: describeSpec(env.layers[l].name, spec, env.channelsAt(l, spec)) }));
        out.push({ episode, strategy, phase: 'learning', agentSeconds: 0, clamped: 0, transitions: [] });
      }
      return out;
    },
    async learn(proposal, reward) {
      ready ??= setup();
      const { search, ladders } = await ready;
      search.report(toChoice(ladders, proposal.strategy), reward);
      const checkpoint: LocalCheckpoint = { format: 'autoshrink-local', version: 1, search: search.state() };
      return { report: null, checkpoint };
    },
    restore(cp) {
      const c = cp as LocalCheckpoint;
      if (c?.format === 'autoshrink-local') restored = c.search;
    },
    dispose: () => {},
  };
}
