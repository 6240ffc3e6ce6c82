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
 * come from the cache) and stores each episode once.
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
import { createEvaluator, type EvaluatorFactory } from './create-evaluator.js';
import { buildEnvironment, type BuiltEnvironment, storePath } from './environment.js';
import { evaluateStrategies, type Evaluator, inProcessEvaluator } from './evaluator.js';
import type { BestImprovedEvent, LayerChoice, RunEvent, RunStatus } from './events.js';
import { Aborted, createPlanner, type Proposal } from './planners.js';
import { preflight } from './preflight.js';
import { probe } from './queue.js';
import { openStore, type StoredCheckpoint, type Store } from './store.js';
import { versions } from './version.js';

export { AUTOSHRINK_VERSION } from './version.js';
export { buildEnvironment, envConfig, GRADUAL_PRUNING, searchSpace, storePath } from './environment.js';

export interface SearchOptions {
  workdir: string;
  /** The active tfjs backend's name (chosen by the caller through env/backend). */
  backend: string;
  onEvent?: (event: RunEvent) => void;
  signal?: AbortSignal;
  /** Resolves when the run may go on (the UI's pause key); checked between episodes. */
  waitWhilePaused?: () => Promise<void>;
  /** How episodes are evaluated; default `createEvaluator` (in-process, --workers, --queue from the config). */
  createEvaluator?: EvaluatorFactory;
  /** resumeSearch of a run made on in-memory data: the same arrays again (the run recorded their hash). */
  data?: InMemoryData;
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
  const config = parseRunConfig(dataSpecOf(input));
  refuseQueuedMemoryData(config);
  // every input checked in seconds, before any baseline is trained; a queue that cannot be reached too
  await preflight(config, opts.workdir);
  if (config.queue) await probe(config.queue);
  const built = await buildEnvironment(config, opts.workdir, opts.onEvent);
  const store = openStore(storePath(opts.workdir));
  let runId = '';
  try {
    const run = store.createRun({
      seed: config.seed,
      backend: opts.backend,
      model: config.model,
      dataset: built.data.id,
      budget: { kind: built.env.plan.kind, limit: built.env.plan.limit },
      agent: config.agent,
      episodesPlanned: ['uniform', 'greedy', 'knapsack'].includes(config.agent) ? 1 : config.episodes,
      config,
      versions: versions(),
    });
    runId = run.id;
    store.lockRun(run.id);
    const evaluator = await startEvaluator(config, built, store, run.id, opts);
    return await loop(run.id, config, built, store, null, opts, evaluator);
  } finally {
    if (runId) store.unlockRun(runId);
    store.close();
    built.env.dispose();
    built.model.dispose();
  }
}

