/**
 * Measuring a strategy, the environment's costly job: compress a copy of the ORIGINAL weights with it (on a new,
 * smaller model first when it cuts channels), fine-tune briefly on the training split, and score the model on the
 * validation images. Every measure of a run fine-tunes from the same weights on the same batch sequence and scores
 * the same images (common random numbers), so two strategies differ by what they are, not by their draws.
 *
 * Holds what measuring keeps across episodes: the original weights, the distillation teacher (made once) and
 * LASSO's sample images (drawn once). Knows nothing of the walk or the budget: the environment (compression-env.ts)
 * passes each strategy's channel counts.
 */
import * as tf from '../tfjs.js';
import type { CompressedLayer } from '../learners/compress-layer.js';
import type { LayerSpec } from '../learners/types.js';
import { activationSites, withActivationQuant } from './activation-quant.js';
import type { ChannelSelectionMethod } from './channel-pruning/select.js';
import { type ChannelSpace, channelSamples, pruneForCounts } from './channel-space.js';
import { BN_RECALIBRATION_BATCHES } from './batch-norm.js';
import { compressModel, isIdentity, OriginalWeights } from './compress-model.js';
import { type DataSplit, type Dataset, takeRows } from './data/dataset.js';
import { evaluateModel, type ModelScore } from './evaluate.js';
import type { FinetuneOptions } from './finetune.js';
import { learnerSpec } from './knobs.js';
import type { LayerInfo } from './layers.js';
import { PrefixCache, type PrefixLayer } from './prefix-cache.js';

/** What measuring reads of the environment's config. */
export interface MeasureConfig {
  finetune: Omit<FinetuneOptions, 'seed' | 'onStep' | 'teacher'> & { distill: boolean };
  /** Validation images used for rewards (0 = the whole validation split). */
  evalSize: number;
  seed: number;
  /** How the channels knob picks the channels it keeps: largest L1 norm, or LASSO with a least-squares refit. */
  channelMethod?: ChannelSelectionMethod;
}

export interface Measurement extends ModelScore {
  timings: { compress: number; finetune: number; evaluate: number };
}

export interface MeasureOptions {
  signal?: AbortSignal;
  /** The fine-tune length instead of the config's (0: none, as sensitivities measure). */
  steps?: number;
  /** Score on every validation image instead of the reward images. */
  all?: boolean;
  /** Score on these images instead (the re-rank's held-out split). */
  on?: DataSplit;
  /** Reuse nothing kept by earlier measurements (env/prefix-cache.ts): the time probe times a whole measurement. */
  fresh?: boolean;
}

/** The validation images rewards are measured on: the first `evalSize` (0 = all), the same for every episode. */
export function rewardSplit(data: Dataset, evalSize: number): Dataset {
  const count = evalSize > 0 ? Math.min(evalSize, data.validation.count) : data.validation.count;
  return { ...data, validation: takeRows(data.validation, Int32Array.from({ length: count }, (_, i) => i)) };
}

export interface MeasurerArgs {
  /** The working model: the original weights are restored into it before each use. */
  model: tf.LayersModel;
  data: Dataset;
  /** Every compressible layer: the weights kept as the originals. */
  allLayers: LayerInfo[];
  /** The searched layers, in the order of a strategy's specs. */
  layers: LayerInfo[];
  /** The channel groups, when the run cuts channels. */
  channels: ChannelSpace | null;
  config: MeasureConfig;
  /** The most bytes of layer outputs kept for reuse (env/prefix-cache.ts; default PREFIX_CACHE_BYTES, 0: none). */
  prefixBytes?: number;
}

export class StrategyMeasurer {
  private readonly model: tf.LayersModel;
  private readonly data: Dataset;
  private readonly layers: LayerInfo[];
  private readonly channels: ChannelSpace | null;
  private readonly config: MeasureConfig;
  private readonly originals: OriginalWeights;
  /** The data with the validation split cut to the reward images. */
  readonly valSplit: Dataset;
  private teacher: tf.LayersModel | null = null;
  private samples: tf.Tensor | null = null;
  /** The layers before a measurement's first changed one, kept for the next measurement without fine-tune (null: the
   * model is not a plain chain). */
  readonly prefix: PrefixCache | null;

  constructor({ model, data, allLayers, layers, channels, config, prefixBytes }: MeasurerArgs) {
    this.model = model;
    this.data = data;
    this.layers = layers;
    this.channels = channels;
    this.config = config;
    this.originals = new OriginalWeights(model, allLayers);
    this.valSplit = rewardSplit(data, config.evalSize);
    this.prefix = prefixBytes === 0 ? null : PrefixCache.of(model, prefixBytes);
  }

