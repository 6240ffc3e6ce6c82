/**
 * One search run: joins the agent and the environment, stores every finished episode with its checkpoint in one
 * transaction, and emits typed events. `resumeSearch` continues a stopped or killed run from its last checkpoint;
 * with the same seed it makes the choices the uninterrupted run would have made (the agent's RNG, networks, replay
 * buffer and noise are restored; layer walks and fine-tune batches are seeded per episode and per strategy).
 *
 * Stopping: an aborted signal stops between episodes, or discards the episode in flight (its fine-tune checks the
 * signal every step); the store is never left half-written.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAgent } from '../agent/create-agent.js';
import { greedySearch } from '../agent/greedy.js';
import type { Agent, AgentCheckpoint } from '../agent/agent.js';
import { RunNotFoundError } from '../errors.js';
import { parseBudget } from '../env/budget.js';
import { CompressionEnv, type EnvConfig } from '../env/compression-env.js';
import { evaluateAccuracy } from '../env/evaluate.js';
import { describeSpec, specToAction, type SearchSpace } from '../env/knobs.js';
import { takeRows } from '../env/data/dataset.js';
import type { LayerSpec } from '../learners/types.js';
import { layerSpec } from '../learners/types.js';
import { parseRunConfig, type RunConfig } from './config.js';
import type { BestImprovedEvent, LayerChoice, Phase, RunEvent, RunStatus } from './events.js';
import { prepare } from './setup.js';
import { openStore, type StoredCheckpoint, type Store } from './store.js';

export interface SearchOptions {
  workdir: string;
  /** The active tfjs backend's name (chosen by the caller through env/backend). */
  backend: string;
  onEvent?: (event: RunEvent) => void;
  signal?: AbortSignal;
  /** Resolves when the run may go on (the UI's pause key); checked between episodes. */
  waitWhilePaused?: () => Promise<void>;
}

export interface SearchResult {
  runId: string;
  status: RunStatus;
  episodes: number;
  best: BestImprovedEvent | null;
}

/** autoshrink's version, from the package.json above this file (run/ in the sources, dist/run/ when built). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'autoshrink' && pkg.version) return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
export const AUTOSHRINK_VERSION: string = packageVersion();

export function storePath(workdir: string): string {
  return join(workdir, 'runs.db');
}

/** tfmot-style ramp: reach the target over the first half of the fine-tune, re-deciding the mask every 10 steps. */
export const GRADUAL_PRUNING = { rampFraction: 0.5, frequency: 10 };

export function searchSpace(config: RunConfig): SearchSpace {
  return {
    knobs: config.knobs,
    bounds: { bits: config.bitBounds, prune: config.pruneBounds, clusters: config.clusterBounds, pruneStep: config.pruneStep },
    base: layerSpec({
      bits: 32,
      pruneRatio: 0,
      clusters: 0,
      pruneKind: config.pruneKind,
      clusterInit: config.clusterInit,
      preserveSparsity: config.preserveSparsity,
      bucket: config.bucket,
      bucketSize: config.bucketSize,
    }),
  };
}

export function envConfig(config: RunConfig): EnvConfig {
  return {
    space: searchSpace(config),
    budget: parseBudget(config.budget),
    reward: config.reward,
    lambda: config.lambda,
    maxDrop: config.maxDrop,
    order: config.order,
    exclude: config.exclude,
    pin: config.pin,
    finetune: {
      steps: config.finetuneSteps,
      batchSize: config.finetuneBatch,
      learningRate: config.finetuneLr,
      distill: config.distill,
      gradualPruning: config.gradualPruning ? GRADUAL_PRUNING : undefined,
    },
    evalSize: config.evalSize,
    seed: config.seed,
  };
}

/** Dataset, model, baseline accuracy and environment for a config. */
export async function buildEnvironment(config: RunConfig, workdir: string, onEvent?: (e: RunEvent) => void) {
  const bench = await prepare({ model: config.model, data: config.data, dataSeed: config.dataSeed, validationSize: config.validationSize, workdir }, (p) => {
    if (p.step === p.totalSteps || p.step % 200 === 0) onEvent?.({ type: 'log', level: 'info', message: `training baseline ${config.model}: step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(4)}` });
  });
  const evalCount = config.evalSize > 0 ? Math.min(config.evalSize, bench.data.validation.count) : bench.data.validation.count;
  const evalSplit = takeRows(bench.data.validation, Int32Array.from({ length: evalCount }, (_, i) => i));
  const baselineAccuracy = await evaluateAccuracy(bench.model, evalSplit, bench.data.inputShape);
  const env = new CompressionEnv(bench.model, bench.data, envConfig(config), baselineAccuracy);
  return { ...bench, env, baselineAccuracy };
}

