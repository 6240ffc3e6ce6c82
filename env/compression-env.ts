/**
 * The compression environment: the world the agent acts in (AMC's and HAQ's episode; docs/search.md).
 *
 * `reset()` starts an episode at the first layer of the walk (model order, reversed, or PocketFlow's random
 * permutation, seeded per episode so a resumed run walks the same way); `step(action)` maps the agent's raw action to
 * a layer setting, clamps it with the budget wall and returns the applied action (what the agent must store: AMC
 * stored the policy's action instead, a defect) and the next state. After the last layer, `evaluate(strategy)`
 * compresses a copy of the ORIGINAL weights, fine-tunes briefly on the training split and measures accuracy on the
 * validation split (env/measure.ts). Identical strategies are evaluated once.
 *
 * With the channels knob (AMC) an episode first builds a NEW, smaller model from the original weights with the
 * strategy's channels removed (env/channel-space.ts, L1 or LASSO selection), then compresses, fine-tunes and scores
 * that model, and disposes it. A layer's cost then depends on its neighbours' channels, so the wall costs whole
 * strategies: before each layer, every layer still to come is assumed at its cheapest setting (fewest channels
 * first), and the layer takes the setting nearest the agent's wish that keeps that lower bound within the budget
 * (AMC's action wall, exact where AMC's is linearised). The state stays the original layer's plus the walk's costs.
 *
 * Never prints, never touches the store: `run/` does that with what this returns.
 */
import type * as tf from '../tfjs.js';
import { BudgetError, ConfigError } from '../errors.js';
import { formatBytes, formatCount, formatMs } from '../units.js';
import type { LayerSpec } from '../learners/types.js';
import { type BudgetPlan, type BudgetSpec, costKindOf, enforceAfter, layerCost, planBudget, sameSpec, sparseMacs, wall } from './budget.js';
import { ChannelSpace, coupledEnforceAfter, coupledWall, fitsAll, refusePreserve } from './channel-space.js';
import type { Dataset } from './data/dataset.js';
import { seededPermutation } from './data/dataset.js';
import type { FinetuneOptions } from './finetune.js';
import type { CompressedLayer } from '../learners/compress-layer.js';
import { actionToSpec, candidateSpecs, preserveOf, type SearchSpace, specToAction, validateSpace, withoutPreserve } from './knobs.js';
import { compressibleLayers, type LayerInfo } from './layers.js';
import type { LatencyTable } from './latency-table.js';
import { type MeasureConfig, type Measurement, type MeasureOptions, StrategyMeasurer } from './measure.js';
import { reward, type RewardKind } from './reward.js';
import { buildState, stateSize, staticFeatures } from './state.js';

export { type Measurement, rewardSplit } from './measure.js';

export type LayerOrder = 'forward' | 'backward' | 'random';

export interface EnvConfig extends MeasureConfig {
  space: SearchSpace;
  budget: BudgetSpec;
  /** A second budget every wall holds as well (`--budget size:2bits,latency:0.6`). */
  alsoBudget?: BudgetSpec;
  /** The run's latency table (run/latency.ts), needed by a latency budget. */
  latency?: LatencyTable;
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

/** A cost in its budget's unit, for messages. */
export function formatCost(kind: BudgetPlan['kind'], cost: number): string {
  return kind === 'size' ? formatBytes(cost) : kind === 'latency' ? formatMs(cost) : formatCount(cost);
}

/** Glob (`*`, `?`) or `first` / `last` against a unit: its name or its layer's (`sep` matches both of sep's kernels). */
export function matchesLayer(pattern: string, layer: LayerInfo, count: number): boolean {
  if (pattern === 'first') return layer.index === 0;
  if (pattern === 'last') return layer.index === count - 1;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(layer.name) || re.test(layer.layerName);
}

export class CompressionEnv {
  /** Every compressible layer of the model. */
  readonly allLayers: LayerInfo[];
  /** The layers in the walk (not excluded), in model order. */
  readonly layers: LayerInfo[];
  /** The first budget's plan: what the state, the reward and the single-budget planners read. */
  readonly plan: BudgetPlan;
  /** Every budget's plan (the first is `plan`); every wall holds all of them. */
  readonly plans: BudgetPlan[];
  /** Whether the walls cost whole strategies (channels couple layers, or two budgets) rather than layer by layer. */
  private readonly whole: boolean;
  readonly stateSize: number;
  readonly actionSize: number;
  private readonly statics: number[][];
  private readonly pinned: (LayerSpec | null)[];
  /** Compresses, fine-tunes and scores strategies from the original weights. */
  private readonly measurer: StrategyMeasurer;
  /** The data with the validation split cut to the reward images. */
  readonly valSplit: Dataset;
  private readonly cache = new Map<string, { accuracy: number; loss: number }>();
  /** The channel groups (decided once per run), when the channels knob or a pin cuts channels. */
  readonly channels: ChannelSpace | null;
  /** Position in `allLayers` of each searched layer. */
  private readonly allIndex: number[];
  /** Per searched layer: its cheapest setting, fewest channels first (what the walls assume of undecided layers). */
  private readonly restMin: LayerSpec[] = [];

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
    const pinKeys = this.layers.map((l) => Object.keys(config.pin).find((p) => matchesLayer(p, l, n)));
    this.pinned = pinKeys.map((key) => (key ? { ...config.space.base, ...config.pin[key] } : null));
    this.allIndex = this.layers.map((l) => this.allLayers.indexOf(l));
    const cuts = config.space.knobs.includes('channels') || this.pinned.some((p) => p !== null && preserveOf(p) < 1);
    this.channels = cuts ? new ChannelSpace(model, this.allLayers) : null;
    const channels = this.channels;
    const canCut = (i: number) => channels !== null && channels.groupOf[this.allIndex[i]] !== null;
    this.pinned.forEach((p, i) => {
      if (p && preserveOf(p) < 1 && !canCut(i)) refusePreserve(channels!, this.layers[i].name, `--pin ${pinKeys[i]}=preserve:${preserveOf(p)}`);
    });
    this.actionSize = config.space.knobs.length;
    this.stateSize = stateSize(this.actionSize);
    this.statics = staticFeatures(this.layers);
    this.prevAction = new Array(this.actionSize).fill(0);

