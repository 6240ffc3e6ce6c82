/**
 * The end of a search, and `apply`: fine-tune a strategy for longer FROM THE ORIGINAL WEIGHTS (PocketFlow kept the
 * weights of its last roll-out instead: a defect), measure validation and TEST accuracy (the test split is used here
 * and nowhere else), write the strategy file and the compressed model (a tfjs model directory with the dequantized
 * weights, loadable by any tfjs user, and the bit-packed `model.ashk`), and report sizes.
 *
 * The pick is not the luckiest draw: before the final fine-tune the run's top strategies are re-evaluated on their
 * own images (rerank.ts), and the best of those is the one finished.
 */
import * as tf from '../../tfjs.js';
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ConfigError, isInputError } from '../../errors.js';
import { OriginalWeights } from '../../env/compress-model.js';
import { compressInStages, stageSteps } from './stages.js';
import { BN_RECALIBRATION_BATCHES } from '../../env/batch-norm.js';
import { rewardSplit } from '../../env/compression-env.js';
import type { Dataset } from '../../env/data/dataset.js';
import { evaluateAccuracy } from '../../env/evaluate.js';
import { compressibleLayers, type LayerInfo } from '../../env/layers.js';
import { layerCost } from '../../env/budget.js';
import type { LayerSpec } from '../../learners/types.js';
import { learnerSpec } from '../../env/knobs.js';
import { activationSites, withActivationQuant } from '../../env/activation-quant.js';
import { checkPreserveRatios, pruneForEntries } from '../../env/channel-space.js';
import { parseStoredConfig, type RunConfig } from '../config.js';
import { createEvaluator, type EvaluatorFactory, type EvaluatorOptions } from '../evaluators/create-evaluator.js';
import { type Evaluator, inProcessEvaluator } from '../evaluators/evaluator.js';
import { rerank, type RerankRow, rerankSplit, type StoredEpisode } from './rerank.js';
import { chooseSmallest, confirmation, type SmallestChoice } from './smallest.js';
import { type ReferenceAgent, referenceAgents, referenceOut, type ReferenceRow, referenceStrategy } from './references.js';
import { settingsOf, toSpecs } from './specs.js';
import { exportQuantizedTfjs, type TfjsExport, writeModelFiles, type SizeReport } from './model-files.js';
import { buildEnvironment, type BuiltEnvironment, GRADUAL_PRUNING, storePath } from '../environment.js';
import { AUTOSHRINK_VERSION } from '../version.js';
import type { FinetuneOptions } from '../../env/finetune.js';
import { cacheOf } from '../store/checkpoint-log.js';
import { openStore, type Store } from '../store/store.js';
import type { RunRecord } from '../store/records.js';
import { type LatencyCheck, latencyCheck, timeBuilt } from './latency-check.js';
import { matchLayers, modelHash, modelLayers, saveStrategy, STRATEGY_VERSION, STRATEGY_VERSION_BUDGETS, type Strategy } from './strategy.js';
import { prepare } from '../setup.js';

export { toSpecs } from './specs.js';
export { compressInStages, stageSteps } from './stages.js';
export type { RerankRow } from './rerank.js';
export type { ReferenceRow } from './references.js';
/** Progress of the final fine-tune (the CLI passes its progress bar). */
export interface StepProgress {
  update(step: number): void;
  finish(): void;
}

export interface FinalReport {
  runId: string | null;
  out: string;
  strategyPath: string;
  validationAccuracy: number;
  testAccuracy: number;
  baselineValidationAccuracy: number;
  baselineTestAccuracy: number;
  sizes: SizeReport;
  /** The final fine-tune's two stages (prune and retrain, then cluster) when the strategy prunes and clusters a layer. */
  stages?: { prune: number; clusters: number };
  /** The quantized tfjs export (tfjs/model.json + weights.bin): bytes, test accuracy, storage types. */
  tfjs: TfjsExport;
  steps: number;
  seconds: number;
  /** The re-evaluated top strategies (search runs with rerankTop > 0), best reward first; the chosen one marked. */
  rerank?: RerankRow[];
  /** The run's planner and its pick's share of the budget (search runs). */
  agent?: string;
  budgetShare?: number;
  /** The same final fine-tune of the uniform and the knapsack's (or the channel plan's) strategies (run/final/references.ts), and their seconds. */
  references?: ReferenceRow[];
  referenceSeconds?: number;
  /** The images the re-rank scored on: the holdout split, or validation for runs without one. */
  rerankOn?: { split: 'holdout' | 'validation'; images: number };
  /** Runs with a latency budget: the built model timed beside the original, against the prediction and the budget. */
  latency?: LatencyCheck;
  /** --goal smallest: how the pick was chosen on the held-out images, and the test's confirmation of it. */
  smallest?: SmallestReport;
}

