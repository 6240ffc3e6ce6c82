/**
 * What the search bought: beside a run's result, the answers of two planners that need no search, each through the
 * SAME final fine-tune (steps, learning rate, seed, batches) as the run's pick: the uniform strategy at the same budget
 * (one setting for every layer, the most expensive that fits) and the knapsack's answer (measured sensitivities, the
 * exact multiple-choice knapsack). A run of one of them skips that one (it is the result). `--references false` skips
 * both; their extra time is reported.
 */
import { join } from 'node:path';
import { describeSpec } from '../../env/knobs.js';
import type { LayerSpec } from '../../learners/types.js';
import { parseRunConfig, type RunConfig } from '../config.js';
import type { BuiltEnvironment } from '../environment.js';
import { evaluateStrategies, inProcessEvaluator } from '../evaluators/evaluator.js';
import { createPlanner } from '../planners.js';
import { settingsOf, toSpecs } from './specs.js';

export type ReferenceAgent = 'uniform' | 'knapsack';

export interface ReferenceRow {
  agent: ReferenceAgent;
  validationAccuracy: number;
  testAccuracy: number;
  /** model.ashk as written, bytes. */
  packedBytes: number;
  /** The strategy's cost in the budget's unit, and its share of the limit. */
  cost: number;
  budgetShare: number;
  /** Where its files are. */
  out: string;
  /** Planning (the knapsack's sensitivities) and the final fine-tune, seconds. */
  seconds: number;
}

/** The references a run gets: both, less its own planner, none without a final stage, with `references` off, or
 * where the planner cannot plan the run's knobs (the knapsack and channels). */
export function referenceAgents(config: RunConfig): ReferenceAgent[] {
  if (!config.references || config.finalSteps === 0) return [];
  return (['uniform', 'knapsack'] as const).filter((agent) => agent !== config.agent && plannable(config, agent));
}

function plannable(config: RunConfig, agent: ReferenceAgent): boolean {
  try {
    parseRunConfig({ ...config, agent });
    return true;
  } catch {
    return false;
  }
}

/** The strategy `agent` would play on the run's environment (the original weights, no events). */
export async function referenceStrategy(built: BuiltEnvironment, config: RunConfig, agent: ReferenceAgent): Promise<LayerSpec[]> {
  const { env } = built;
  env.restoreOriginal();
  const evaluator = inProcessEvaluator(env);
  const planner = createPlanner({
    env,
    config: parseRunConfig({ ...config, agent }),
    emit: () => {},
    evaluate: (strategies, o = {}) => evaluateStrategies(env, evaluator, strategies, o),
  });
  try {
    const [proposal] = await planner.propose([0]);
    // as a run stores its episodes and its final stage reads them back: the same specs, byte for byte
    const channels = env.layerChannels(proposal.strategy);
    return toSpecs(proposal.strategy.map((spec, i) => describeSpec(env.layers[i].name, spec, channels[i])), settingsOf(config));
  } finally {
    planner.dispose();
    await evaluator.close();
    env.restoreOriginal();
  }
}

/** Where a reference's files go: beside the run's, under references/<agent>. */
export function referenceOut(out: string, agent: ReferenceAgent): string {
  return join(out, 'references', agent);
}
