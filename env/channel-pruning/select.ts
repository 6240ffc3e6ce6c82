/**
 * Channel selection glue: which channels each group keeps (largest L1 norm, or He et al.'s LASSO on sampled feature
 * maps, both in learners/channel-selection.ts), the optional least-squares refit of the consumers, and
 * `pruneChannels`, which runs analysis, plan, selection and surgery in order.
 *
 * Deliberate difference: He et al. prune layer by layer, each time sampling the already-pruned network; so do we
 * (group by group in model order, rebuilding the pruned model for each), with the target Y always the ORIGINAL
 * model's consumer output.
 *
 * A Dense layer applied to a sequence ([n, t, c], after an Embedding or an RNN with returnSequences) applies one
 * kernel at every step, so it is sampled as a 1x1 convolution over its steps: the rows [n*t, c], `samplesPerImage`
 * steps drawn per sequence as a convolution's positions are. A step count unknown to the model (tfjs types
 * Reshape([-1]) as [null, null]) is read off the first sampled batch.
 */
import * as tf from '../../tfjs.js';
import seedrandom from 'seedrandom';
import { ConfigError, ModelError } from '../../errors.js';
import {
  type ChannelProblem,
  channelL1Norms,
  channelProblem,
  combineProblems,
  lassoSelect,
  leastSquares,
  relativeOutputError,
  topChannels,
} from '../../learners/channel-selection.js';
import { analyzeChannels, lastDim } from './analysis.js';
import { countFlops } from './cost.js';
import { type ChannelPlanOptions, planChannels } from './plan.js';
import { buildPrunedModel, keptPositions } from './surgery.js';
import type { AxisLayout, ChannelAnalysis, ChannelGroup, LayerWeights } from './types.js';


export type ChannelSelectionMethod = 'l1' | 'lasso';

export interface ChannelPruneOptions extends ChannelPlanOptions {
  /** Kept channels per group, overriding the plan options. */
  counts?: number[];
  /** 'l1': largest L1 norm of the producers' filters (default); 'lasso': He et al. on sampled feature maps. */
  method?: ChannelSelectionMethod;
  /** Refit each consumer by least squares on the sampled feature maps; default true for 'lasso', false for 'l1'. */
  reconstruct?: boolean;
  /** Images [n, h, w, c] to sample feature maps from ('lasso' or `reconstruct`); the caller keeps ownership. */
  inputs?: tf.Tensor;
  /**
   * Sampled output positions per image for a convolutional consumer, or time steps per sequence for a Dense layer
   * on a sequence (a Dense layer on a vector gets one row per image). Default 2.
   */
  samplesPerImage?: number;
  /** Seed of the sampled positions. Default 1. */
  seed?: number;
  /** Relative ridge of the least-squares refit. Default 1e-6. */
  ridge?: number;
  /** The model's analysis when the caller made it already (a search decides the groups once per run). */
  analysis?: ChannelAnalysis;
}

export interface GroupSelection {
  group: number;
  kept: Int32Array;
  method: ChannelSelectionMethod;
  /** LASSO only: the lambda used and whether it gave exactly the requested count. */
  lambda?: number;
  exact?: boolean;
  /** Relative output error ||Y - Y'||^2 / ||Y||^2 of the consumers, after selection, before and after the refit (sampled rows). */
  errorSelected?: number;
  errorReconstructed?: number;
}

export interface ChannelPruneResult {
  model: tf.LayersModel;
  analysis: ChannelAnalysis;
  counts: number[];
  /** Kept channels per group; null for a group left whole. */
  kept: Array<Int32Array | null>;
  selections: GroupSelection[];
  flops: { before: number; after: number };
  params: { before: number; after: number };
}