export type SmallestReport = SmallestChoice & { confirmed: boolean; testDrop: number };

export interface FinalOptions {
  workdir: string;
  backend: string;
  /** Where to write (default <workdir>/runs/<run id>). */
  out?: string;
  onProgress?: Promise<StepProgress | undefined> | StepProgress;
  /** --goal smallest: the progress of its held-out re-scores, given the most steps they can take. */
  rescoreProgress?: (steps: number) => StepProgress | undefined;
  /** How the re-rank evaluates; default `createEvaluator` (in-process, --workers, --queue from the run's config). */
  createEvaluator?: EvaluatorFactory;
}

interface ApplyInput {
  model: tf.LayersModel;
  data: Dataset;
  layers: LayerInfo[];
  specs: LayerSpec[];
  steps: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  gradualPruning?: FinetuneOptions['gradualPruning'];
  /** Batch-norm re-estimation batches (default BN_RECALIBRATION_BATCHES). */
  bnBatches?: number;
  evalSize: number;
  out: string;
  onProgress?: StepProgress;
  /** Channel surgery (the channels knob): the smaller model to compress instead of `model`, or null for none. */
  prune?: (model: tf.LayersModel) => Promise<{ model: tf.LayersModel; layers: LayerInfo[] } | null>;
  /** Time the built model beside the original at this batch (runs with a latency budget). */
  timeBatch?: number;
}

/** Compress, fine-tune, measure, write the files. The model ends up holding the compressed weights. */
async function applyCore(input: ApplyInput) {
  const { model, data } = input;
  const start = performance.now();
  const all = compressibleLayers(model);
  const originals = new OriginalWeights(model, all);
  let built: Awaited<ReturnType<NonNullable<ApplyInput['prune']>>> | null = null;
  try {
    const val = rewardSplit(data, input.evalSize).validation;
    const baselineValidationAccuracy = await evaluateAccuracy(model, val, data.inputShape);
    const baselineTestAccuracy = await evaluateAccuracy(model, data.test, data.inputShape);
    // with channel pruning, everything below works on the smaller model built from the original weights
    built = input.prune ? await input.prune(model) : null;
    // timed before the fine-tune: the weights do not change the time, and the original still holds its own
    const timed = input.timeBatch ? await timeBuilt(model, built?.model ?? model, input.timeBatch) : undefined;
    const r = await compressAndWrite(input, built?.model ?? model, built?.layers ?? input.layers, originals, { start, val, baselineValidationAccuracy, baselineTestAccuracy });
    return { ...r, ...(timed ? { timed } : {}) };
  } finally {
    // also when the fine-tune throws (an abort, a refused layer): no tensor outlives the call
    built?.model.dispose();
    originals.dispose();
  }
}

async function compressAndWrite(
  input: ApplyInput,
  model: tf.LayersModel,
  built: LayerInfo[],
  originals: OriginalWeights,
  at: { start: number; val: Dataset['validation']; baselineValidationAccuracy: number; baselineTestAccuracy: number },
) {
  const own = model === input.model ? originals : new OriginalWeights(model, built);
  try {
    return await writeCompressed(input, model, built, originals, own, at);
  } finally {
    if (own !== originals) own.dispose();
  }
}

