/**
 * From a run config to the world a search acts in: the search space, the env config, and the built environment
 * (dataset, model, baseline accuracy on the reward images). Shared by the search, the final stage and the workers.
 */
import { join } from 'node:path';
import * as tf from '../tfjs.js';
import { parseBudgets } from '../env/budget.js';
import { CompressionEnv, type EnvConfig, rewardSplit } from '../env/compression-env.js';
import { evaluateAccuracy } from '../env/evaluate.js';
import type { SearchSpace } from '../env/knobs.js';
import { layerSpec } from '../learners/types.js';
import type { RunConfig } from './config.js';
import { episodeDropOf } from './goal.js';
import type { RunEvent } from './events.js';
import type { LatencyTable } from '../env/latency-table.js';
import { latencyTableFor } from './latency.js';
import { prepare } from './setup.js';

export function storePath(workdir: string): string {
  return join(workdir, 'runs.db');
}

/** tfmot-style ramp: reach the target over the first half of the fine-tune, re-deciding the mask every 10 steps. */
export const GRADUAL_PRUNING = { rampFraction: 0.5, frequency: 10 };

export function searchSpace(config: RunConfig): SearchSpace {
  return {
    knobs: config.knobs,
    bounds: {
      bits: config.bitBounds,
      prune: config.pruneBounds,
      clusters: config.clusterBounds,
      pruneStep: config.pruneStep,
      channels: config.channelBounds,
      channelStep: config.channelStep,
      abits: config.abitBounds,
    },
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

/** The env config of a run; `latency`: the run's latency table (run/latency.ts), when its budget counts latency. */
export function envConfig(config: RunConfig, latency?: LatencyTable): EnvConfig {
  const [budget, alsoBudget] = parseBudgets(config.budget);
  return {
    space: searchSpace(config),
    budget,
    ...(alsoBudget ? { alsoBudget } : {}),
    ...(latency ? { latency } : {}),
    reward: config.reward,
    lambda: config.lambda,
    maxDrop: episodeDropOf(config) / 100,
    order: config.order,
    exclude: config.exclude,
    pin: config.pin,
    finetune: {
      steps: config.finetuneSteps,
      batchSize: config.finetuneBatch,
      learningRate: config.finetuneLr,
      distill: config.distill,
      bnBatches: config.bnBatches,
      gradualPruning: config.gradualPruning ? GRADUAL_PRUNING : undefined,
    },
    evalSize: config.evalSize,
    seed: config.seed,
    channelMethod: config.channelMethod,
  };
}

export type BuiltEnvironment = Awaited<ReturnType<typeof buildEnvironment>>;

/** Dataset, model, baseline accuracy and environment for a config. */
export async function buildEnvironment(config: RunConfig, workdir: string, onEvent?: (e: RunEvent) => void) {
  const bench = await prepare({ model: config.model, data: config.data, dataSeed: config.dataSeed, validationSize: config.validationSize, holdoutSize: config.holdoutSize, workdir }, (p) => {
    if (p.step === p.totalSteps || p.step % 200 === 0) onEvent?.({ type: 'log', level: 'info', message: `training baseline ${config.model}: step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(4)}` });
  });
  const latency = await latencyTableFor(config, searchSpace(config), bench.model, workdir, tf.getBackend(), onEvent);
  const env = new CompressionEnv(bench.model, bench.data, envConfig(config, latency), 0);
  env.baselineAccuracy = await evaluateAccuracy(bench.model, rewardSplit(bench.data, config.evalSize).validation, bench.data.inputShape);
  return { ...bench, env, baselineAccuracy: env.baselineAccuracy };
}
