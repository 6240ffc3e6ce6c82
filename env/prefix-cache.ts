/**
 * The layers before a measurement's boundary computed once: their outputs reused by the next measurements that set
 * those layers alike.
 *
 * A measurement without fine-tune restores the original weights, compresses some layers from them (deterministically:
 * the same setting gives the same weights), re-estimates the batch-norm statistics on the run's fixed training batches
 * (env/batch-norm.ts) and scores the fixed validation images (env/evaluate.ts). The layers before a boundary then
 * compute the very same values in every measurement that sets them alike, their re-estimated statistics included. So
 * their outputs are kept, per batch-norm batch (the training-mode pass, with the statistics of the batch norms among
 * them) and per scored slice (the inference pass, batch norm folded), and the next such measurement starts the pass at
 * the boundary. The same kernels run on the same values in the same order as a whole pass: losses and accuracies are
 * bit for bit those without the cache (test/env/prefix-cache.test.ts).
 *
 * The boundary is the first changed layer (the sensitivities, run/planners/sensitivities.ts: hundreds of
 * measurements of one layer with the layers before it at fp32, one layer after the other), or when the first layer is
 * changed, the searched layer after it (DDPG episodes: in three default lenet5 searches, warm-started by the
 * knapsack, 77 of 259 fresh episodes set the first layer as the episode before them). One entry is kept at a time;
 * a fine-tune trains every layer, so those measure as before.
 *
 * Only plain chains (env/folded-inference.ts layerChain) with our wasm fusions (the folded scoring and the fused
 * batch-norm statistics), and only while the kept outputs fit in `PREFIX_CACHE_BYTES`.
 */
import * as tf from '../tfjs.js';
import type { DataSplit } from './data/dataset.js';
import { layerChain } from './folded-inference.js';
import { withBatchStatistics } from './kernels/batch-norm-training.js';

/** The most bytes of kept outputs (the batch-norm batches' and the scored images' together). */
export const PREFIX_CACHE_BYTES = 256 * 2 ** 20;

type Stats = [tf.Tensor, tf.Tensor];

/** A searched layer of a measurement: its chain index, its setting (equal settings give equal weights) and whether
 * the setting leaves the original weights. */
export interface PrefixLayer {
  at: number;
  setting: string;
  identity: boolean;
}

interface Entry {
  /** Chain index of the first layer not reused. */
  from: number;
  /** What the kept values depend on: the batch-norm batches and their seed, the settings of the layers before `from`. */
  key: string;
  /** Per batch-norm batch: the training-mode output of the layers before `from`, and their batch norms' statistics
   * (the sites before `from`, in site order). */
  batches: Array<{ input: tf.Tensor; stats: Stats[] }>;
  /** Per scored slice of `split` (slices of `step` images): the inference output of the stages before `from`. */
  scored: { split: DataSplit; step: number; from: number; inputs: tf.Tensor[] } | null;
}

export class PrefixCache {
  private entry: Entry | null = null;
  private current: { from: number; key: string } | null = null;
  /** Measurements a kept entry served (each began with its layers before the boundary set as the entry's). */
  served = 0;

  private constructor(readonly chain: tf.layers.Layer[], private readonly limit: number) {}

  /** A cache for `model`, or null when the model is not a plain chain. */
  static of(model: tf.LayersModel, limit = PREFIX_CACHE_BYTES): PrefixCache | null {
    const chain = layerChain(model);
    return chain ? new PrefixCache(chain, limit) : null;
  }

  /** The chain index of the layer named `name` (-1: not in the chain). */
  indexOf(name: string): number {
    return this.chain.findIndex((l) => l.name === name);
  }

  /**
   * The next measurement sets the searched `layers` (their chain index, their setting, whether it is the identity),
   * its batch-norm re-estimation and scoring read `images` images in all, and `key` names what else they depend on
   * (the batch-norm batches and their seed). Its boundary is the first changed layer, or when that is the chain's
   * first layer, the searched layer after it (so the next measurement that sets the first layer alike starts there: a
   * DDPG episode often repeats the previous one's first layer). The kept entry serves it when the entry's boundary is
   * no earlier and its layers before that boundary are set as the entry's were; otherwise a new entry replaces it
   * (none when the outputs at the boundary would not fit in the byte limit). `layers` null: nothing is reused (a fine-tune trains every layer).
   */
  begin(layers: PrefixLayer[] | null, key: string, images: number): void {
    this.current = null;
    if (!layers || layers.some((l) => l.at < 0)) return;
    const keyBefore = (from: number) => `${key}|${layers.filter((l) => l.at < from).map((l) => `${l.at}:${l.identity ? 'identity' : l.setting}`).join(',')}`;
    const first = Math.min(...layers.filter((l) => !l.identity).map((l) => l.at));
    if (!Number.isFinite(first)) return;
    const from = first > 0 ? first : Math.min(...layers.map((l) => l.at).filter((at) => at > first));
    if (!Number.isFinite(from) || from >= this.chain.length) return;
    // the kept entry serves when it starts no earlier (the sensitivities move on layer by layer) and matches
    if (this.entry && this.entry.from >= from && keyBefore(this.entry.from) === this.entry.key) {
      this.current = { from: this.entry.from, key: this.entry.key };
      this.served++;
      return;
    }
    const shape = (this.chain[from].input as tf.SymbolicTensor).shape;
    const bytes = 4 * images * shape.slice(1).reduce((a: number, b) => a * (b ?? 0), 1);
    if (bytes > this.limit || bytes === 0) return;
    this.clear();
    this.entry = { from, key: keyBefore(from), batches: [], scored: null };
    this.current = { from, key: this.entry.key };
  }