    const specs = [config.budget, ...(config.alsoBudget ? [config.alsoBudget] : [])];
    if (specs.some((b) => b.kind === 'latency')) {
      if (!config.space.knobs.includes('channels')) {
        throw new ConfigError('a latency budget needs the channels knob: tfjs runs every weight in fp32, so only kept channels make the model faster; add channels to --knobs (e.g. --knobs channels or bits,channels)');
      }
      if (!config.latency) throw new Error('a latency budget needs the run\'s latency table (run/latency.ts)');
    }
    const grid = candidateSpecs(config.space);
    // a layer that cannot be channel-pruned keeps every channel whatever the action
    const wholeGrid = grid.filter((s) => preserveOf(s) === 1);
    const excluded = this.allLayers.filter((l) => !this.layers.includes(l));
    const fp: LayerSpec = { ...withoutPreserve(config.space.base), bits: 32, pruneRatio: 0, clusters: 0 };
    const otherParams = model.getWeights().reduce((s, w) => s + w.size, 0) - this.allLayers.reduce((s, l) => s + l.params, 0);
    const candidates = this.pinned.map((p, i) => (p ? [p] : canCut(i) ? grid : wholeGrid));
    const latency = config.latency;
    // per budget: what it counts, its fixed and full costs, and a layer's cost (with channels: its own cut only)
    const pricing = specs.map((spec) => {
      const costKind = costKindOf(spec);
      const fixedCost = (spec.kind === 'size' ? otherParams * 4 : spec.kind === 'latency' ? latency!.constantMs : 0) + excluded.reduce((s, l) => s + layerCost(costKind, l, fp, latency), 0);
      const fullLayerCost = this.layers.reduce((s, l) => s + layerCost(costKind, l, fp, latency), 0);
      const costOf = (i: number, s: LayerSpec) => {
        if (!channels) return layerCost(costKind, this.layers[i], s, latency);
        const counts = channels.counts([]);
        const g = channels.groupOf[this.allIndex[i]];
        if (g !== null) counts[g] = channels.countOf(g, preserveOf(s));
        return layerCost(costKind, channels.prunedLayer(this.allIndex[i], counts), s, latency);
      };
      return { spec, costKind, fixedCost, fullLayerCost, costOf };
    });
    // each layer's cheapest setting, what the walls assume of undecided layers: fewest channels first, then the least
    // cost summed over the budgets (each as a share of its full model)
    const share = (i: number, s: LayerSpec) => pricing.reduce((n, p) => n + p.costOf(i, s) / Math.max(p.fixedCost + p.fullLayerCost, 1e-300), 0);
    candidates.forEach((list, i) => {
      let best = list[0];
      for (const s of list) {
        const d = preserveOf(s) - preserveOf(best);
        if (d < 0 || (d === 0 && share(i, s) < share(i, best))) best = s;
      }
      this.restMin.push(best);
    });
    const cheapest = this.allSpecs(this.restMin);
    this.plans = pricing.map((p) =>
      planBudget({
        kind: p.spec.kind,
        spec: p.spec,
        layers: this.layers,
        candidates,
        costOf: p.costOf,
        // with channels a layer's cost depends on its neighbours: the cheapest strategy is costed whole
        smallest: channels ? channels.total(p.costKind, cheapest, channels.counts(cheapest), latency) : undefined,
        fixedCost: p.fixedCost,
        fullLayerCost: p.fullLayerCost,
        // pinned layers keep their pin in the uniform N-bit reference; the others take N bits
        uniformSpec: (bits, i) => this.pinned[i] ?? { ...config.space.base, bits, pruneRatio: 0, clusters: 0 },
        latency,
        ...(channels ? { channels: { text: channels.describe(), prunable: channels.prunable().length > 0 } } : {}),
      }),
    );
    this.plan = this.plans[0];
    this.whole = channels !== null || this.plans.length > 1;
    if (this.plans.length > 1 && !fitsAll(this.costs(this.restMin), this.limits())) {
      const costs = this.costs(this.restMin);
      throw new BudgetError(`the budgets cannot hold together: the cheapest strategy for both costs ${this.plans.map((p, k) => `${formatCost(p.kind, costs[k])} against ${p.label}`).join(' and ')}; raise one of them`);
    }
    this.measurer = new StrategyMeasurer({ model, data, allLayers: this.allLayers, layers: this.layers, channels: this.channels, config });
    this.valSplit = this.measurer.valSplit;
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
    if (this.whole) {
      const canCut = this.channels !== null && this.channels.groupOf[this.allIndex[i]] !== null;
      const want = this.pinned[i] || canCut ? wish : withoutPreserve(wish);
      const trial = this.filled();
      const costWith = (s: LayerSpec) => {
        trial[i] = s;
        return this.costs(trial);
      };
      const spec = coupledWall(this.plan.candidates[i].specs, costWith, this.limits(), want, dist) ?? this.restMin[i];
      this.strategy[i] = spec;
      // what the decided layers take of the budget: the lower bound of the whole model, less the rest's minima
      let rest = 0;
      for (let j = this.pos + 1; j < this.walk.length; j++) rest += this.plan.minCost[this.walk[j]];
      this.spent = Math.max(0, this.cost(this.filled()) - this.plan.fixed - rest);
      return this.advance(spec, want, i);
    }
    const spec = wall(this.plan, i, this.spent, this.minRest(), wish, dist);
    const { specs, costs } = this.plan.candidates[i];
    this.spent += costs[specs.findIndex((s) => sameSpec(s, spec))];
    this.strategy[i] = spec;
    return this.advance(spec, wish, i);
  }