/** Plan, select, (reconstruct) and build: the pruned model and what was done. The caller disposes `result.model`. */
export async function pruneChannels(model: tf.LayersModel, opts: ChannelPruneOptions = {}): Promise<ChannelPruneResult> {
  const analysis = opts.analysis ?? analyzeChannels(model);
  const counts = opts.counts ?? planChannels(analysis, opts);
  if (counts.length !== analysis.groups.length) throw new ConfigError(`counts has ${counts.length} entries; the model has ${analysis.groups.length} channel groups`);
  counts.forEach((k, g) => {
    const c = analysis.groups[g].channels;
    if (!(Number.isInteger(k) && k >= 1 && k <= c)) throw new ConfigError(`group ${g} (${analysis.groups[g].producers.join(', ')}) has ${c} channels; cannot keep ${k}`);
    if (k < c && analysis.groups[g].frozen !== null) throw new ConfigError(`group ${g} (${analysis.groups[g].producers.join(', ')}) cannot be pruned: ${analysis.groups[g].frozen}`);
  });
  const method = opts.method ?? 'l1';
  const reconstruct = opts.reconstruct ?? method === 'lasso';
  const kept: Array<Int32Array | null> = analysis.groups.map(() => null);
  const kernels = new Map<string, Float32Array>();
  const selections: GroupSelection[] = [];
  const order = analysis.groups.filter((g) => counts[g.id] < g.channels).map((g) => g.id);

  if (method === 'l1' && !reconstruct) {
    for (const g of order) {
      kept[g] = topChannels(groupL1Norms(model, analysis.groups[g]), counts[g]);
      selections.push({ group: g, kept: kept[g] as Int32Array, method });
    }
  } else {
    if (!opts.inputs) throw new ConfigError(`${method === 'lasso' ? 'LASSO selection' : 'reconstruction'} samples feature maps: pass inputs (a batch of training images)`);
    const sampler = new FeatureSampler(model, analysis, opts.inputs, opts.samplesPerImage ?? 2, opts.seed ?? 1);
    const original = await sampler.original();
    const ridge = opts.ridge ?? 1e-6;
    for (const g of order) {
      const current = await buildPrunedModel(model, analysis, kept, kernels);
      try {
        selections.push(await selectGroup({ model, current, analysis, group: g, keep: counts[g], method, reconstruct, kept, kernels, sampler, original, ridge }));
      } finally {
        current.dispose();
      }
      kept[g] = selections[selections.length - 1].kept;
    }
  }
  const pruned = await buildPrunedModel(model, analysis, kept, kernels);
  return {
    model: pruned,
    analysis,
    counts,
    kept,
    selections,
    flops: { before: analysis.totalFlops, after: countFlops(pruned).total },
    params: { before: analysis.totalParams, after: pruned.countParams() },
  };
}

/** Sum over the group's producers of the L1 norm of each output filter. */
export function groupL1Norms(model: tf.LayersModel, group: ChannelGroup): Float64Array {
  const scores = new Float64Array(group.channels);
  for (const p of group.producers) {
    const kernel = model.getLayer(p).getWeights()[0];
    const norms = channelL1Norms(kernel.dataSync() as Float32Array, kernel.shape, -1);
    for (let c = 0; c < scores.length; c++) scores[c] += norms[c];
  }
  return scores;
}

/**
 * Where a consumer reads its input: a convolution on im2col patches, or a Dense layer as a 1x1 convolution over its
 * positions (1 for a vector; the time steps of a sequence [n, t, c], or every axis between the batch and the
 * features), so that the feature maps [n, t, c] become rows [n*t, c] like a convolution's output positions.
 */
interface ConsumerGeometry {
  kind: 'conv' | 'dense';
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  padTop: number;
  padLeft: number;
  inH: number;
  inW: number;
  /** Output rows; for a Dense layer on a sequence of unknown length, 0 until the first samples show it. */
  outH: number;
  outW: number;
}

function pair(v: unknown, fallback: number): [number, number] {
  if (Array.isArray(v)) return [v[0] as number, (v[1] ?? v[0]) as number];
  if (typeof v === 'number') return [v, v];
  return [fallback, fallback];
}