async function writeCompressed(
  input: ApplyInput,
  model: tf.LayersModel,
  built: LayerInfo[],
  originals: OriginalWeights,
  own: OriginalWeights,
  at: { start: number; val: Dataset['validation']; baselineValidationAccuracy: number; baselineTestAccuracy: number },
) {
  const { data } = input;
  const { start, val, baselineValidationAccuracy, baselineTestAccuracy } = at;
  const byName = new Map(built.map((l) => [l.name, l]));
  // activation bits fake-quantize the layer inputs through the fine-tune and the two scores; the written files keep
  // fp32 activations (neither model.ashk's weights nor the tfjs export can carry them)
  const sites = activationSites(input.layers.map((l, i) => ({ layerName: l.layerName, activationBits: input.specs[i].activationBits })));
  const { compressed, validationAccuracy, testAccuracy, ranges } = await withActivationQuant(model, sites, async (activations) => {
    const result = await compressInStages(
      model,
      own,
      input.layers.map((layer, i) => ({ layer: byName.get(layer.name)!, spec: learnerSpec(input.specs[i]) })),
      data,
      {
        steps: input.steps,
        batchSize: input.batchSize,
        learningRate: input.learningRate,
        seed: `final:${input.seed}`,
        gradualPruning: input.gradualPruning,
        bnBatches: input.bnBatches,
        onStep: input.onProgress ? (s) => input.onProgress!.update(s) : undefined,
        rebuilt: model !== input.model,
        activations,
      },
    );
    input.onProgress?.finish();
    const validation = await evaluateAccuracy(model, val, data.inputShape);
    const ranges = (activations?.ranges() ?? []).map(({ layerName, bits, min, max }) => ({ layer: layerName, bits, min, max }));
    return { compressed: result, validationAccuracy: validation, testAccuracy: await evaluateAccuracy(model, data.test, data.inputShape), ranges };
  });
  mkdirSync(input.out, { recursive: true });
  // the fp32 size is the ORIGINAL model's, so the ratio counts the channels removed too
  const sizes = await writeModelFiles(model, compressed, input.out, originals.fp32Bytes(), ranges);
  const tfjs = await exportQuantizedTfjs(model, join(input.out, 'tfjs'), { choose: val, targetAccuracy: validationAccuracy, report: data.test, inputShape: data.inputShape });
  const stages = stageSteps(input.specs, input.steps);
  return { validationAccuracy, testAccuracy, baselineValidationAccuracy, baselineTestAccuracy, sizes, tfjs, ...(stages ? { stages } : {}), seconds: (performance.now() - start) / 1000 };
}

interface StrategyInput {
  /** The latency check of the final stage (runs with a latency budget). */
  latency?: LatencyCheck;
  run: { id: string; seed: number; backend: string };
  config: RunConfig;
  /** The episode the strategy comes from, with the validation accuracy to record. */
  pick: { episode: number; accuracy: number; strategy: Array<{ name: string; bits: number; pruneRatio: number; clusters: number; preserveRatio?: number }> };
  built: BuiltEnvironment;
  accuracies: { test: number | null; baselineTest: number | null };
  /** The model.ashk written, as coded and at fixed width; absent when none was written. */
  sizes?: Pick<SizeReport, 'packedBytes' | 'fixedPackedBytes'>;
}

/** Build the strategy file of a run's chosen episode. */
function strategyOf({ run, config, pick, built, accuracies, sizes, latency }: StrategyInput): Strategy {
  const { env, model } = built;
  const settings = settingsOf(config);
  const specs = toSpecs(pick.strategy, settings);
  const weights = env.layers.reduce((s, l) => s + l.params, 0);
  const kernelBits = env.layers.reduce((s, l, i) => s + layerCost('size', l, specs[i]) * 8, 0);
  const fp32Bytes = model.getWeights().reduce((s, w) => s + w.size * 4, 0);
  const channels = env.channelCounts(specs) ? env.layerChannels(specs) : null;
  // version 3 only where version 2 cannot say it: a latency budget, or two budgets
  const v3 = env.plans.length > 1 || env.plans.some((p) => p.kind === 'latency');
  return {
    format: 'autoshrink-strategy',
    version: v3 ? STRATEGY_VERSION_BUDGETS : STRATEGY_VERSION,
    model: { name: config.model, hash: modelHash(model), layers: modelLayers(env.allLayers) },
    dataset: built.data.id,
    budget: { kind: env.plan.kind, limit: env.plan.limit, label: env.plan.label },
    ...(env.plans.length > 1 ? { budgets: env.plans.map((p) => ({ kind: p.kind, limit: p.limit, label: p.label })) } : {}),
    settings: channels ? { ...settings, channelMethod: config.channelMethod } : settings,
    layers: pick.strategy.map(({ name, bits, pruneRatio, clusters }, i) => ({
      name,
      bits,
      pruneRatio,
      clusters,
      // a layer whose channels follow another's (depthwise, batch norm) has the channels without a ratio of its own
      ...(specs[i].preserveRatio !== undefined && specs[i].preserveRatio < 1 ? { preserveRatio: specs[i].preserveRatio } : {}),
      ...(channels && channels[i][0] < channels[i][1] ? { channels: channels[i] } : {}),
      ...(specs[i].activationBits !== undefined ? { activationBits: specs[i].activationBits } : {}),
    })),
    cost: {
      value: env.cost(specs),
      bytes: sizes?.packedBytes ?? 0,
      ...(sizes ? { fixedWidthBytes: sizes.fixedPackedBytes } : {}),
      fp32Bytes,
      bitsPerWeight: kernelBits / weights,
      flops: env.flops(specs),
      denseFlops: env.denseFlops(specs),
      ...(env.plans.length > 1 ? { values: env.costs(specs) } : {}),
      ...(latency ? { latency: { predictedMs: latency.predictedMs, measuredMs: latency.measuredMs, fp32Ms: latency.fp32Ms, batch: latency.batch, backend: latency.backend } } : {}),
    },
    accuracy: { validation: pick.accuracy, test: accuracies.test, baselineValidation: env.baselineAccuracy, baselineTest: accuracies.baselineTest },
    provenance: { runId: run.id, episode: pick.episode, seed: run.seed, backend: run.backend, autoshrink: AUTOSHRINK_VERSION, date: new Date().toISOString() },
  };
}