  private advance(spec: LayerSpec, wish: LayerSpec, i: number): StepResult {
    const space = this.config.space;
    const applied = specToAction(spec, space);
    this.prevAction = applied;
    this.pos++;
    const done = this.pos >= this.walk.length;
    return { applied, spec, clamped: !sameSpec(spec, wish) || this.pinned[i] !== null, pinned: this.pinned[i] !== null, next: done ? null : this.state() };
  }

  /** The episode's strategy so far, each layer not yet decided at its cheapest setting. */
  private filled(): LayerSpec[] {
    return this.layers.map((_, j) => this.strategy[j] ?? this.restMin[j]);
  }

  /** The finished episode's strategy (model order), after HAQ's final pass. */
  finishStrategy(): LayerSpec[] {
    if (!this.whole) return enforceAfter(this.plan, this.strategy);
    return coupledEnforceAfter(this.plan.candidates.map((c) => c.specs), (s) => this.costs(s), this.limits(), this.strategy);
  }

  /** Every searched layer at its cheapest setting (fewest channels first), what the walls assume of undecided layers. */
  cheapestStrategy(): LayerSpec[] {
    return this.restMin.map((s) => ({ ...s }));
  }

  /** The cheapest strategy's cost: every searched layer at its cheapest setting (fewest channels first). */
  minimumCost(): number {
    return this.whole ? this.cost(this.restMin) : this.plan.fixed + this.plan.minCost.reduce((a, b) => a + b, 0);
  }

  /** The cost of searched layer `i` (model order) at `spec`, in the budget's unit (with channels: its own cut only). */
  layerCost(i: number, spec: LayerSpec): number {
    return layerCost(this.plan.costKind, this.layers[i], spec, this.config.latency);
  }

  /** Every budget's limit, in plan order. */
  limits(): number[] {
    return this.plans.map((p) => p.limit);
  }

  /** A strategy's cost against every budget, in plan order. */
  costs(strategy: LayerSpec[]): number[] {
    return this.plans.map((p) => this.costAs(p, strategy));
  }

  /** Whether a strategy holds every budget. */
  fits(strategy: LayerSpec[]): boolean {
    return fitsAll(this.costs(strategy), this.limits());
  }

  /** Every compressible layer's spec: the strategy's for searched layers, full precision for excluded ones. */
  private allSpecs(strategy: LayerSpec[]): LayerSpec[] {
    const fp: LayerSpec = { ...withoutPreserve(this.config.space.base), bits: 32, pruneRatio: 0, clusters: 0 };
    const out = this.allLayers.map(() => fp);
    this.allIndex.forEach((a, i) => (out[a] = strategy[i]));
    return out;
  }

