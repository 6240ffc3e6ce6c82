/**
 * One search run: joins a planner (an agent walking the layers, or a sensitivity algorithm) to an evaluator, stores
 * every finished episode with its checkpoint in one transaction, and emits typed events. `resumeSearch` continues a
 * stopped or killed run from its last checkpoint; with the same seed it makes the choices the uninterrupted run would
 * have made (the agent's RNG, networks, replay buffer and noise are restored; layer walks are seeded per episode;
 * every fine-tune uses the run's one batch sequence).
 *
 * Batches: the planner proposes B episodes at a time (`rolloutBatch`, default the evaluator's slots), they are
 * evaluated concurrently, then learnt from and stored in proposal order. Each stored checkpoint carries the proposals
 * of its batch not yet stored, so a run killed mid-batch resumes with exactly those proposals (already measured ones
 * come from the cache) and stores each episode once. With --learn-ahead the batch after is proposed and sent to the
 * evaluator before a batch is learnt (`learnAhead`), and a checkpoint carries it too (`next`).
 *
 * Stopping: an aborted signal stops between batches, or discards the batch in flight (its fine-tunes check the
 * signal every step); the store is never left half-written.
 */
import { ConfigError, RunNotFoundError } from '../errors.js';
import type { LayerSpec } from '../learners/types.js';
import type { EpisodeReport } from '../agent/agent.js';
import { describeSpec } from '../env/knobs.js';
import { describeLeftOut, layersLeftOut } from '../env/layers.js';
import type { CompressionEnv } from '../env/compression-env.js';
import { type InMemoryData, registerInMemoryData } from '../env/data/in-memory.js';
import { parseRunConfig, parseStoredConfig, type RunConfig } from './config.js';
import { createEvaluator, type EvaluatorFactory } from './evaluators/create-evaluator.js';
import { buildEnvironment, type BuiltEnvironment, storePath } from './environment.js';
import { evaluateStrategies, type Evaluator } from './evaluators/evaluator.js';
import type { BestImprovedEvent, LayerChoice, RunEvent, RunStatus, TimeLimit } from './events.js';
import { Aborted, createPlanner, plannedEpisodes, type Proposal } from './planners.js';
import { preflight } from './preflight.js';
import { probe } from './evaluators/queue.js';
import { CheckpointLog } from './store/checkpoint-log.js';
import { openStore, type StoredCheckpoint, type Store } from './store/store.js';
import { type Clock, planTimedRun, tailFromEpisodes } from './time-probe.js';
import { parseDuration, type TimePlan } from './time-plan.js';
import { episodeDropOf, sizeCap, smallestWithin } from './goal.js';
import { versions } from './version.js';

export { AUTOSHRINK_VERSION } from './version.js';
export { buildEnvironment, envConfig, GRADUAL_PRUNING, searchSpace, storePath } from './environment.js';

export interface SearchOptions {
  workdir: string;
  /** The active backend, by our name: 'node', 'wasm' or 'cpu' (chosen by the caller through env/backend). */
  backend: string;
  onEvent?: (event: RunEvent) => void;
  signal?: AbortSignal;
  /** Resolves when the run may go on (the UI's pause key); checked between episodes. */
  waitWhilePaused?: () => Promise<void>;
  /** How episodes are evaluated; default `createEvaluator` (in-process, --workers, --queue from the config). */
  createEvaluator?: EvaluatorFactory;
  /** resumeSearch of a run made on in-memory data: the same arrays again (the run recorded their hash). */
  data?: InMemoryData;
  /** The milliseconds clock --time plans with (default performance.now; tests inject their own). */
  clock?: Clock;
  /** DDPG: episodes between two stored copies of its networks (default 25); a resume learns the episodes since
   * again, so the results do not depend on it (run/planners/network-journal.ts). */
  networkCheckpointEvery?: number;
}

/** A run's config as the library takes it: `data` may be the arrays themselves (env/data/in-memory.ts). */
export type SearchInput = Omit<Partial<RunConfig>, 'data'> & { data?: string | InMemoryData };