/** The final stage's inputs for `specs` on a run's environment: every reference takes the same. */
function finalInput(built: BuiltEnvironment, config: RunConfig, specs: LayerSpec[], out: string): ApplyInput {
  return {
    model: built.model,
    data: built.data,
    layers: built.env.layers,
    specs,
    steps: config.finalSteps,
    batchSize: config.finetuneBatch,
    learningRate: config.finetuneLr,
    seed: config.seed,
    gradualPruning: config.gradualPruning ? GRADUAL_PRUNING : undefined,
    bnBatches: config.bnBatches,
    evalSize: config.evalSize,
    out,
    prune: () => built.env.pruneFor(specs),
    ...(built.env.plans.some((p) => p.kind === 'latency') ? { timeBatch: config.latencyBatch } : {}),
  };
}

/** The references (run/final/references.ts) through the run's own evaluator (their candidates, sensitivities and
 * re-rank) and its final fine-tune, from the original weights. */
async function finishReferences(built: BuiltEnvironment, config: RunConfig, out: string, create: EvaluatorFactory, opts: EvaluatorOptions): Promise<{ rows: ReferenceRow[]; seconds: number }> {
  const start = performance.now();
  const rows: ReferenceRow[] = [];
  const agents = referenceAgents(config);
  if (agents.length === 0) return { rows, seconds: 0 };
  const evaluator = await evaluatorFor(built, config, create, opts);
  try {
    for (const agent of agents) {
      rows.push(await finishReference(built, config, out, agent, evaluator, opts.backend));
    }
  } finally {
    await evaluator.close();
  }
  return { rows, seconds: (performance.now() - start) / 1000 };
}

async function finishReference(built: BuiltEnvironment, config: RunConfig, out: string, agent: ReferenceAgent, evaluator: Evaluator, backend: string): Promise<ReferenceRow> {
  const t0 = performance.now();
  const { specs, candidates } = await referenceStrategy(built, config, agent, evaluator);
  const where = referenceOut(out, agent);
  const { timed, ...r } = await applyCore(finalInput(built, config, specs, where));
  built.env.restoreOriginal();
  const cost = built.env.cost(specs);
  const latency = timed ? latencyCheck(built.env, specs, timed, config.latencyBatch, backend) : undefined;
  return { agent, candidates, validationAccuracy: r.validationAccuracy, testAccuracy: r.testAccuracy, packedBytes: r.sizes.packedBytes, cost, budgetShare: cost / built.env.plan.limit, out: where, seconds: (performance.now() - t0) / 1000, ...(latency ? { latency } : {}) };
}

function rerankOn(data: Dataset): FinalReport['rerankOn'] {
  const { split, name } = rerankSplit(data);
  return { split: name, images: split.count };
}

/**
 * The run's evaluation cache as its last checkpoint stored it. A measurement is a function of the strategy (the same
 * compression, the run's one batch sequence, the same images) on one backend and version, so a cached entry is the
 * number a new measurement would give, without its time. A run finished on another backend or version than it
 * searched on measures again (the last bits of a score may differ), and so do entries stored without a loss (runs
 * from before the cross-entropy reward).
 */