function geometry(layer: ReturnType<tf.LayersModel['getLayer']>): ConsumerGeometry {
  const inShape = (layer.inboundNodes[0].inputTensors[0].shape as Array<number | null>).slice();
  const outShape = layer.outputShape as number[];
  if (layer.getClassName() === 'Dense') {
    // a Dense applies its kernel to the last axis at every position, the same W at each
    const positions = inShape.slice(1, -1).reduce<number>((a, d) => (d === null || a === 0 ? 0 : a * d), 1);
    return { kind: 'dense', kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 0, padLeft: 0, inH: positions, inW: 1, outH: positions, outW: 1 };
  }
  const cfg = layer.getConfig() as Record<string, unknown>;
  const [kh, kw] = pair(cfg.kernelSize, 1);
  const [sh, sw] = pair(cfg.strides, 1);
  const [dh, dw] = pair(cfg.dilationRate, 1);
  const [inH, inW] = [inShape[1] as number, inShape[2] as number];
  const [outH, outW] = [outShape[1], outShape[2]];
  let padTop = 0;
  let padLeft = 0;
  if (cfg.padding === 'same') {
    // TensorFlow's 'same': total padding split with the extra row / column at the end
    padTop = Math.floor(Math.max((outH - 1) * sh + (kh - 1) * dh + 1 - inH, 0) / 2);
    padLeft = Math.floor(Math.max((outW - 1) * sw + (kw - 1) * dw + 1 - inW, 0) / 2);
  } else if (cfg.padding !== 'valid') {
    throw new ModelError(`conv layer ${layer.name} has padding '${String(cfg.padding)}'; sampling supports 'same' and 'valid'`);
  }
  return { kind: 'conv', kh, kw, sh, sw, dh, dw, padTop, padLeft, inH, inW, outH, outW };
}

/** Consumer input rows [n, d] at fixed sample sites (image, output y, output x), for any version of the model. */
class FeatureSampler {
  private readonly consumers: string[];
  private readonly sites = new Map<string, Int32Array>();
  private readonly geometries = new Map<string, ConsumerGeometry>();
  private readonly perImage = new Map<string, number>();

  constructor(
    private readonly model: tf.LayersModel,
    analysis: ChannelAnalysis,
    private readonly inputs: tf.Tensor,
    samplesPerImage: number,
    private readonly seed: number,
  ) {
    this.consumers = [...new Set(analysis.groups.flatMap((g) => g.consumers.map((c) => c.layer)))];
    for (const name of this.consumers) {
      const geo = geometry(model.getLayer(name));
      this.geometries.set(name, geo);
      // a Dense on a vector has one row per image; on a sequence it is sampled like a convolution
      this.perImage.set(name, geo.kind === 'dense' && geo.outH === 1 ? 1 : samplesPerImage);
      if (geo.outH > 0) this.drawSites(name, geo);
    }
  }

  /** Random output positions, seeded by the consumer's name: the same sites for every version of the model. */
  private drawSites(name: string, geo: ConsumerGeometry): void {
    const per = this.perImage.get(name) as number;
    const rng = seedrandom(`channel-samples:${this.seed}:${name}`);
    const sites = new Int32Array(this.inputs.shape[0] * per * 3);
    for (let i = 0; i < sites.length / 3; i++) {
      sites[i * 3] = Math.floor(i / per);
      sites[i * 3 + 1] = Math.floor(rng() * geo.outH);
      sites[i * 3 + 2] = Math.floor(rng() * geo.outW);
    }
    this.sites.set(name, sites);
  }

  rows(name: string): number {
    return this.inputs.shape[0] * (this.perImage.get(name) as number);
  }

  /** The original model's rows for every consumer. */
  original(): Promise<Map<string, { x: Float32Array; d: number }>> {
    return this.sample(this.model, this.consumers);
  }