  /** Kept channels per group under `strategy`, or null when nothing is channel-pruned. */
  channelCounts(strategy: LayerSpec[]): number[] | null {
    if (!this.channels) return null;
    const counts = this.channels.counts(this.allSpecs(strategy));
    return this.channels.prunes(counts) ? counts : null;
  }

  /** [kept, original] output channels of searched layer `i` at `spec` (its own cut), when the run cuts channels. */
  channelsAt(i: number, spec: LayerSpec): [number, number] | undefined {
    const g = this.channels?.groupOf[this.allIndex[i]];
    if (g === undefined || g === null) return undefined;
    return [this.channels!.countOf(g, preserveOf(spec)), this.layers[i].outChannels];
  }

  /** [kept, original] output channels of each searched layer under `strategy`. */
  layerChannels(strategy: LayerSpec[]): Array<[number, number]> {
    const counts = this.channelCounts(strategy);
    return this.layers.map((l, i) => (counts ? this.channels!.channelsOf(this.allIndex[i], counts) : [l.outChannels, l.outChannels]));
  }

  /** A strategy's cost against the first budget. */
  cost(strategy: LayerSpec[]): number {
    return this.costAs(this.plan, strategy);
  }

  private costAs(plan: BudgetPlan, strategy: LayerSpec[]): number {
    const latency = this.config.latency;
    if (this.channels) {
      const all = this.allSpecs(strategy);
      return this.channels.total(plan.costKind, all, this.channels.counts(all), latency);
    }
    return plan.fixed + strategy.reduce((s, spec, i) => s + layerCost(plan.costKind, this.layers[i], spec, latency), 0);
  }

  /** Sparse MACs remaining (for the AMC FLOPs reward and reports), channel cuts included. */
  flops(strategy: LayerSpec[]): number {
    // the MACs each setting really keeps (2:4 keeps half whatever pruneRatio says; blocks keep whole blocks)
    const counts = this.channelCounts(strategy);
    const layer = (i: number) => (counts ? this.channels!.prunedLayer(this.allIndex[i], counts) : this.layers[i]);
    return strategy.reduce((s, spec, i) => s + sparseMacs(layer(i), spec), 0);
  }

  /** Dense MACs of the model the strategy builds (every compressible layer; what countFlops counts on it). */
  denseFlops(strategy: LayerSpec[]): number {
    const counts = this.channelCounts(strategy);
    return this.allLayers.reduce((s, l, a) => s + (counts ? this.channels!.prunedLayer(a, counts).macs : l.macs), 0);
  }

  static strategyKey(strategy: LayerSpec[]): string {
    // a layer keeping every channel reads as before, so caches of older runs stay valid
    return strategy.map((s) => `${s.bits}/${s.pruneRatio}/${s.clusters}${preserveOf(s) < 1 ? `/c${preserveOf(s)}` : ''}${s.activationBits ? `/a${s.activationBits}` : ''}`).join('|');
  }

  /**
   * Compress the original weights with `strategy`, fine-tune, and score the model on the reward images (or, with
   * `all`, every validation image). No cache. Every call of a run fine-tunes from the same weights on the same
   * batch sequence and scores the same images (common random numbers), so two strategies differ by what they are,
   * not by their draws. `steps` overrides the fine-tune length (0: none, as sensitivities measure).
   */
  async measure(strategy: LayerSpec[], opts: MeasureOptions = {}): Promise<Measurement> {
    return this.measurer.measure(strategy, this.channelCounts(strategy), opts);
  }

  /**
   * The channel surgery of `strategy` on the ORIGINAL weights: a new, smaller model and its compressible layers (the
   * caller disposes the model), or null when the strategy keeps every channel.
   */
  async pruneFor(strategy: LayerSpec[], timings?: { compress: number }): Promise<{ model: tf.LayersModel; layers: LayerInfo[] } | null> {
    return this.measurer.prune(this.channelCounts(strategy), timings);
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

  /** A strategy's cached accuracy and loss in this run: after the episode fine-tune, or `steps` steps (`steps@key`). */
  cached(strategy: LayerSpec[], steps?: number): { accuracy: number; loss: number } | undefined {
    return this.cache.get(`${steps === undefined ? '' : `${steps}@`}${CompressionEnv.strategyKey(strategy)}`);
  }

  /** Remember a strategy's accuracy (measured here or by a worker). */
  remember(strategy: LayerSpec[], accuracy: number, loss: number, steps?: number): void {
    this.cache.set(`${steps === undefined ? '' : `${steps}@`}${CompressionEnv.strategyKey(strategy)}`, { accuracy, loss });
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
    return this.measurer.compressWith(strategy, ft);
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
    this.measurer.restoreOriginal();
  }

  dispose(): void {
    this.measurer.dispose();
  }
}
