/**
 * The compression environment: the world the agent acts in (REFERENCE.md section 5).
 *
 * `reset()` starts an episode at the first layer of the walk (model order, reversed, or PocketFlow's random
 * permutation, seeded per episode so a resumed run walks the same way); `step(action)` maps the agent's raw action to
 * a layer setting, clamps it with the budget wall and returns the applied action (what the agent must store: AMC
 * stored the policy's action instead, a defect) and the next state. After the last layer, `evaluate(strategy)`
 * compresses a copy of the ORIGINAL weights, fine-tunes briefly on the training split and measures accuracy on the
 * validation split. Identical strategies are evaluated once.
 *
 * Never prints, never touches the store: `run/` does that with what this returns.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import type { LayerSpec } from '../learners/types.js';
import { type BudgetPlan, type BudgetSpec, enforceAfter, layerCost, planBudget, sameSpec, sparseMacs, wall } from './budget.js';
import { compressModel, OriginalWeights } from './compress-model.js';
import type { Dataset } from './data/dataset.js';
import { seededPermutation, takeRows } from './data/dataset.js';
import { evaluateModel, type ModelScore } from './evaluate.js';
import type { FinetuneOptions } from './finetune.js';
import type { CompressedLayer } from '../learners/compress-layer.js';
import { actionToSpec, candidateSpecs, type SearchSpace, specToAction, validateSpace } from './knobs.js';
import { compressibleLayers, type LayerInfo } from './layers.js';
import { reward, type RewardKind } from './reward.js';
import { buildState, stateSize, staticFeatures } from './state.js';

export type LayerOrder = 'forward' | 'backward' | 'random';

export interface EnvConfig {
  space: SearchSpace;
  budget: BudgetSpec;
  reward: RewardKind;
  /** Cost weight of the lagrangian reward. */
  lambda: number;
  /** Accuracy drop allowed by the within-drop reward. */
  maxDrop: number;
  order: LayerOrder;
  /** Layer names or glob patterns (`*`) left at full precision and out of the walk. */
  exclude: string[];
  /** Layer name or pattern (`first`, `last` allowed) -> fixed setting; pinned layers are walked but not chosen. */
  pin: Record<string, Partial<LayerSpec>>;
  finetune: Omit<FinetuneOptions, 'seed' | 'onStep' | 'teacher'> & { distill: boolean };
  /** Validation images used for rewards (0 = the whole validation split). */
  evalSize: number;
  seed: number;
}

export interface StepResult {
  /** The action actually applied (after the wall), in [0, 1]^k: store this in replay. */
  applied: number[];
  spec: LayerSpec;
  /** Whether the wall (or a pin) changed the agent's choice. */
  clamped: boolean;
  /** Whether the layer is pinned (its setting is fixed, whatever the action). */
  pinned: boolean;
  /** The next layer's state, or null after the last layer. */
  next: number[] | null;
}

export interface Evaluation {
  accuracy: number;
  /** Validation cross-entropy (NaN for a cache entry restored from a checkpoint made before losses were cached). */
  loss: number;
  cost: number;
  reward: number;
  cached: boolean;
  timings: { compress: number; finetune: number; evaluate: number };
}

export interface Measurement extends ModelScore {
  timings: { compress: number; finetune: number; evaluate: number };
}

/** The validation images rewards are measured on: the first `evalSize` (0 = all), the same for every episode. */
export function rewardSplit(data: Dataset, evalSize: number): Dataset {
  const count = evalSize > 0 ? Math.min(evalSize, data.validation.count) : data.validation.count;
  return { ...data, validation: takeRows(data.validation, Int32Array.from({ length: count }, (_, i) => i)) };
}

/** Glob (`*`, `?`) or `first` / `last` against a layer. */
export function matchesLayer(pattern: string, layer: LayerInfo, count: number): boolean {
  if (pattern === 'first') return layer.index === 0;
  if (pattern === 'last') return layer.index === count - 1;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(layer.name);
}

export class CompressionEnv {
  /** Every compressible layer of the model. */
  readonly allLayers: LayerInfo[];
  /** The layers in the walk (not excluded), in model order. */
  readonly layers: LayerInfo[];
  readonly plan: BudgetPlan;
  readonly stateSize: number;
  readonly actionSize: number;
  private readonly statics: number[][];
  private readonly pinned: (LayerSpec | null)[];
  private readonly originals: OriginalWeights;
  /** The data with the validation split cut to the reward images. */
  readonly valSplit: Dataset;
  private readonly cache = new Map<string, { accuracy: number; loss: number }>();
  private teacher: tf.LayersModel | null = null;

  // episode state
  private walk: number[] = [];
  private pos = 0;
  private strategy: LayerSpec[] = [];
  private spent = 0;
  private prevAction: number[];

