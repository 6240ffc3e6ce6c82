/**
 * What the search bought: beside a run's result, the answers of the planners that need no search, each through the
 * SAME re-rank and final fine-tune (steps, learning rate, seed, batches) as the run's pick: the uniform strategy at
 * the same budget (one setting for every layer: the k costliest that fit), and the knapsack's answer (measured
 * sensitivities, the exact multiple-choice knapsack: its k best solutions) or, with the channels knob, which the
 * knapsack cannot plan, the channel plan of equal cost (AMC's hand rule). A run of one of them skips that one (it is
 * the result). `--references false` skips them; their extra time is reported.
 */
import { join } from 'node:path';
import { describeSpec } from '../../env/knobs.js';
import type { LayerSpec } from '../../learners/types.js';
import { parseRunConfig, type RunConfig } from '../config.js';
import type { BuiltEnvironment } from '../environment.js';
import { type Evaluator, evaluateStrategies, inProcessEvaluator } from '../evaluators/evaluator.js';
import { createPlanner } from '../planners.js';
import type { LatencyCheck } from './latency-check.js';
import { rerank, type StoredEpisode } from './rerank.js';
import { settingsOf, toSpecs } from './specs.js';

export type ReferenceAgent = 'uniform' | 'knapsack' | 'plan';

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
  /** Candidates the re-rank chose among (1 = the planner's answer went to the final as it was). */
  candidates: number;
  /** Planning (the knapsack's sensitivities), scoring and re-ranking its candidates, and the final fine-tune, seconds. */
  seconds: number;
  /** Runs with a latency budget: its built model timed beside the original, as the run's own pick is. */
  latency?: LatencyCheck;
}

/** The references a run gets: uniform, and the knapsack (without channels) or the channel plan (with them), less its
 * own planner; none without a final stage or with `references` off. */
export function referenceAgents(config: RunConfig): ReferenceAgent[] {
  if (!config.references || config.finalSteps === 0) return [];
  return (['uniform', 'knapsack', 'plan'] as const).filter((agent) => agent !== config.agent && plannable(config, agent));
}

function plannable(config: RunConfig, agent: ReferenceAgent): boolean {
  try {
    parseRunConfig({ ...config, agent });
    return true;
  } catch {
    return false;
  }
}

/**
 * The strategy `agent` would finish on the run's environment (the original weights, no events), through the run's
 * own pipeline: its `--rerank-top` candidates (uniform: the k costliest settings that fit; knapsack: its k best
 * solutions), each scored as the run's episodes were, then the same re-rank on the same images. A reference that went
 * to the final stage with its first candidate alone would be weaker than the run's pick by the re-rank's choice, not
 * by its planner. `evaluator`: the run's own (--workers, --queue), so the references' measurements run as parallel as
 * the run's did; the answers are the same in one process.
 */
export async function referenceStrategy(built: BuiltEnvironment, config: RunConfig, agent: ReferenceAgent, evaluator: Evaluator = inProcessEvaluator(built.env)): Promise<{ specs: LayerSpec[]; candidates: number }> {
  const { env } = built;
  const asAgent = parseRunConfig({ ...config, agent });
  const episodes = await referenceCandidates(built, asAgent, evaluator);
  const table = config.rerankTop > 0 && episodes.length > 1 ? await rerank(built, asAgent, episodes, evaluator) : [];
  const pick = table.length ? episodes.find((e) => e.episode === table[0].episode)! : episodes[0];
  env.restoreOriginal();
  return { specs: toSpecs(pick.strategy, settingsOf(config)), candidates: episodes.length };
}

/** The planner's candidates as episodes, scored as the search scores an episode (reward, accuracy). */
async function referenceCandidates(built: BuiltEnvironment, config: RunConfig, evaluator: Evaluator): Promise<StoredEpisode[]> {
  const { env } = built;
  env.restoreOriginal();
  const planner = createPlanner({ env, config, emit: () => {}, evaluate: (strategies, o = {}) => evaluateStrategies(env, evaluator, strategies, o) });
  try {
    const proposals = await planner.propose(Array.from({ length: planner.planned }, (_, i) => i));
    const scored = await evaluateStrategies(env, evaluator, proposals.map((p) => p.strategy));
    return proposals.map((p, i) => {
      // as a run stores its episodes and its final stage reads them back: the same specs, byte for byte
      const channels = env.layerChannels(p.strategy);
      const strategy = p.strategy.map((spec, l) => describeSpec(env.layers[l].name, spec, channels[l]));
      return { episode: p.episode, accuracy: scored[i].accuracy, reward: scored[i].reward, strategy };
    });
  } finally {
    planner.dispose();
    env.restoreOriginal();
  }
}

/** Where a reference's files go: beside the run's, under references/<agent>. */
export function referenceOut(out: string, agent: ReferenceAgent): string {
  return join(out, 'references', agent);
}