function storedCache(store: Store, run: RunRecord, backend: string): Array<[string, number, number]> {
  const same = run.backend === backend && run.versions.autoshrink === AUTOSHRINK_VERSION && run.versions.tfjs === tf.version.tfjs;
  const cp = same ? store.lastCheckpoint(run.id) : null;
  if (!cp) return [];
  return (cacheOf(cp) as Array<[string, number, number?]>).filter((e): e is [string, number, number] => Number.isFinite(e[2]));
}

/** The run's own evaluator (--workers, --queue); this process's when the queue cannot be reached any more (the
 * answers are the same, and a completed run could not be finished otherwise). */
async function evaluatorFor(built: BuiltEnvironment, config: RunConfig, create: EvaluatorFactory, opts: EvaluatorOptions): Promise<Evaluator> {
  return create(config, built, opts).catch((e: Error) => {
    if (!isInputError(e)) throw e;
    return inProcessEvaluator(built.env);
  });
}

/** The re-rank on the run's own evaluator, closed after it. */
async function rerankThrough(built: BuiltEnvironment, config: RunConfig, episodes: StoredEpisode[], create: EvaluatorFactory, opts: EvaluatorOptions): Promise<RerankRow[]> {
  const evaluator = await evaluatorFor(built, config, create, opts);
  try {
    return await rerank(built, config, episodes, evaluator);
  } finally {
    await evaluator.close();
  }
}

/**
 * Final stage of a finished (or stopped) run: re-evaluate its top strategies (rerankTop), then the long fine-tune of
 * the pick from the original weights, files, report in the store.
 */
export async function finishRun(runIdOrPrefix: string, opts: FinalOptions): Promise<FinalReport> {
  const store = openStore(storePath(opts.workdir));
  try {
    const run = store.findRun(runIdOrPrefix);
    if (!run.best) throw new ConfigError(`run ${run.id} has no finished episode yet; resume it first (autoshrink resume ${run.id})`);
    const config = parseStoredConfig(run.config, run.id);
    const built = await buildEnvironment(config, opts.workdir);
    const out = resolve(opts.out ?? join(opts.workdir, 'runs', run.id));
    try {
      const episodes = store.episodes(run.id);
      const smallest = config.goal === 'smallest' ? await chooseSmallest(built, config, episodes, opts.rescoreProgress) : null;
      const table = !smallest && config.rerankTop > 0 && episodes.length > 1 ? await rerankThrough(built, config, episodes, opts.createEvaluator ?? createEvaluator, { backend: opts.backend, runId: run.id }) : [];
      const pickEpisode = smallest ? smallest.rows.find((row) => row.chosen)?.episode : table[0]?.episode;
      const chosen = pickEpisode !== undefined ? episodes.find((e) => e.episode === pickEpisode)! : run.best;
      const specs = toSpecs(chosen.strategy, settingsOf(config));
      const { timed, ...r } = await applyCore({ ...finalInput(built, config, specs, out), onProgress: await opts.onProgress });
      // the strategy names the ORIGINAL model (its hash), not the compressed weights the model holds now
      built.env.restoreOriginal();
      const latency = timed ? latencyCheck(built.env, specs, timed, config.latencyBatch, opts.backend) : undefined;
      const strategy = strategyOf({ run, config, pick: chosen, built, accuracies: { test: r.testAccuracy, baselineTest: r.baselineTestAccuracy }, sizes: r.sizes, latency });
      const strategyPath = join(out, 'strategy.json');
      saveStrategy(strategy, strategyPath);
      // the references' sensitivities and candidates the search already measured are not measured again
      if (referenceAgents(config).length) built.env.restoreCache(storedCache(store, run, opts.backend));
      const refs = await finishReferences(built, config, out, opts.createEvaluator ?? createEvaluator, { backend: opts.backend, runId: run.id });
      const report: FinalReport = {
        runId: run.id,
        out,
        strategyPath,
        ...r,
        steps: config.finalSteps,
        agent: config.agent,
        budgetShare: strategy.cost.value / built.env.plan.limit,
        ...(table.length ? { rerank: table, rerankOn: rerankOn(built.data) } : {}),
        ...(refs.rows.length ? { references: refs.rows, referenceSeconds: refs.seconds } : {}),
        ...(latency ? { latency } : {}),
        ...(smallest ? { smallest: { ...smallest, ...confirmation(smallest, { accuracy: r.testAccuracy, baseline: r.baselineTestAccuracy }) } } : {}),
      };
      store.setFinal(run.id, { ...report, packedBytes: r.sizes.packedBytes, fixedPackedBytes: r.sizes.fixedPackedBytes, fp32Bytes: r.sizes.fp32Bytes, strategy });
      return report;
    } finally {
      built.env.dispose();
      built.model.dispose();
    }
  } finally {
    store.close();
  }
}