  /** The measurement is over: nothing more is reused until the next `begin`. */
  end(): void {
    this.current = null;
  }

  /**
   * Batch `b`'s statistics of the batch-norm layers `sites` (their input's per-channel mean and mean square, in site
   * order; tensors of the caller's tidy), as the fused training-mode pass reports them (withBatchStatistics), with the
   * layers before the boundary taken from the kept values when batch `b` was seen; null when nothing is reused or a
   * site was not seen exactly once (the caller then passes the whole model).
   */
  batchStatistics(b: number, x: tf.Tensor, sites: tf.layers.Layer[]): Stats[] | null {
    if (!this.current || !this.entry) return null;
    const { from } = this.current;
    const at = sites.map((s) => this.chain.indexOf(s));
    const kept = this.entry.batches[b];
    // batches are kept in the order the re-estimation reads them
    if (at.some((i) => i < 0) || (!kept && this.entry.batches.length !== b)) return null;
    const before = at.map((i) => i < from);
    const seen: Stats[][] = sites.map(() => []);
    const index = new Map(sites.map((s, i) => [s, i]));
    const observe = (layer: tf.layers.Layer, mean: tf.Tensor, variance: tf.Tensor) => {
      const i = index.get(layer);
      // kept: the observer is called inside the layer's tidy; E[x^2] = variance + mean^2 (as env/batch-norm.ts)
      if (i !== undefined) seen[i].push([tf.keep(tf.clone(mean)), tf.keep(tf.add(variance, tf.square(mean)))]);
    };
    const input = kept ? kept.input : withBatchStatistics(observe, () => this.run(x, 0, from, true));
    const last = Math.max(...at);
    if (last >= from) withBatchStatistics(observe, () => this.run(input, from, last + 1, true));
    // each site's statistics: the kept ones before the boundary, else the one just observed
    let k = 0;
    const chosen = sites.map((_, i) => (before[i] && kept ? kept.stats[k++] : seen[i].length === 1 ? seen[i][0] : undefined));
    const complete = chosen.every((s) => s !== undefined) && (!kept || k === kept.stats.length);
    const retained = new Set<tf.Tensor>();
    if (complete && !kept) {
      const stats = chosen.filter((_, i) => before[i]) as Stats[];
      this.entry.batches.push({ input: tf.keep(input), stats });
      stats.flat().forEach((t) => retained.add(t));
    }
    // into the caller's tidy: one scope-tracked clone each
    const out = complete ? (chosen as Stats[]).map(([m, q]) => [tf.clone(m), tf.clone(q)] as Stats) : null;
    tf.dispose(seen.flat(2).filter((t) => !retained.has(t)));
    return out;
  }

  /**
   * The inference pass of slice `slice` (images `x`, slices of `step` images of `split`) through `apply`, which runs the
   * folded stages of chain indices [from, to): the stages before the boundary taken from the kept values when this
   * slice was seen. `cut(from)` is the start of the stage holding chain index `from` (a stage is never split).
   */
  scored(
    split: DataSplit,
    step: number,
    slice: number,
    x: tf.Tensor,
    stages: { cut: (at: number) => number; apply: (x: tf.Tensor, from: number, to: number) => tf.Tensor },
  ): tf.Tensor | null {
    if (!this.current || !this.entry) return null;
    const from = stages.cut(this.current.from);
    if (from <= 0) return null;
    let s = this.entry.scored;
    if (!s || s.split !== split || s.step !== step || s.from !== from) {
      if (s) tf.dispose(s.inputs);
      s = this.entry.scored = { split, step, from, inputs: [] };
    }
    let input = s.inputs[slice];
    if (!input) {
      if (s.inputs.length !== slice) return null;
      input = tf.keep(stages.apply(x, 0, from));
      s.inputs.push(input);
    }
    return stages.apply(input, from, this.chain.length);
  }

  /** What is kept: the chain index the kept outputs feed, and how many batch-norm batches and scored slices. */
  get kept(): { from: number; batches: number; slices: number } | null {
    return this.entry && { from: this.entry.from, batches: this.entry.batches.length, slices: this.entry.scored?.inputs.length ?? 0 };
  }

  /** Drop every kept value. */
  clear(): void {
    if (!this.entry) return;
    tf.dispose(this.entry.batches.flatMap((e) => [e.input, ...e.stats.flat()]));
    if (this.entry.scored) tf.dispose(this.entry.scored.inputs);
    this.entry = null;
  }

  dispose(): void {
    this.clear();
    this.current = null;
  }

  /** Chain layers [from, to) on `x`, in training mode or not. */
  private run(x: tf.Tensor, from: number, to: number, training: boolean): tf.Tensor {
    let y = x;
    for (let i = from; i < to; i++) y = this.chain[i].apply(y, { training }) as tf.Tensor;
    return y;
  }
}