  /** Compress, fine-tune and score `strategy`, whose channel cuts are `counts` (null: none). No cache. */
  async measure(strategy: LayerSpec[], counts: number[] | null, opts: MeasureOptions = {}): Promise<Measurement> {
    const timings = { compress: 0, finetune: 0, evaluate: 0 };
    await this.ensureTeacher();
    const ft = { ...this.finetuneOptions(`episode:${this.config.seed}`), signal: opts.signal };
    if (opts.steps !== undefined) ft.steps = opts.steps;
    const split = opts.on ?? (opts.all ? this.data.validation : this.valSplit.validation);
    // activation bits fake-quantize the layer inputs through the fine-tune and the scoring, and only then
    const sites = activationSites(this.layers.map((l, i) => ({ layerName: l.layerName, activationBits: strategy[i].activationBits })));
    const run = (model: tf.LayersModel, originals: OriginalWeights, layers?: LayerInfo[], prefix?: PrefixCache | null) => withActivationQuant(model, sites, async (activations) => {
      await compressModel(model, originals, this.planOf(strategy, layers), this.data, { ...ft, rebuilt: !!layers, activations, prefix }, timings);
      const t = performance.now();
      const score = await evaluateModel(model, split, this.data.inputShape, undefined, prefix);
      timings.evaluate = (performance.now() - t) / 1000;
      return { ...score, timings };
    });
    const pruned = await this.prune(counts, timings);
    if (!pruned) {
      // without fine-tune the layers before the first changed one compute what they computed last time
      const bn = ft.bnBatches ?? BN_RECALIBRATION_BATCHES;
      const reuse = ft.steps === 0 && sites.length === 0 && !opts.fresh ? this.prefixLayers(strategy) : null;
      // a fine-tune measures every layer anew: the kept outputs (up to the cache's limit of the wasm heap) would only
      // sit there through the episodes, the re-rank and the final
      if (ft.steps > 0) this.prefix?.clear();
      this.prefix?.begin(reuse, `${bn}|${ft.batchSize}|${ft.seed}`, bn * ft.batchSize + split.count);
      try {
        return await run(this.model, this.originals, undefined, this.prefix);
      } finally {
        this.prefix?.end();
      }
    }
    // the episode's own smaller model: compressed, fine-tuned, scored, then disposed
    const originals = new OriginalWeights(pruned.model, pruned.layers);
    try {
      return await run(pruned.model, originals, pruned.layers);
    } finally {
      originals.dispose();
      pruned.model.dispose();
    }
  }

  /**
   * The channel surgery for `counts` on the ORIGINAL weights: a new, smaller model and its compressible layers (the
   * caller disposes the model), or null when `counts` is null (every channel kept).
   */
  async prune(counts: number[] | null, timings?: { compress: number }): Promise<{ model: tf.LayersModel; layers: LayerInfo[] } | null> {
    if (!counts) return null;
    const t0 = performance.now();
    this.originals.restore(this.model);
    const method = this.config.channelMethod ?? 'l1';
    if (method === 'lasso' && !this.samples) this.samples = channelSamples(this.data);
    const pruned = await pruneForCounts(this.model, this.channels!, counts, method, this.samples ?? undefined);
    if (timings) timings.compress += (performance.now() - t0) / 1000;
    return pruned;
  }

  /** Apply `strategy` with its own fine-tune settings (the final, longer fine-tune); returns the compressed layers. */
  async compressWith(strategy: LayerSpec[], ft: FinetuneOptions): Promise<Array<{ layer: LayerInfo; compressed: CompressedLayer }>> {
    return compressModel(this.model, this.originals, this.planOf(strategy), this.data, ft);
  }

  /** Restore the original weights into the model. */
  restoreOriginal(): void {
    this.originals.restore(this.model);
  }

  dispose(): void {
    this.prefix?.dispose();
    this.originals.dispose();
    this.teacher?.dispose();
    this.samples?.dispose();
  }

  /** Each searched layer's chain index and setting under `strategy`, for the prefix cache. */
  private prefixLayers(strategy: LayerSpec[]): PrefixLayer[] | null {
    if (!this.prefix) return null;
    return this.layers.map((l, i) => {
      const spec = learnerSpec(strategy[i]);
      return { at: this.prefix!.indexOf(l.layerName), setting: JSON.stringify(spec), identity: isIdentity(spec) };
    });
  }

  private finetuneOptions(seed: string): FinetuneOptions {
    const { distill, ...ft } = this.config.finetune;
    return { ...ft, seed, teacher: distill ? (this.teacher ?? undefined) : undefined };
  }

  /** Each searched layer with its spec, as the learners see it (`built`: the layers of a channel-pruned model). */
  private planOf(strategy: LayerSpec[], built?: LayerInfo[]) {
    const byName = new Map((built ?? this.layers).map((l) => [l.name, l]));
    return this.layers.map((layer, i) => ({ layer: byName.get(layer.name)!, spec: learnerSpec(strategy[i]) }));
  }

  private async ensureTeacher(): Promise<void> {
    if (!this.config.finetune.distill || this.teacher) return;
    // the teacher is the uncompressed model, whatever the working model holds now
    this.originals.restore(this.model);
    const artifacts: tf.io.ModelArtifacts[] = [];
    await this.model.save(tf.io.withSaveHandler(async (a) => {
      artifacts.push(a);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    this.teacher = await tf.loadLayersModel(tf.io.fromMemory(artifacts[0]));
  }
}