  /** Rows of `names` in `model` (a pruned version: same layer names, same spatial sizes). */
  async sample(model: tf.LayersModel, names: string[]): Promise<Map<string, { x: Float32Array; d: number }>> {
    const sub = tf.model({ inputs: model.inputs, outputs: names.map((n) => model.getLayer(n).input as tf.SymbolicTensor) });
    const result = new Map<string, { x: Float32Array; d: number }>();
    const channels = names.map((n) => lastDim(model.getLayer(n).inboundNodes[0].inputTensors[0].shape));
    names.forEach((n, k) => {
      const geo = this.geometries.get(n) as ConsumerGeometry;
      const d = geo.kh * geo.kw * channels[k];
      result.set(n, { x: new Float32Array(this.rows(n) * d), d });
    });
    const images = this.inputs.shape[0];
    const batch = 128;
    const cursor = names.map(() => 0);
    for (let from = 0; from < images; from += batch) {
      const to = Math.min(images, from + batch);
      const outs = tf.tidy(() => {
        const x = this.inputs.slice(from, to - from);
        const y = sub.predict(x);
        return Array.isArray(y) ? y : [y];
      });
      const data = await Promise.all(outs.map((o) => o.data() as Promise<Float32Array>));
      tf.dispose(outs);
      names.forEach((n, k) => {
        const geo = this.geometries.get(n) as ConsumerGeometry;
        const c = channels[k];
        const feat = data[k];
        if (geo.outH === 0) {
          // a sequence of unknown length: the first batch shows it, and it is the same in every version of the model
          geo.inH = geo.outH = feat.length / ((to - from) * c);
          this.drawSites(n, geo);
        }
        const sites = this.sites.get(n) as Int32Array;
        const { x, d } = result.get(n) as { x: Float32Array; d: number };
        while (cursor[k] * 3 < sites.length && sites[cursor[k] * 3] < to) {
          const r = cursor[k]++;
          const img = sites[r * 3] - from;
          const oy = sites[r * 3 + 1];
          const ox = sites[r * 3 + 2];
          for (let ky = 0; ky < geo.kh; ky++) {
            const iy = oy * geo.sh - geo.padTop + ky * geo.dh;
            if (iy < 0 || iy >= geo.inH) continue;
            for (let kx = 0; kx < geo.kw; kx++) {
              const ix = ox * geo.sw - geo.padLeft + kx * geo.dw;
              if (ix < 0 || ix >= geo.inW) continue;
              const src = ((img * geo.inH + iy) * geo.inW + ix) * c;
              x.set(feat.subarray(src, src + c), r * d + (ky * geo.kw + kx) * c);
            }
          }
        }
      });
    }
    return result;
  }
}

/** x [n, d] times w [d, o], float64 accumulation, columns `cols` of w only. */
function multiply(x: Float32Array, w: Float32Array, n: number, d: number, o: number, cols: Int32Array): Float32Array {
  const k = cols.length;
  const y = new Float32Array(n * k);
  const acc = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    acc.fill(0);
    for (let i = 0; i < d; i++) {
      const v = x[r * d + i];
      if (v === 0) continue;
      for (let j = 0; j < k; j++) acc[j] += v * w[i * o + cols[j]];
    }
    for (let j = 0; j < k; j++) y[r * k + j] = acc[j];
  }
  return y;
}

/** What choosing one group's channels needs: the two models, the group, how to choose, and the work so far. */
interface SelectGroupArgs {
  /** The original model: its consumers' outputs are the target, and its kernels the shape the refits are written in. */
  model: tf.LayersModel;
  /** The model with the groups chosen so far already pruned: the consumers' inputs are sampled from it. */
  current: tf.LayersModel;
  analysis: ChannelAnalysis;
  /** The group's index, and how many of its channels it keeps. */
  group: number;
  keep: number;
  method: ChannelSelectionMethod;
  /** Refit the consumers by least squares after the choice. */
  reconstruct: boolean;
  /** Kept channels of every group chosen so far (null: whole). */
  kept: ReadonlyArray<Int32Array | null>;
  /** Refit kernels so far by layer, in their original shapes; this group's refits are written here. */
  kernels: Map<string, Float32Array>;
  sampler: FeatureSampler;
  /** The original model's sampled consumer inputs, by layer. */
  original: Map<string, { x: Float32Array; d: number }>;
  /** Relative ridge of the least-squares refit. */
  ridge: number;
}