  constructor(
    readonly model: tf.LayersModel,
    readonly data: Dataset,
    readonly config: EnvConfig,
    /** The uncompressed model's accuracy on the reward images; set by the caller that measured it. */
    public baselineAccuracy: number,
  ) {
    validateSpace(config.space);
    this.allLayers = compressibleLayers(model);
    const n = this.allLayers.length;
    for (const p of [...config.exclude, ...Object.keys(config.pin)]) {
      if (!this.allLayers.some((l) => matchesLayer(p, l, n))) {
        throw new ConfigError(`no compressible layer matches '${p}'; layers are ${this.allLayers.map((l) => l.name).join(', ')}`);
      }
    }
    this.layers = this.allLayers.filter((l) => !config.exclude.some((p) => matchesLayer(p, l, n)));
    if (this.layers.length === 0) throw new ConfigError('every layer is excluded; nothing left to search');
    this.pinned = this.layers.map((l) => {
      const key = Object.keys(config.pin).find((p) => matchesLayer(p, l, n));
      return key ? { ...config.space.base, ...config.pin[key] } : null;
    });
    this.actionSize = config.space.knobs.length;
    this.stateSize = stateSize(this.actionSize);
    this.statics = staticFeatures(this.layers);
    this.prevAction = new Array(this.actionSize).fill(0);

    const grid = candidateSpecs(config.space);
    const kind = config.budget.kind;
    const excluded = this.allLayers.filter((l) => !this.layers.includes(l));
    const fp: LayerSpec = { ...config.space.base, bits: 32, pruneRatio: 0, clusters: 0 };
    const otherParams = model.getWeights().reduce((s, w) => s + w.size, 0) - this.allLayers.reduce((s, l) => s + l.params, 0);
    const fixedCost = (kind === 'size' ? otherParams * 4 : 0) + excluded.reduce((s, l) => s + layerCost(kind, l, fp), 0);
    this.plan = planBudget({
      kind,
      spec: config.budget,
      layers: this.layers,
      candidates: this.pinned.map((p) => (p ? [p] : grid)),
      fixedCost,
      fullLayerCost: this.layers.reduce((s, l) => s + layerCost(kind, l, fp), 0),
      // pinned layers keep their pin in the uniform N-bit reference; the others take N bits
      uniformSpec: (bits, i) => this.pinned[i] ?? { ...config.space.base, bits, pruneRatio: 0, clusters: 0 },
    });
    this.originals = new OriginalWeights(model, this.allLayers);
    this.valSplit = rewardSplit(data, config.evalSize);
  }

  /** Start episode `episode`; returns the first state. */
  reset(episode: number): number[] {
    const n = this.layers.length;
    this.walk = this.config.order === 'random'
      ? Array.from(seededPermutation(n, `walk:${this.config.seed}:${episode}`))
      : this.config.order === 'backward'
        ? Array.from({ length: n }, (_, i) => n - 1 - i)
        : Array.from({ length: n }, (_, i) => i);
    this.pos = 0;
    this.spent = 0;
    this.strategy = new Array(n);
    this.prevAction = new Array(this.actionSize).fill(0);
    return this.state();
  }

  /** The layer the next `step` decides. */
  get currentLayer(): LayerInfo {
    return this.layers[this.walk[this.pos]];
  }

  private minRest(): number {
    let s = 0;
    for (let j = this.pos + 1; j < this.walk.length; j++) s += this.plan.minCost[this.walk[j]];
    return s;
  }

  private state(): number[] {
    const i = this.walk[this.pos];
    const costs = this.plan.candidates[i].costs;
    return buildState(this.statics[i], {
      spent: this.spent,
      remaining: this.plan.limit - this.plan.fixed - this.spent,
      minRest: this.minRest(),
      budget: this.plan.limit - this.plan.fixed,
      layerMax: costs[costs.length - 1],
      position: this.pos,
      length: this.walk.length,
      prevAction: this.prevAction,
    });
  }

  step(action: number[]): StepResult {
    if (this.pos >= this.walk.length) throw new Error('step() after the last layer; call reset()');
    const i = this.walk[this.pos];
    const space = this.config.space;
    const wish = this.pinned[i] ?? actionToSpec(action, space);
    const dist = (s: LayerSpec) => {
      const a = specToAction(s, space);
      return a.reduce((d, v, k) => d + (v - action[k]) ** 2, 0);
    };
    const spec = wall(this.plan, i, this.spent, this.minRest(), wish, dist);
    const { specs, costs } = this.plan.candidates[i];
    this.spent += costs[specs.findIndex((s) => sameSpec(s, spec))];
    this.strategy[i] = spec;
    const applied = specToAction(spec, space);
    this.prevAction = applied;
    this.pos++;
    const done = this.pos >= this.walk.length;
    return { applied, spec, clamped: !sameSpec(spec, wish) || this.pinned[i] !== null, pinned: this.pinned[i] !== null, next: done ? null : this.state() };
  }

  /** The finished episode's strategy (model order), after HAQ's final pass. */
  finishStrategy(): LayerSpec[] {
    return enforceAfter(this.plan, this.strategy);
  }

  /** The cost of searched layer `i` (model order) at `spec`, in the budget's unit. */
  layerCost(i: number, spec: LayerSpec): number {
    return layerCost(this.plan.kind, this.layers[i], spec);
  }