/**
 * Export a run's strategy: the one its final stage chose and wrote (stored with the final report), or, for a run
 * without a final stage, its best episode (this needs the model for its hash and costs, not a fine-tune).
 */
export async function exportStrategy(runIdOrPrefix: string, opts: { workdir: string }): Promise<Strategy> {
  const store = openStore(storePath(opts.workdir), { readonly: true });
  try {
    const run = store.findRun(runIdOrPrefix);
    if (!run.best) throw new ConfigError(`run ${run.id} has no finished episode yet; nothing to export`);
    const stored = (run.final as { strategy?: Strategy } | null)?.strategy;
    if (stored) return stored;
    const config = parseStoredConfig(run.config, run.id);
    const built = await buildEnvironment(config, opts.workdir);
    try {
      return strategyOf({ run, config, pick: run.best, built, accuracies: { test: null, baselineTest: null } });
    } finally {
      built.env.dispose();
      built.model.dispose();
    }
  } finally {
    store.close();
  }
}

export interface ApplyOptions {
  workdir: string;
  /** The model to compress: a built-in name or a model.json path (default: the strategy's model). */
  model?: string;
  data?: string;
  dataSeed?: number;
  /** Examples carved from the training data for validation (default 2000, as a search's); lower for a small dataset. */
  validationSize?: number;
  out: string;
  steps: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Batch-norm re-estimation batches; default the strategy's (`settings.bnBatches`). */
  bnBatches?: number;
  onProgress?: StepProgress;
}

/** `apply`: compress `model` with `strategy`, fine-tune, evaluate on the test split, write the files. */
export async function applyStrategy(strategy: Strategy, opts: ApplyOptions): Promise<FinalReport> {
  const modelName = opts.model ?? strategy.model.name;
  const dataSpec = opts.data ?? (strategy.dataset === 'mnist-bundled' ? 'mnist' : strategy.dataset);
  const check = (m: tf.LayersModel) => {
    const layers = matchLayers(strategy, compressibleLayers(m), modelName);
    checkPreserveRatios(m, strategy.layers, `strategy (${modelName})`);
    return layers;
  };
  const bench = await prepare({ model: modelName, data: dataSpec, dataSeed: opts.dataSeed ?? 1, validationSize: opts.validationSize, workdir: opts.workdir }, undefined, check);
  try {
    const layers = check(bench.model);
    const out = resolve(opts.out);
    const r = await applyCore({
      model: bench.model,
      data: bench.data,
      layers,
      specs: toSpecs(strategy.layers, strategy.settings),
      steps: opts.steps,
      batchSize: opts.batchSize ?? 64,
      learningRate: opts.learningRate ?? 5e-4,
      seed: opts.seed ?? 1,
      evalSize: 0,
      out,
      onProgress: opts.onProgress,
      prune: (m) => pruneForEntries(m, strategy.layers, strategy.settings.channelMethod ?? 'l1', bench.data),
      // as the run scored it: version 1 files predate batch-norm re-estimation
      bnBatches: opts.bnBatches ?? strategy.settings.bnBatches ?? (strategy.version === 1 ? 0 : BN_RECALIBRATION_BATCHES),
    });
    const applied: Strategy = { ...strategy, accuracy: { ...strategy.accuracy, test: r.testAccuracy, baselineTest: r.baselineTestAccuracy }, cost: { ...strategy.cost, bytes: r.sizes.packedBytes, fixedWidthBytes: r.sizes.fixedPackedBytes } };
    const strategyPath = join(out, 'strategy.json');
    saveStrategy(applied, strategyPath);
    return { runId: strategy.provenance.runId, out, strategyPath, ...r, steps: opts.steps };
  } finally {
    bench.model.dispose();
  }
}