/** In-memory data is named by its hash (`memory:...`); queue workers, in other processes, cannot receive it. */
function dataSpecOf(input: SearchInput): Partial<RunConfig> {
  return input.data === undefined || typeof input.data === 'string' ? (input as Partial<RunConfig>) : { ...input, data: registerInMemoryData(input.data) };
}
function refuseQueuedMemoryData(config: RunConfig): void {
  if (config.queue && config.data.startsWith('memory:')) {
    throw new ConfigError('in-memory data cannot go to queue workers (other processes): save it with numpy.savez and pass data: "npz:FILE", or run without a queue');
  }
}

export interface SearchResult {
  runId: string;
  status: RunStatus;
  episodes: number;
  best: BestImprovedEvent | null;
}

function choices(env: CompressionEnv, strategy: LayerSpec[]): LayerChoice[] {
  const channels = env.layerChannels(strategy);
  return strategy.map((s, i) => describeSpec(env.layers[i].name, s, channels[i]));
}

/** Start a new search. */
export async function runSearch(input: SearchInput, opts: SearchOptions): Promise<SearchResult> {
  const clock = opts.clock ?? (() => performance.now());
  const startedAt = clock();
  let config = parseRunConfig(dataSpecOf(input));
  refuseQueuedMemoryData(config);
  // every input checked in seconds, before any baseline is trained; a queue that cannot be reached too
  await preflight(config, opts.workdir);
  if (config.queue) await probe(config.queue);
  const built = await buildEnvironment(config, opts.workdir, opts.onEvent);
  let store: Store | null = null;
  let runId = '';
  try {
    // --time: the episode count is planned once, here, and stored in the run's config
    const timed = await planTimedRun(config, built, clock, startedAt);
    if (timed) {
      config = timed.config;
      opts.onEvent?.({ type: 'log', level: 'info', message: describePlan(timed.plan, config, timed.warmupClamped) });
    }
    store = openStore(storePath(opts.workdir));
    const run = store.createRun({
      seed: config.seed,
      backend: opts.backend,
      model: config.model,
      dataset: built.data.id,
      budget: { kind: built.env.plan.kind, limit: built.env.plan.limit },
      budgets: built.env.plans.map((p) => ({ kind: p.kind, limit: p.limit })),
      agent: config.agent,
      episodesPlanned: plannedEpisodes(config),
      config,
      versions: versions(),
      baseline: { accuracy: built.env.baselineAccuracy, full: built.env.plan.full },
    });
    runId = run.id;
    store.lockRun(run.id);
    const evaluator = await startEvaluator(config, built, store, run.id, opts);
    const timeLimit = timed ? { seconds: timed.plan.limit, tailSeconds: timed.plan.tailSeconds, episodeSeconds: timed.plan.searchSeconds / timed.plan.episodes } : undefined;
    return await loop({ runId: run.id, config, built, store, checkpoint: null, opts, evaluator, timeLimit });
  } finally {
    if (runId) store?.unlockRun(runId);
    store?.close();
    built.env.dispose();
    built.model.dispose();
  }
}

/** `--time 10m: an episode took 2.4s in the probe, the sensitivities about 40s, the re-rank and final stage about 1m35s: 164 episodes (20 warm-up)`. */
function describePlan(plan: TimePlan, config: RunConfig, warmupClamped: boolean): string {
  const warmup = config.agent === 'ddpg' ? ` (${config.warmup} warm-up${warmupClamped ? ', lowered to fit' : ''})` : '';
  return (
    `--time ${config.time}: an episode took ${(plan.searchSeconds / plan.episodes).toFixed(1)}s in the probe, ` +
    `${plan.setupSeconds > 0 ? `the sensitivities about ${formatSeconds(plan.setupSeconds)}, ` : ''}${plan.rescores === undefined ? 'the re-rank' : `at most ${plan.rescores} held-out re-scores`} and final stage about ` +
    `${formatSeconds(plan.tailSeconds)}: ${plan.episodes} episodes${warmup}, stored with the run`
  );
}