  cost(strategy: LayerSpec[]): number {
    return this.plan.fixed + strategy.reduce((s, spec, i) => s + layerCost(this.plan.kind, this.layers[i], spec), 0);
  }

  /** Sparse MACs remaining (for the AMC FLOPs reward and reports). */
  flops(strategy: LayerSpec[]): number {
    // the MACs each setting really keeps (2:4 keeps half whatever pruneRatio says; blocks keep whole blocks)
    return strategy.reduce((s, spec, i) => s + sparseMacs(this.layers[i], spec), 0);
  }

  static strategyKey(strategy: LayerSpec[]): string {
    return strategy.map((s) => `${s.bits}/${s.pruneRatio}/${s.clusters}`).join('|');
  }

  private finetuneOptions(seed: string): FinetuneOptions {
    const { distill, ...ft } = this.config.finetune;
    return { ...ft, seed, teacher: distill ? (this.teacher ?? undefined) : undefined };
  }

  /**
   * Compress the original weights with `strategy`, fine-tune, and score the model on the reward images (or, with
   * `all`, every validation image). No cache. Every call of a run fine-tunes from the same weights on the same
   * batch sequence and scores the same images (common random numbers), so two strategies differ by what they are,
   * not by their draws. `steps` overrides the fine-tune length (0: none, as sensitivities measure).
   */
  async measure(strategy: LayerSpec[], opts: { signal?: AbortSignal; steps?: number; all?: boolean } = {}): Promise<Measurement> {
    const timings = { compress: 0, finetune: 0, evaluate: 0 };
    await this.ensureTeacher();
    const ft = { ...this.finetuneOptions(`episode:${this.config.seed}`), signal: opts.signal };
    if (opts.steps !== undefined) ft.steps = opts.steps;
    await compressModel(this.model, this.originals, this.planOf(strategy), this.data, ft, timings);
    const t = performance.now();
    const score = await evaluateModel(this.model, opts.all ? this.data.validation : this.valSplit.validation, this.data.inputShape);
    timings.evaluate = (performance.now() - t) / 1000;
    return { ...score, timings };
  }

  /** The cost and reward of a strategy measured at `accuracy` (against `baseline`, the run's by default). */
  score(strategy: LayerSpec[], accuracy: number, baseline = this.baselineAccuracy, loss = Number.NaN): { cost: number; reward: number } {
    const cost = this.cost(strategy);
    const r = reward(this.config.reward, {
      accuracy,
      loss,
      baselineAccuracy: baseline,
      cost,
      full: this.plan.full,
      flops: this.flops(strategy),
      lambda: this.config.lambda,
      maxDrop: this.config.maxDrop,
    });
    return { cost, reward: r };
  }

  /** The cached accuracy and loss of a strategy, if it was evaluated before in this run. */
  cached(strategy: LayerSpec[]): { accuracy: number; loss: number } | undefined {
    return this.cache.get(CompressionEnv.strategyKey(strategy));
  }

  /** Remember a strategy's accuracy (measured here or by a worker). */
  remember(strategy: LayerSpec[], accuracy: number, loss: number): void {
    this.cache.set(CompressionEnv.strategyKey(strategy), { accuracy, loss });
  }

  /** measure() then score(), with the run's cache: identical strategies are evaluated once. */
  async evaluate(strategy: LayerSpec[], signal?: AbortSignal): Promise<Evaluation> {
    const hit = this.cached(strategy);
    if (hit !== undefined) return { ...hit, ...this.score(strategy, hit.accuracy, undefined, hit.loss), cached: true, timings: { compress: 0, finetune: 0, evaluate: 0 } };
    const m = await this.measure(strategy, { signal });
    this.remember(strategy, m.accuracy, m.loss);
    return { ...m, ...this.score(strategy, m.accuracy, undefined, m.loss), cached: false };
  }

  /** Apply `strategy` with its own fine-tune settings (the final, longer fine-tune); returns the compressed layers. */
  async compressWith(strategy: LayerSpec[], ft: FinetuneOptions): Promise<Array<{ layer: LayerInfo; compressed: CompressedLayer }>> {
    return compressModel(this.model, this.originals, this.planOf(strategy), this.data, ft);
  }

  private planOf(strategy: LayerSpec[]) {
    return this.layers.map((layer, i) => ({ layer, spec: strategy[i] }));
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

  /** Evaluated strategies, for checkpoints (a resumed run keeps its cache): [key, accuracy, loss]. */
  cacheEntries(): Array<[string, number, number]> {
    return [...this.cache.entries()].map(([k, v]) => [k, v.accuracy, v.loss]);
  }

  /** Entries of checkpoints made before losses were cached have no loss: NaN. */
  restoreCache(entries: Array<[string, number, number?]>): void {
    this.cache.clear();
    for (const [k, a, l] of entries) this.cache.set(k, { accuracy: a, loss: l ?? Number.NaN });
  }

  /** Restore the original weights (e.g. before measuring the baseline). */
  restoreOriginal(): void {
    this.originals.restore(this.model);
  }

  dispose(): void {
    this.originals.dispose();
    this.teacher?.dispose();
  }
}