/** The uniform agent's one setting: the most expensive identical setting of every searched layer that fits. */
function uniformAction(env: CompressionEnv): number[] {
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

function makeAgent(config: RunConfig, env: CompressionEnv): Agent {
  if (config.agent === 'greedy') throw new Error('the greedy baseline is not an RL agent; it runs through greedyPlanner');
  return createAgent(config.agent, {
    stateSize: env.stateSize,
    actionSize: env.actionSize,
    layers: env.layers.length,
    seed: config.seed,
    action: config.agent === 'uniform' ? uniformAction(env) : undefined,
    hidden: config.hidden,
    actorLr: config.actorLr,
    criticLr: config.criticLr,
    tau: config.tau,
    noiseSigma: config.noiseSigma,
    noiseDecay: config.noiseDecay,
    batchSize: config.batchSize,
    warmupEpisodes: config.warmup,
  });
}

function versions() {
  return { autoshrink: AUTOSHRINK_VERSION, tfjs: tf.version.tfjs, node: process.versions.node };
}

function choices(env: CompressionEnv, strategy: LayerSpec[]): LayerChoice[] {
  return strategy.map((s, i) => describeSpec(env.layers[i].name, s));
}

/** Start a new search. */
export async function runSearch(input: Partial<RunConfig>, opts: SearchOptions): Promise<SearchResult> {
  const config = parseRunConfig(input);
  const built = await buildEnvironment(config, opts.workdir, opts.onEvent);
  const store = openStore(storePath(opts.workdir));
  try {
    const run = store.createRun({
      seed: config.seed,
      backend: opts.backend,
      model: config.model,
      dataset: built.data.id,
      budget: { kind: built.env.plan.kind, limit: built.env.plan.limit },
      agent: config.agent,
      episodesPlanned: config.agent === 'uniform' || config.agent === 'greedy' ? 1 : config.episodes,
      config,
      versions: versions(),
    });
    return await loop(run.id, config, built, store, null, opts);
  } finally {
    store.close();
    built.env.dispose();
    built.model.dispose();
  }
}

/** Continue a stopped or killed run from its last checkpoint. */
export async function resumeSearch(runIdOrPrefix: string, opts: SearchOptions): Promise<SearchResult> {
  const store = openStore(storePath(opts.workdir));
  let built: Awaited<ReturnType<typeof buildEnvironment>> | null = null;
  try {
    const run = store.findRun(runIdOrPrefix);
    if (run.status === 'completed') throw new RunNotFoundError(`run ${run.id} already completed all ${run.episodesPlanned} episodes; start a new one with autoshrink search`);
    const config = parseRunConfig(run.config, `stored config of run ${run.id}`);
    built = await buildEnvironment(config, opts.workdir, opts.onEvent);
    const cp = store.lastCheckpoint(run.id);
    return await loop(run.id, config, built, store, cp, opts);
  } finally {
    store.close();
    built?.env.dispose();
    built?.model.dispose();
  }
}

class Aborted extends Error {}

/** Where an episode's strategy comes from: an agent walking the layers, or the greedy sensitivity algorithm. */
interface Planner {
  readonly planned: number;
  /** The strategy of `episode`; emits `layer-chosen` as choices are made. */
  next(episode: number): Promise<{ strategy: LayerSpec[]; phase: Phase; agentSeconds: number }>;
  /** Close the episode with its reward; returns the checkpoint to store with it. */
  end(reward: number): Promise<unknown>;
  restore(checkpoint: unknown): void;
  dispose(): void;
}

function agentPlanner(config: RunConfig, env: CompressionEnv, emit: (e: RunEvent) => void): Planner {
  const agent = makeAgent(config, env);
  return {
    planned: config.agent === 'uniform' ? 1 : config.episodes,
    async next(episode) {
      const phase = agent.phase();
      emit({ type: 'episode-started', episode, phase });
      let agentSeconds = 0;
      let state = env.reset(episode);
      for (let step = 0; step < env.layers.length; step++) {
        const ta = performance.now();
        const action = agent.act(state, true);
        agentSeconds += (performance.now() - ta) / 1000;
        const layer = env.currentLayer;
        const r = env.step(action);
        agent.observe({ state, action: r.applied, nextState: r.next ?? state, done: r.next === null });
        emit({ type: 'layer-chosen', episode, layer: layer.index, choice: describeSpec(layer.name, r.spec) });
        if (r.next) state = r.next;
      }
      return { strategy: env.finishStrategy(), phase, agentSeconds };
    },
    async end(reward) {
      agent.endEpisode(reward);
      return agent.checkpoint();
    },
    restore: (cp) => agent.restore(cp as AgentCheckpoint),
    dispose: () => agent.dispose(),
  };
}

/** Greedy ladder length per layer: candidates spread evenly over the layer's settings sorted by cost. */
const GREEDY_LADDER = 8;

/**
 * AIMET/HAWQ-style greedy (agent/greedy.ts): per-layer sensitivity (accuracy drop with only that layer lowered, each
 * a short fine-tune + validation like an episode), then lower the least sensitive layer per unit of cost saved until
 * the budget holds. One episode: the greedy result. With several knobs, each layer's ladder is its settings sorted by
 * cost and thinned to GREEDY_LADDER evenly spaced rungs (most expensive first). Not resumable mid-way: a stopped greedy
 * run starts its sensitivity pass again (measured strategies are cached in the run's checkpoint once it finishes).
 */
function greedyPlanner(env: CompressionEnv, emit: (e: RunEvent) => void, signal?: AbortSignal): Planner {
  const ladders = env.plan.candidates.map(({ specs }) => {
    const desc = specs.slice().reverse();
    if (desc.length <= GREEDY_LADDER) return desc;
    return Array.from({ length: GREEDY_LADDER }, (_, k) => desc[Math.round((k * (desc.length - 1)) / (GREEDY_LADDER - 1))]);
  });
  return {
    planned: 1,
    async next(episode) {
      emit({ type: 'episode-started', episode, phase: 'learning' });
      const top = ladders.map((l) => l[0]);
      const reference = (await env.evaluate(top, signal)).accuracy;
      const result = await greedySearch({
        candidates: ladders.map((l) => l.map((_, j) => [j])),
        sensitivity: async (layer, j) => {
          if (signal?.aborted) throw new Aborted();
          const strategy = top.slice();
          strategy[layer] = ladders[layer][j];
          const acc = (await env.evaluate(strategy, signal)).accuracy;
          const c = describeSpec(env.layers[layer].name, strategy[layer]);
          emit({ type: 'log', level: 'info', message: `sensitivity ${c.name} at ${c.bits} bits, ${Math.round(c.pruneRatio * 100)}% pruned, ${c.clusters} clusters: accuracy ${(acc * 100).toFixed(2)}% (${((reference - acc) * 100).toFixed(2)} points lost)` });
          return reference - acc;
        },
        cost: (assignment) => env.cost(assignment.map((j, l) => ladders[l][j])),
        budget: env.plan.limit,
      });
      const strategy = result.assignment.map((j, l) => ladders[l][j]);
      strategy.forEach((spec, l) => emit({ type: 'layer-chosen', episode, layer: env.layers[l].index, choice: describeSpec(env.layers[l].name, spec) }));
      return { strategy, phase: 'learning', agentSeconds: 0 };
    },
    end: async () => ({ format: 'autoshrink-greedy', version: 1 }),
    restore: () => {},
    dispose: () => {},
  };
}

async function loop(
  runId: string,
  config: RunConfig,
  built: Awaited<ReturnType<typeof buildEnvironment>>,
  store: Store,
  checkpoint: StoredCheckpoint | null,
  opts: SearchOptions,
): Promise<SearchResult> {
  const { env } = built;
  const emit = opts.onEvent ?? (() => {});
  const planner = config.agent === 'greedy' ? greedyPlanner(env, emit, opts.signal) : agentPlanner(config, env, emit);
  const planned = planner.planned;
  let done = 0;
  if (checkpoint) {
    planner.restore(checkpoint.agent);
    env.restoreCache((checkpoint.env as unknown as { cache?: Array<[string, number]> }).cache ?? []);
    done = checkpoint.episode + 1;
  }
  const run = store.getRun(runId);
  let best: BestImprovedEvent | null = run.best ? ({ type: 'best-improved', ...run.best } as BestImprovedEvent) : null;
  store.setStatus(runId, 'running');
  const started = performance.now();
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
    resumedAt: done,
    best,
  });
  let status: RunStatus = 'completed';
  try {
    for (let episode = done; episode < planned; episode++) {
      await opts.waitWhilePaused?.();
      if (opts.signal?.aborted) throw new Aborted();
      const t0 = performance.now();
      const { strategy, phase, agentSeconds } = await planner.next(episode);
      const evaluation = await env.evaluate(strategy, opts.signal);
      if (opts.signal?.aborted) throw new Aborted();
      const ta = performance.now();
      const agentState = await planner.end(evaluation.reward);
      const agentTime = agentSeconds + (performance.now() - ta) / 1000;
      const seconds = (performance.now() - t0) / 1000;
      const t = evaluation.timings;
      const finished = {
        type: 'episode-finished' as const,
        episode,
        phase,
        strategy: choices(env, strategy),
        accuracy: evaluation.accuracy,
        cost: evaluation.cost,
        reward: evaluation.reward,
        cached: evaluation.cached,
        seconds,
        timings: { agent: agentTime, compress: t.compress, finetune: t.finetune, evaluate: t.evaluate, other: Math.max(0, seconds - agentTime - t.compress - t.finetune - t.evaluate) },
      };
      const { type: _type, ...row } = finished;
      const recorded = store.recordEpisode(runId, row, { agent: agentState, env: { cache: env.cacheEntries() } });
      emit(finished);
      if (recorded.improved && recorded.best) {
        best = { type: 'best-improved', episode, accuracy: evaluation.accuracy, cost: evaluation.cost, reward: evaluation.reward, strategy: finished.strategy };
        emit(best);
      }
    }
  } catch (e) {
    if (e instanceof Aborted || (e as Error).name === 'AbortError') status = 'stopped';
    else {
      store.setStatus(runId, 'failed');
      throw e;
    }
  } finally {
    planner.dispose();
  }
  store.setStatus(runId, status);
  const episodes = store.episodes(runId).length;
  emit({ type: 'run-finished', runId, status, episodes, seconds: (performance.now() - started) / 1000, best });
  return { runId, status, episodes, best };
}
