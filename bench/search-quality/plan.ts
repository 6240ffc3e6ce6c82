/**
 * What the harness runs: each planner label as a run config, and the jobs (cell x planner x seed). Every planner goes
 * through the product's own pipeline (runSearch, then finishRun's re-rank of its top candidates and the final stage),
 * so a label only sets run-config fields. Fields this build does not know (a planner or a pipeline flag not merged
 * yet) are refused up front, in one line per planner, never skipped silently.
 */
import { parseBudget } from '../../env/budget.js';
import { isInputError } from '../../errors.js';
import { parseRunConfig, type RunConfig } from '../../run/config.js';
import { FlagError, type Options, perModel, type Regime, regimeText } from './flags.js';

/** The local search given the DDPG run's measured wall time (same seed, same cell). */
export const TIME_MATCHED = 'local@ddpg-time';
/** Planners that run for a number of episodes; the others answer once (and hand over their k best candidates). */
export const SEARCHED = new Set(['local', 'random', 'ddpg', 'ddpg+knapsack', 'ddpg+plan', TIME_MATCHED]);
/** The DDPG planners, whose paired differences against every other planner the report gives. */
export const DDPG_PLANNERS = ['ddpg+knapsack', 'ddpg+plan', 'ddpg'];
const KNOWN = ['uniform', 'greedy', 'knapsack', 'local', 'random', 'ddpg', 'ddpg+knapsack', 'plan', 'ddpg+plan'];

/** The run-config fields of a planner label (besides the cell's). */
export function plannerFields(label: string, o: Pick<Options, 'criticWarmup'> & { knobs?: string[] }): Record<string, unknown> {
  // a suffix changes one setting of the planner before it, as its own row: `@b<N>` proposes N strategies from one
  // policy before it learns (--rollout-batch N); DDPG's learner: `@h<A>x<B>` its hidden layers (--hidden A,B),
  // `@u<N>` its updates per episode (--updates-per-episode N)
  const suffixed = /^(.+)@([bhu])([0-9x]+)$/.exec(label);
  if (suffixed) {
    const [, base, kind, value] = suffixed;
    const fields = plannerFields(base, o);
    const ddpg = fields.agent === 'ddpg';
    if (kind === 'b' && /^[1-9][0-9]*$/.test(value)) return { ...fields, rolloutBatch: Number(value) };
    if (kind === 'h' && ddpg && /^[1-9][0-9]*(x[1-9][0-9]*)*$/.test(value)) return { ...fields, hidden: value.split('x').map(Number) };
    if (kind === 'u' && ddpg && /^[1-9][0-9]*$/.test(value)) return { ...fields, updatesPerEpisode: Number(value) };
  }
  switch (label) {
    case 'uniform':
      // bits only: exactly "uniform N-bit", the largest N that fits; channels (bench/channel-search.ts): one preserve ratio
      return o.knobs?.includes('channels') ? { agent: 'uniform' } : { agent: 'uniform', knobs: ['bits'] };
    case 'greedy':
    case 'knapsack':
    case 'random':
    case 'local':
    case 'plan':
      return { agent: label };
    case 'ddpg+plan':
      // channels: DDPG refining the channel plan (what --warm-start auto gives with the channels knob)
      return { agent: 'ddpg', warmStart: 'plan', ...(o.criticWarmup === undefined ? {} : { criticWarmup: o.criticWarmup }) };
    case 'ddpg':
      return { agent: 'ddpg', warmStart: 'none' };
    case 'ddpg+knapsack':
      // the candidate default: DDPG refining the knapsack's answer
      return { agent: 'ddpg', warmStart: 'knapsack', ...(o.criticWarmup === undefined ? {} : { criticWarmup: o.criticWarmup }) };
    default:
      if (label === TIME_MATCHED) return { agent: 'local' };
      throw new FlagError(`--planners: unknown planner '${label}'; known: ${KNOWN.join(', ')} (any of them @bN: rollout batch N; a DDPG one @hAxB: hidden layers, @uN: updates per episode)`);
  }
}

export interface Job {
  /** model|regime|planner|seed */
  id: string;
  model: string;
  regime: string;
  planner: string;
  seed: number;
  /** The run config handed to runSearch (a time-matched job gets its episodes or time when its inputs are measured). */
  input: Record<string, unknown>;
  /** Final fine-tunes of the chosen strategy. */
  finals: number;
  /** How many of them the row's test accuracy averages (--finals; the noise probe runs more). */
  counted: number;
  /** A time-matched job: the DDPG and local rows whose wall times set its length. */
  matches?: { ddpg: string; local: string };
}

export const jobId = (model: string, regime: string, planner: string, seed: number) => `${model}|${regime}|${planner}|${seed}`;

