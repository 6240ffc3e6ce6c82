/**
 * Every way of choosing strategies, behind the one interface the search loop calls (run/planners/types.ts):
 * - ddpg, random (run/planners/agent-planner.ts): an agent walks the layers; the env's wall clamps each action.
 * - knapsack (run/planners/knapsack.ts): HAWQ-V3's multiple-choice knapsack over measured sensitivities, its k best.
 * - greedy (run/planners/greedy.ts): AIMET/HAWQ-style greedy over the same sensitivities, its answer and alternatives.
 * - uniform (run/planners/uniform.ts): the k costliest identical settings that fit.
 * - local (run/planners/local.ts): best-improvement local search from the knapsack's answer (channels: the plan's).
 * - plan (run/planners/channel-plan.ts): the channels hand rule of equal cost, on the run's grid.
 * Every planner but uniform and plan sends its strategies through the fill pass (run/planners/fill-strategy.ts); every one
 * stores at least --rerank-top candidates as episodes, so the re-rank and the final stage treat them alike.
 * docs/planners.md describes them together.
 */
import type { RunConfig } from './config.js';
import { agentPlanner } from './planners/agent-planner.js';
import { greedyPlanner } from './planners/greedy.js';
import { knapsackPlanner } from './planners/knapsack.js';
import { planPlanner } from './planners/channel-plan.js';
import { localPlanner } from './planners/local.js';
import { candidatesOf, type Planner, type PlannerContext } from './planners/types.js';
import { uniformPlanner } from './planners/uniform.js';

export { Aborted, type Planner, type PlannerContext, type Proposal } from './planners/types.js';
export { uniformAction, uniformStrategies } from './planners/uniform.js';

export function createPlanner(ctx: PlannerContext): Planner {
  switch (ctx.config.agent) {
    case 'greedy':
      return greedyPlanner(ctx);
    case 'knapsack':
      return knapsackPlanner(ctx);
    case 'uniform':
      return uniformPlanner(ctx);
    case 'local':
      return localPlanner(ctx);
    case 'plan':
      return planPlanner(ctx);
    default:
      return agentPlanner(ctx);
  }
}

/** Episodes a run of `config` plans: --episodes for the searched planners, --rerank-top for the others. */
export function plannedEpisodes(config: RunConfig): number {
  return ['uniform', 'greedy', 'knapsack', 'plan'].includes(config.agent) ? candidatesOf(config) : config.episodes;
}