/** Continue a stopped or killed run from its last checkpoint. */
export async function resumeSearch(runIdOrPrefix: string, opts: SearchOptions): Promise<SearchResult> {
  const store = openStore(storePath(opts.workdir));
  let built: BuiltEnvironment | null = null;
  let runId = '';
  try {
    const run = store.findRun(runIdOrPrefix);
    if (run.status === 'completed') throw new RunNotFoundError(`run ${run.id} already completed all ${run.episodesPlanned} episodes; start a new one with autoshrink search`);
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
    return await loop(run.id, config, built, store, cp, opts, evaluator);
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

async function loop(
  runId: string,
  config: RunConfig,
  built: BuiltEnvironment,
  store: Store,
  checkpoint: StoredCheckpoint | null,
  opts: SearchOptions,
  evaluator: Evaluator = inProcessEvaluator(built.env),
): Promise<SearchResult> {
  const { env } = built;
  const emit = opts.onEvent ?? (() => {});
  const evaluate = (strategies: LayerSpec[][], o: { steps?: number; onStart?: (i: number) => void } = {}) =>
    evaluateStrategies(env, evaluator, strategies, { ...o, signal: opts.signal });
  const planner = createPlanner({ env, config, emit, evaluate, signal: opts.signal });
  const planned = planner.planned;
  const batchSize = Math.max(1, config.rolloutBatch || evaluator.slots);
  let done = 0;
  let pending: Proposal[] = [];
  if (checkpoint) {
    planner.restore(checkpoint.agent);
    const saved = checkpoint.env as unknown as EnvCheckpoint;
    env.restoreCache(saved.cache ?? []);
    pending = saved.pending ?? [];
    done = checkpoint.episode + 1;
  }
  const run = store.getRun(runId);
  let best: BestImprovedEvent | null = run.best ? ({ type: 'best-improved', ...run.best } as BestImprovedEvent) : null;
  store.setStatus(runId, 'running');
  const started = performance.now();
  const leftOut = layersLeftOut(built.model, env.layers);
  emit({
    type: 'run-started',
    runId,
    model: config.model,
    dataset: built.data.name,
    budget: { kind: env.plan.kind, limit: env.plan.limit, full: env.plan.full, label: env.plan.label },
    backend: opts.backend,
    seed: config.seed,
    agent: config.agent,
    episodes: planned,
    warmup: config.agent === 'ddpg' ? config.warmup : 0,
    layers: env.layers.map((l) => l.name),
    baselineAccuracy: env.baselineAccuracy,
    leftOut,
    resumedAt: done,
    best,
  });
  if (leftOut.length > 0) emit({ type: 'log', level: 'warn', message: describeLeftOut(leftOut) });
  let status: RunStatus = 'completed';
  try {
    while (done < planned) {
      await opts.waitWhilePaused?.();
      if (opts.signal?.aborted) throw new Aborted();
      const t0 = performance.now();
      if (pending.length === 0) {
        const episodes = Array.from({ length: Math.min(batchSize, planned - done) }, (_, i) => done + i);
        pending = await planner.propose(episodes);
      } else {
        // a resumed batch: the proposals were made (and announced) before the stop; announce them again
        for (const p of pending) emit({ type: 'episode-started', episode: p.episode, phase: p.phase });
      }
      const batch = pending;
      const evaluations = await evaluate(batch.map((p) => p.strategy), { onStart: (i) => emit({ type: 'episode-evaluating', episode: batch[i].episode }) });
      if (opts.signal?.aborted) throw new Aborted();
      // wall time of the batch, shared by its episodes
      const batchSeconds = (performance.now() - t0) / 1000;
      for (const [i, proposal] of pending.entries()) {
        const evaluation = evaluations[i];
        const ta = performance.now();
        const learnt = await planner.learn(proposal, evaluation.reward);
        const agentTime = proposal.agentSeconds + (performance.now() - ta) / 1000;
        const seconds = batchSeconds / pending.length + (performance.now() - ta) / 1000;
        const t = evaluation.timings;
        const finished = {
          type: 'episode-finished' as const,
          episode: proposal.episode,
          phase: proposal.phase,
          strategy: choices(env, proposal.strategy),
          accuracy: evaluation.accuracy,
          cost: evaluation.cost,
          reward: evaluation.reward,
          cached: evaluation.cached,
          seconds,
          timings: { agent: agentTime, compress: t.compress, finetune: t.finetune, evaluate: t.evaluate, other: Math.max(0, seconds - agentTime - t.compress - t.finetune - t.evaluate) },
          ...diagnostics(learnt.report, proposal.clamped),
        };
        const { type: _type, ...row } = finished;
        const envState: EnvCheckpoint = { cache: env.cacheEntries(), pending: pending.slice(i + 1) };
        const recorded = store.recordEpisode(runId, row, { agent: learnt.checkpoint, env: envState });
        done = proposal.episode + 1;
        emit(finished);
        if (recorded.improved && recorded.best) {
          best = { type: 'best-improved', episode: proposal.episode, accuracy: evaluation.accuracy, cost: evaluation.cost, reward: evaluation.reward, strategy: finished.strategy };
          emit(best);
        }
      }
      pending = [];
    }
  } catch (e) {
    if (e instanceof Aborted || (e as Error).name === 'AbortError') status = 'stopped';
    else {
      store.setStatus(runId, 'failed');
      throw e;
    }
  } finally {
    planner.dispose();
    await evaluator.close();
  }
  store.setStatus(runId, status);
  const episodes = store.episodes(runId).length;
  emit({ type: 'run-finished', runId, status, episodes, seconds: (performance.now() - started) / 1000, best });
  return { runId, status, episodes, best };
}