/** The fields every run of a cell shares. */
function cellFields(o: Options, model: string, regime: Regime, seed: number): Record<string, unknown> {
  return {
    model,
    data: o.data,
    seed,
    budget: regime.budget,
    bitBounds: regime.bits,
    knobs: o.knobs,
    episodes: perModel(o.episodes, model),
    ...(o.finetuneSteps ? { finetuneSteps: perModel(o.finetuneSteps, model) } : {}),
    ...(o.finalSteps ? { finalSteps: perModel(o.finalSteps, model) } : {}),
    ...(o.rerankTop === undefined ? {} : { rerankTop: o.rerankTop }),
    ...(o.rerankSteps === undefined ? {} : { rerankSteps: o.rerankSteps }),
    ...(o.reward === undefined ? {} : { reward: o.reward }),
    ...(o.holdoutSize === undefined ? {} : { holdoutSize: o.holdoutSize }),
    ...(o.channelMethod === undefined ? {} : { channelMethod: o.channelMethod }),
  };
}

/** The DDPG planner a time-matched local search copies the wall time of: the candidate default if it runs. */
export function matchedDdpg(planners: string[]): string | undefined {
  return DDPG_PLANNERS.find((p) => planners.includes(p));
}

/** Every job, in the order they should start: cell by cell, seed by seed, the slow planners of a seed first. */
export function planJobs(o: Options): Job[] {
  const withMatch = o.timeMatch !== 'off' && o.planners.includes('local') && matchedDdpg(o.planners) !== undefined;
  const planners = [...o.planners, ...(withMatch ? [TIME_MATCHED] : [])];
  const jobs: Job[] = [];
  for (const model of o.models) {
    for (const regime of o.regimes) {
      const cell = regimeText(regime);
      for (const [s, seed] of o.seeds.entries()) {
        for (const planner of planners) {
          const probe = planner === 'knapsack' && s === 0 ? o.noiseFinals : 0;
          const job: Job = {
            id: jobId(model, cell, planner, seed),
            model,
            regime: cell,
            planner,
            seed,
            input: { ...cellFields(o, model, regime, seed), ...plannerFields(planner, o) },
            finals: Math.max(o.finals, probe),
            counted: o.finals,
          };
          if (planner === TIME_MATCHED) job.matches = { ddpg: jobId(model, cell, matchedDdpg(o.planners)!, seed), local: jobId(model, cell, 'local', seed) };
          jobs.push(job);
        }
      }
    }
  }
  return jobs;
}

/**
 * Every planner's config of every cell, parsed by this build's run config before anything runs: a field or an agent
 * it does not know stops the harness with one line per planner, naming what is missing.
 */
export function checkConfigs(jobs: Job[], o: Options): void {
  const problems = new Map<string, string>();
  for (const regime of o.regimes) {
    try {
      parseBudget(regime.budget);
    } catch (e) {
      if (!isInputError(e)) throw e;
      problems.set(`regime ${regimeText(regime)}`, (e as Error).message);
    }
  }
  for (const job of jobs) {
    const key = `planner ${job.planner}`;
    if (problems.has(key)) continue;
    try {
      parseRunConfig(withMatchedLength(job, o, { ddpgSeconds: 60, localOverheadSeconds: 0, localSecondsPerEpisode: 1 }), "run config");
    } catch (e) {
      if (!isInputError(e)) throw e;
      problems.set(key, `${(e as Error).message} (its fields: ${JSON.stringify(plannerFields(job.planner, o))}, with ${sharedFlagsText(o)}): this build does not take it; merge the branch that adds it, or leave it out`);
    }
  }
  if (problems.size) throw new FlagError([...problems].map(([what, why]) => `${what}: ${why}`).join('\n'));
}

function sharedFlagsText(o: Options): string {
  const shared = [o.holdoutSize === undefined ? '' : `holdoutSize ${o.holdoutSize}`, o.criticWarmup === undefined ? '' : `criticWarmup ${o.criticWarmup}`].filter(Boolean);
  return shared.length ? shared.join(', ') : 'the cell fields';
}

/**
 * A time-matched job's config once its length is known: `seconds` of wall time as an episode count (the local
 * search's measured seconds per episode of the same seed) or as the run's own `time` limit.
 */
export function withMatchedLength(job: Job, o: Pick<Options, 'timeMatch'>, m: MatchedLength): Record<string, unknown> {
  if (!job.matches) return job.input;
  if (o.timeMatch === 'time') return { ...job.input, time: `${Math.max(1, Math.round(m.ddpgSeconds))}s` };
  return { ...job.input, episodes: matchedEpisodes(m) };
}

/** DDPG's measured run time, and the local search's of the same seed split into fixed overhead and episodes. */
export interface MatchedLength {
  ddpgSeconds: number;
  localOverheadSeconds: number;
  localSecondsPerEpisode: number;
}

/** Episodes of local search that fill DDPG's time: (ddpg - local's overhead) / local's seconds per episode, at least 1. */
export function matchedEpisodes(m: MatchedLength): number {
  return Math.max(1, Math.round((m.ddpgSeconds - m.localOverheadSeconds) / m.localSecondsPerEpisode));
}

export type { RunConfig };