function formatSeconds(s: number): string {
  return s < 60 ? `${Math.round(s)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** Continue a stopped or killed run from its last checkpoint. */
export async function resumeSearch(runIdOrPrefix: string, opts: SearchOptions): Promise<SearchResult> {
  const store = openStore(storePath(opts.workdir));
  let built: BuiltEnvironment | null = null;
  let runId = '';
  try {
    const run = store.findRun(runIdOrPrefix);
    if (run.status === 'completed') throw new RunNotFoundError(`run ${run.id} already completed all ${run.episodesPlanned} episodes; start a new one with autoshrink search`);
    // another backend computes other floats: the networks learnt again and the episodes after would not be the run's
    // (the CLI stores our names; a library caller may have passed tfjs's name of the node backend, 'tensorflow')
    const ranOn = run.backend === 'tensorflow' ? 'node' : run.backend;
    if (ranOn !== opts.backend) throw new ConfigError(`run ${run.id} ran on the ${ranOn} backend, not ${opts.backend}: resume it with --backend ${ranOn}`);
    // one writer per run: a run another live process is running is refused here, before anything is built
    store.lockRun(run.id);
    runId = run.id;
    const config = parseStoredConfig(run.config, run.id);
    if (opts.data) registerInMemoryData(opts.data);
    refuseQueuedMemoryData(config);
    await preflight(config, opts.workdir);
    if (config.queue) await probe(config.queue);
    built = await buildEnvironment(config, opts.workdir, opts.onEvent);
    const cp = store.lastCheckpoint(run.id);
    const evaluator = await startEvaluator(config, built, store, run.id, opts);
    // a time-limited run keeps its stored plan; only the ETA's estimate of what follows the search is measured again
    const timeLimit = config.time ? { seconds: parseDuration(config.time)!, tailSeconds: tailFromEpisodes(config, built, store.episodes(run.id)) } : undefined;
    return await loop({ runId: run.id, config, built, store, checkpoint: cp, opts, evaluator, timeLimit });
  } finally {
    if (runId) store.unlockRun(runId);
    store.close();
    built?.env.dispose();
    built?.model.dispose();
  }
}

/** The run's evaluator; a run whose evaluator cannot start (Redis unreachable, a thread failing) is marked failed. */
async function startEvaluator(config: RunConfig, built: BuiltEnvironment, store: Store, runId: string, opts: SearchOptions): Promise<Evaluator> {
  try {
    return await (opts.createEvaluator ?? createEvaluator)(config, built, { backend: opts.backend, runId, onEvent: opts.onEvent });
  } catch (e) {
    store.setStatus(runId, 'failed');
    throw e;
  }
}

/** What a checkpoint's env part holds: the evaluation cache and the proposals of the batch not yet stored. */
interface EnvCheckpoint {
  /** [strategy key, accuracy, loss]; checkpoints older than the cross-entropy reward hold no loss. */
  cache?: Array<[string, number, number?]>;
  pending?: Proposal[];
  /** --learn-ahead: the batch after, proposed before this one was learnt (its evaluation was under way). */
  next?: Proposal[];
}

/** The diagnostics stored and shown per episode: the agent's report and the wall's clamps. */
function diagnostics(report: EpisodeReport | null, clamped: number) {
  return {
    criticLoss: report?.criticLoss ?? null,
    actorLoss: report?.actorLoss ?? null,
    meanQ: report?.meanQ ?? null,
    sigma: report?.sigma ?? null,
    clamped,
  };
}

/** What the loop works with: the run, its environment, planner and evaluator, and how it talks and stops. */
interface Loop {
  runId: string;
  config: RunConfig;
  built: BuiltEnvironment;
  env: CompressionEnv;
  store: Store;
  opts: SearchOptions;
  emit: (event: RunEvent) => void;
  evaluator: Evaluator;
  planner: ReturnType<typeof createPlanner>;
  /** What of the checkpoint's replay and cache is stored: each checkpoint writes only what is new. */
  log: CheckpointLog;
  /** Episodes this run stores: the planner's count, or fewer for a run stored when one-shot planners stored one. */
  planned: number;
  batchSize: number;
  timeLimit?: TimeLimit;
}

/** Where the run stands: episodes stored, the proposals of a batch not yet stored, the best so far. */
interface Progress {
  done: number;
  pending: Proposal[];
  best: BestImprovedEvent | null;
  /** --learn-ahead: the batch after `pending`, already proposed, and its evaluation when under way. */
  next: Proposal[];
  nextEvaluation?: { promise: ReturnType<typeof evaluateBatch> };
}

interface LoopInput {
  runId: string;
  config: RunConfig;
  built: BuiltEnvironment;
  store: Store;
  checkpoint: StoredCheckpoint | null;
  opts: SearchOptions;
  evaluator: Evaluator;
  /** --time: the limit and the estimated seconds after the search, for the ETA. */
  timeLimit?: TimeLimit;
}

async function loop(input: LoopInput): Promise<SearchResult> {
  const { runId, store, checkpoint, opts, evaluator } = input;
  const lp = open(input);
  const progress = await resume(lp, checkpoint).catch(async (e: unknown) => {
    lp.planner.dispose();
    await evaluator.close();
    throw e;
  });
  store.setStatus(runId, 'running');
  const started = performance.now();
  announce(lp, progress);
  let status: RunStatus = 'completed';
  try {
    while (progress.done < lp.planned) {
      await opts.waitWhilePaused?.();
      if (opts.signal?.aborted) throw new Aborted();
      // from the end of the last batch's learning: with --learn-ahead this batch's evaluation began during it, and
      // that time is already the last batch's, so the episodes' seconds add up to at most the run's
      const t0 = performance.now();
      const inFlight = progress.nextEvaluation;
      progress.nextEvaluation = undefined;
      // --learn-ahead: the batch proposed and sent to the workers while the last one was learnt
      const batch = inFlight ? progress.pending : await nextBatch(lp, progress);
      const evaluations = await (inFlight?.promise ?? evaluateBatch(lp, batch));
      if (opts.signal?.aborted) throw new Aborted();
      await learnAhead(lp, progress, batch);
      // wall time of the batch (the next one proposed included), shared by its episodes; each adds its learning
      const batchSeconds = (performance.now() - t0) / 1000;
      for (const [i, proposal] of batch.entries()) await record(lp, progress, { batch, i, evaluation: evaluations[i], batchSeconds, proposal });
      progress.pending = progress.next;
      progress.next = [];
    }
  } catch (e) {
    if (e instanceof Aborted || (e as Error).name === 'AbortError') status = 'stopped';
    else {
      store.setStatus(runId, 'failed');
      throw e;
    }
  } finally {
    // a batch evaluated ahead of a stop is left to the next run (its proposals are in the checkpoint)
    progress.nextEvaluation?.promise.catch(() => {});
    lp.planner.dispose();
    await evaluator.close();
  }
  return finish(lp, progress, status, started);
}

/** The loop's world: the planner built over an evaluate that shares the run's evaluator and stop signal. */
function open({ runId, config, built, store, opts, evaluator, timeLimit }: LoopInput): Loop {
  const { env } = built;
  const emit = opts.onEvent ?? (() => {});
  const evaluate = (strategies: LayerSpec[][], o: { steps?: number; onStart?: (i: number) => void } = {}) =>
    evaluateStrategies(env, evaluator, strategies, { ...o, signal: opts.signal });
  const planner = createPlanner({ env, config, emit, evaluate, signal: opts.signal, slots: evaluator.slots, networkCheckpointEvery: opts.networkCheckpointEvery });
  const batchSize = Math.max(1, config.rolloutBatch || evaluator.slots);
  const planned = Math.min(planner.planned, store.getRun(runId).episodesPlanned);
  return { runId, config, built, env, store, opts, emit, evaluator, planner, log: new CheckpointLog(), planned, batchSize, timeLimit };
}

/** A resumed run: the planner's state, the evaluation cache and the unstored proposals from the checkpoint. */
async function resume(lp: Loop, checkpoint: StoredCheckpoint | null): Promise<Progress> {
  const run = lp.store.getRun(lp.runId);
  const best = run.best ? ({ type: 'best-improved', ...run.best } as BestImprovedEvent) : null;
  if (!checkpoint) return { done: 0, pending: [], next: [], best };
  const { agent, env } = lp.log.join(checkpoint);
  await lp.planner.restore(agent, lp.store.episodes(lp.runId));
  const saved = env as unknown as EnvCheckpoint;
  lp.env.restoreCache(saved.cache ?? []);
  return { done: checkpoint.episode + 1, pending: saved.pending ?? [], next: saved.next ?? [], best };
}

/** `run-started`, and a warning for the layers the search leaves at fp32. */
function announce(lp: Loop, progress: Progress): void {
  const { env, config, built } = lp;
  const leftOut = layersLeftOut(built.model, env.layers);
  lp.emit({
    type: 'run-started',
    runId: lp.runId,
    model: config.model,
    dataset: built.data.name,
    budget: {
      kind: env.plan.kind,
      limit: env.plan.limit,
      full: env.plan.full,
      label: env.plan.label,
      ...(env.plans.length > 1 ? { all: env.plans.map((p) => ({ kind: p.kind, limit: p.limit, full: p.full, label: p.label })) } : {}),
    },
    backend: lp.opts.backend,
    seed: config.seed,
    agent: config.agent,
    episodes: lp.planned,
    warmup: config.agent === 'ddpg' ? config.warmup : 0,
    layers: env.layers.map((l) => l.name),
    baselineAccuracy: env.baselineAccuracy,
    leftOut,
    resumedAt: progress.done,
    batch: lp.batchSize,
    best: progress.best,
    ...(lp.timeLimit ? { timeLimit: lp.timeLimit } : {}),
    ...(config.goal === 'smallest' ? { smallest: smallestGoal(config, lp.store.episodes(lp.runId), env.baselineAccuracy, env.plan.label) } : {}),
  });
  if (leftOut.length > 0) lp.emit({ type: 'log', level: 'warn', message: describeLeftOut(leftOut) });
}

/** --goal smallest's part of `run-started`: the drops, and the smallest stored episode within the episodes' target. */
function smallestGoal(config: RunConfig, episodes: Array<{ episode: number; accuracy: number; cost: number }>, baseline: number, label: string) {
  const episodeDrop = episodeDropOf(config);
  return { maxDrop: config.maxDrop, episodeDrop, found: smallestWithin(episodes, baseline, episodeDrop), cap: sizeCap(config.budget) === null ? null : label };
}

/** The next batch: new proposals, or a resumed batch's (made and announced before the stop: announced again). */
async function nextBatch(lp: Loop, progress: Progress): Promise<Proposal[]> {
  if (progress.pending.length === 0 && progress.next.length > 0) {
    // resumed between two batches of --learn-ahead: the batch after is the one to evaluate now
    progress.pending = progress.next;
    progress.next = [];
    for (const p of progress.pending) lp.emit({ type: 'episode-started', episode: p.episode, phase: p.phase });
    return progress.pending;
  }
  if (progress.pending.length === 0) {
    const episodes = Array.from({ length: Math.min(lp.batchSize, lp.planned - progress.done) }, (_, i) => progress.done + i);
    progress.pending = await lp.planner.propose(episodes);
  } else {
    for (const p of progress.pending) lp.emit({ type: 'episode-started', episode: p.episode, phase: p.phase });
  }
  return progress.pending;
}

/**
 * --learn-ahead: with `batch` evaluated and not yet learnt, propose the batch after it and start its evaluation, so
 * the agent learns while the workers measure. The order of the agent's work is fixed by the episodes, not by timing:
 * the batch after `batch` is proposed before `batch` is learnt, always, so its proposals come from the policy that has
 * learnt every batch before `batch` (docs/design.md, Learning ahead). A warm start's seed is learnt before anything
 * else is proposed; a resumed run whose next batch is in its checkpoint does not propose it again.
 */
async function learnAhead(lp: Loop, progress: Progress, batch: Proposal[]): Promise<void> {
  // the agents (ddpg, random); the other planners' proposals follow what they learnt, one batch at a time
  if (!lp.config.learnAhead || !(lp.config.agent === 'ddpg' || lp.config.agent === 'random') || batch.some((p) => p.alone)) return;
  const from = batch[batch.length - 1].episode + 1;
  if (progress.next.length === 0) {
    if (from >= lp.planned) return;
    const episodes = Array.from({ length: Math.min(lp.batchSize, lp.planned - from) }, (_, i) => from + i);
    progress.next = await lp.planner.propose(episodes);
  }
  const promise = evaluateBatch(lp, progress.next);
  promise.catch(() => {}); // awaited by the next round; a stop leaves it
  progress.nextEvaluation = { promise };
}

function evaluateBatch(lp: Loop, batch: Proposal[]) {
  return evaluateStrategies(lp.env, lp.evaluator, batch.map((p) => p.strategy), {
    signal: lp.opts.signal,
    onStart: (i) => lp.emit({ type: 'episode-evaluating', episode: batch[i].episode }),
  });
}

type Evaluated = Awaited<ReturnType<typeof evaluateBatch>>[number];

/**
 * Learn from one evaluated proposal, then store the episode with the checkpoint (the batch's later proposals in it)
 * in one transaction, and say so: `episode-finished`, and `best-improved` when it became the best.
 */
async function record(lp: Loop, progress: Progress, at: { batch: Proposal[]; i: number; proposal: Proposal; evaluation: Evaluated; batchSeconds: number }): Promise<void> {
  const { batch, i, proposal, evaluation, batchSeconds } = at;
  const ta = performance.now();
  const learnt = await lp.planner.learn(proposal, evaluation.reward);
  const agentTime = proposal.agentSeconds + (performance.now() - ta) / 1000;
  const seconds = batchSeconds / batch.length + (performance.now() - ta) / 1000;
  const t = evaluation.timings;
  const finished = {
    type: 'episode-finished' as const,
    episode: proposal.episode,
    phase: proposal.phase,
    strategy: choices(lp.env, proposal.strategy),
    accuracy: evaluation.accuracy,
    cost: evaluation.cost,
    ...(lp.env.plans.length > 1 ? { costs: lp.env.costs(proposal.strategy) } : {}),
    budgetShare: evaluation.cost / lp.env.plan.limit,
    reward: evaluation.reward,
    cached: evaluation.cached,
    seconds,
    timings: { agent: agentTime, compress: t.compress, finetune: t.finetune, evaluate: t.evaluate, other: Math.max(0, seconds - agentTime - t.compress - t.finetune - t.evaluate) },
    ...diagnostics(learnt.report, proposal.clamped),
  };
  const { type: _type, ...row } = finished;
  const envState: EnvCheckpoint = { cache: lp.env.cacheEntries(), pending: batch.slice(i + 1), ...(progress.next.length ? { next: progress.next } : {}) };
  const recorded = lp.store.recordEpisode(lp.runId, row, lp.log.split(learnt.checkpoint, envState));
  lp.log.committed();
  progress.done = proposal.episode + 1;
  lp.emit(finished);
  if (recorded.improved && recorded.best) {
    progress.best = { type: 'best-improved', episode: proposal.episode, accuracy: evaluation.accuracy, cost: evaluation.cost, ...(finished.costs ? { costs: finished.costs } : {}), reward: evaluation.reward, strategy: finished.strategy };
    lp.emit(progress.best);
  }
}

/** The run's status stored, and `run-finished`. */
function finish(lp: Loop, progress: Progress, status: RunStatus, started: number): SearchResult {
  lp.store.setStatus(lp.runId, status);
  const episodes = lp.store.episodes(lp.runId).length;
  lp.emit({ type: 'run-finished', runId: lp.runId, status, episodes, seconds: (performance.now() - started) / 1000, best: progress.best });
  return { runId: lp.runId, status, episodes, best: progress.best };
}