async function selectGroup(args: SelectGroupArgs): Promise<GroupSelection> {
  const { model, current, analysis, group: g, keep, method, reconstruct, kept, kernels, sampler, original, ridge } = args;
  const group = analysis.groups[g];
  const names = group.consumers.map((c) => c.layer);
  const samples = await sampler.sample(current, names);
  const weightsOf = new Map(analysis.weights.map((w) => [w.layer, w]));
  // per consumer: its problem in the current model's coordinates, and how to map back to the original kernel
  const parts = await Promise.all(
    group.consumers.map(async (consumer) => {
      const axes = (weightsOf.get(consumer.layer) as LayerWeights).weights[0];
      const shape = axes.shape;
      const inAxis = axes.axes[shape.length - 2] as AxisLayout;
      const outAxis = axes.axes[shape.length - 1];
      const cinOrig = shape[shape.length - 2];
      const oOrig = shape[shape.length - 1];
      const inPos = keptPositions(inAxis, kept);
      const outPos = outAxis ? keptPositions(outAxis, kept) : Int32Array.from({ length: oOrig }, (_, i) => i);
      const { x, d } = samples.get(consumer.layer) as { x: Float32Array; d: number };
      const n = sampler.rows(consumer.layer);
      const o = outPos.length;
      const spatial = d / inPos.length;
      const origRow = Int32Array.from({ length: d }, (_, i) => Math.floor(i / inPos.length) * cinOrig + inPos[i % inPos.length]);
      const channelOf = Int32Array.from({ length: d }, (_, i) => consumer.channelOf[inPos[i % inPos.length]]);
      const orig = original.get(consumer.layer) as { x: Float32Array; d: number };
      const origKernel = model.getLayer(consumer.layer).getWeights()[0];
      const y = multiply(orig.x, (await origKernel.data()) as Float32Array, n, orig.d, oOrig, outPos);
      const curKernel = current.getLayer(consumer.layer).getWeights()[0];
      const w = (await curKernel.data()) as Float32Array;
      if (w.length !== d * o || spatial !== Math.round(spatial)) throw new ModelError(`sampled inputs of ${consumer.layer} do not match its kernel [${curKernel.shape}]`);
      return { consumer, x, y, w, dims: { n, d, o }, origRow, channelOf, outPos, oOrig, problem: null as ChannelProblem | null };
    }),
  );

  let selection: Int32Array;
  let lambda: number | undefined;
  let exact: boolean | undefined;
  if (method === 'lasso') {
    for (const p of parts) p.problem = channelProblem(p.x, p.w, p.y, p.dims, p.channelOf, group.channels);
    const choice = lassoSelect(combineProblems(parts.map((p) => p.problem as ChannelProblem)), keep);
    selection = choice.kept;
    lambda = choice.lambda;
    exact = choice.exact;
  } else {
    selection = topChannels(groupL1Norms(model, group), keep);
  }
  const keepMask = new Uint8Array(group.channels);
  for (const c of selection) keepMask[c] = 1;

  let errSelected = 0;
  let errReconstructed = 0;
  for (const p of parts) {
    const cols = Int32Array.from(
      Array.from({ length: p.dims.d }, (_, i) => i).filter((i) => p.channelOf[i] < 0 || keepMask[p.channelOf[i]] === 1),
    );
    const sliced = new Float32Array(cols.length * p.dims.o);
    cols.forEach((c, s) => sliced.set(p.w.subarray(c * p.dims.o, (c + 1) * p.dims.o), s * p.dims.o));
    errSelected += relativeOutputError(p.x, p.y, p.dims, cols, sliced) / parts.length;
    if (!reconstruct) {
      errReconstructed += relativeOutputError(p.x, p.y, p.dims, cols, sliced) / parts.length;
      continue;
    }
    const refit = leastSquares(p.x, p.y, p.dims, cols, ridge);
    errReconstructed += relativeOutputError(p.x, p.y, p.dims, cols, refit) / parts.length;
    // write the refit into the consumer's kernel in the ORIGINAL shape; pruned rows are dropped by the surgery
    const base = kernels.get(p.consumer.layer) ?? Float32Array.from(model.getLayer(p.consumer.layer).getWeights()[0].dataSync());
    cols.forEach((c, s) => {
      const row = p.origRow[c] * p.oOrig;
      for (let j = 0; j < p.dims.o; j++) base[row + p.outPos[j]] = refit[s * p.dims.o + j];
    });
    kernels.set(p.consumer.layer, base);
  }
  return { group: g, kept: selection, method, lambda, exact, errorSelected: errSelected, errorReconstructed: errReconstructed };
}
