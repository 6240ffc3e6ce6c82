/**
 * Timing on the run's own backend: each searched unit's op alone at every (input, output) channel pair a strategy can
 * give it (the rows of the latency table, env/latency-table.ts), and whole models side by side.
 *
 * A unit is timed as the op tfjs-layers runs for it, on random inputs of its original spatial shape: Conv2D and the
 * pointwise half of a SeparableConv2D as a fused conv2d (bias and activation fused as the layer fuses them),
 * DepthwiseConv2D and the depthwise half as a depthwise conv2d, Dense as a fused matMul over every position; then the
 * per-channel layers that follow it alone (batch norm, ReLU, an activation), whose work also scales with the kept
 * channels (NetAdapt's table entries are such blocks; left in the constant they would make a cut model look slower
 * than it is). Other
 * units (Conv1D, transposed and recurrent kernels, embeddings) are not timed alone: their time stays in the table's
 * constant, which is right while nothing cuts their channels.
 *
 * An entry is the fastest of ENTRY_REPEATS blocks of calls (env/latency-clock.ts), taken in interleaved rounds: each
 * round times one block of every entry in turn, so the blocks of one entry are spread over the whole measurement and a
 * slow spell of a shared machine hits every entry once instead of all the blocks of a few (timed back to back, nine
 * blocks of one entry fell in one spell: two tables timed in a row at load 3.4 differed per unit by a median 4.5% to
 * 74% entry for entry, the full conv0 0.400 against 0.139 ms; interleaved, 2.4% to 9% at load 5). On a shared machine
 * every other process only adds time, so the fastest block is the estimate of the op's own time. The table is then
 * calibrated on whole models (env/latency-calibration.ts).
 */
import * as tf from '../tfjs.js';
import type { ChannelSpace } from './channel-space.js';
import { calibrationCuts, fitScale, rawSum } from './latency-calibration.js';
import { block, blockSize, median, modelClock, once, timeCalls, timeModels, WARMUP } from './latency-clock.js';
import type { LayerInfo } from './layers.js';
import { type LatencyTable, pairKey } from './latency-table.js';

/** Blocks per table entry, one a round. */
export const ENTRY_REPEATS = 9;
/** Blocks of each whole model after each round of the entries. */
const MODEL_TICKS = 10;

/** The distinct (in, out) pairs one unit can take. */
export interface UnitPairs {
  /** Position of the unit among the model's compressible units. */
  unit: number;
  pairs: Array<[number, number]>;
}

/**
 * Every (input, output) channel pair each unit can take when every prunable group keeps one of the counts the
 * preserve ratios `ratios` give it (or all of its channels): the table's rows. A unit whose channels nothing cuts
 * has one pair, its own.
 */
export function channelPairs(space: ChannelSpace, ratios: number[]): UnitPairs[] {
  const full = space.counts([]);
  const options = full.map((c, g) => (space.opens(g) ? [...new Set([c, ...ratios.map((r) => space.countOf(g, r))])] : [c]));
  return space.layers.map((_, i) => {
    const groups = space.groupsOf(i);
    const seen = new Map<string, [number, number]>();
    const walk = (k: number, counts: number[]) => {
      if (k === groups.length) {
        const l = space.prunedLayer(i, counts);
        seen.set(pairKey(l.inChannels, l.outChannels), [l.inChannels, l.outChannels]);
        return;
      }
      for (const c of options[groups[k]]) {
        const next = counts.slice();
        next[groups[k]] = c;
        walk(k + 1, next);
      }
    };
    walk(0, full);
    return { unit: i, pairs: [...seen.values()] };
  });
}

type Fused = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid';
const FUSED = new Set(['linear', 'relu', 'relu6', 'elu', 'sigmoid']);

interface LayerConfig {
  strides?: number | number[];
  padding?: 'same' | 'valid';
  dilationRate?: number | number[];
  useBias?: boolean;
  activation?: string;
}

const pair = (v: number | number[] | undefined): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v ?? 1, v ?? 1]);

const PER_CHANNEL = new Set(['BatchNormalization', 'ReLU', 'Activation', 'LeakyReLU']);

/** The per-channel layers that follow `layer` alone, in order (each the only reader of the one before). */
export function followers(model: tf.LayersModel, layer: tf.layers.Layer): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  let at = layer;
  for (;;) {
    const next = at.outboundNodes.map((n) => n.outboundLayer).filter((l) => model.layers.includes(l));
    if (next.length !== 1 || !PER_CHANNEL.has(next[0].getClassName())) return out;
    out.push(next[0]);
    at = next[0];
  }
}

/** `y` through the follower layers, with per-channel tensors of `channels` made by `keep`. */
function follow(list: tf.layers.Layer[], channels: number, keep: <T extends tf.Tensor>(t: T) => T): (y: tf.Tensor) => tf.Tensor {
  const steps = list.map((l): ((y: tf.Tensor) => tf.Tensor) => {
    const cfg = l.getConfig() as { activation?: string; maxValue?: number | null; alpha?: number; epsilon?: number };
    switch (l.getClassName()) {
      case 'BatchNormalization': {
        const [mean, variance, beta, gamma] = [0, 1, 2, 3].map(() => keep(tf.randomUniform([channels], 0.5, 1.5)));
        return (y) => tf.batchNorm(y, mean, variance, beta, gamma, cfg.epsilon ?? 1e-3);
      }
      case 'ReLU':
        return (y) => (cfg.maxValue ? tf.clipByValue(y, 0, cfg.maxValue) : tf.relu(y));
      case 'LeakyReLU':
        return (y) => tf.leakyRelu(y, cfg.alpha ?? 0.3);
      default:
        return (y) => activation(cfg.activation ?? 'linear')(y);
    }
  });
  return (y) => steps.reduce((t, f) => f(t), y);
}

/** A Keras activation by name, for the ones the models here use; others are timed as linear. */
function activation(name: string): (y: tf.Tensor) => tf.Tensor {
  switch (name) {
    case 'relu':
      return tf.relu;
    case 'relu6':
      return (y) => tf.clipByValue(y, 0, 6);
    case 'sigmoid':
      return tf.sigmoid;
    case 'tanh':
      return tf.tanh;
    case 'softmax':
      return (y) => tf.softmax(y);
    case 'elu':
      return tf.elu;
    default:
      return (y) => y;
  }
}

/** The op tfjs-layers runs for `unit` at `inC` input and `outC` output channels, or null for a kind not timed alone. */
function unitOp(model: tf.LayersModel, unit: LayerInfo, inC: number, outC: number, batch: number): { run: () => tf.Tensor; dispose: () => void } | null {
  const layer = model.getLayer(unit.layerName);
  const cfg = layer.getConfig() as LayerConfig;
  const input = layer.input;
  const inShape = (Array.isArray(input) ? input[0] : input).shape;
  const outShape = (Array.isArray(layer.outputShape[0]) ? layer.outputShape[0] : layer.outputShape) as Array<number | null>;
  const act = cfg.activation ?? 'linear';
  const fused: Fused = FUSED.has(act) ? (act as Fused) : 'linear';
  const made: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T) => (made.push(t), t);
  const role = unit.name.slice(unit.layerName.length + 1);
  // the layer's own activation where the fused op cannot take it, then the per-channel layers after it (not after
  // the depthwise half of a separable layer: its output is the pointwise half's input)
  const tail = role === 'depthwise' ? [] : followers(model, layer);
  const then = follow(tail, outC, keep);
  const after = (y: tf.Tensor) => then(FUSED.has(act) ? y : activation(act)(y));
  const dispose = () => made.forEach((t) => t.dispose());
  const bias = (n: number, use: boolean) => (use ? keep(tf.randomNormal([n])) : undefined);
  const [kh, kw] = unit.kernelShape;
  if ((unit.className === 'Conv2D' || (unit.className === 'SeparableConv2D' && role === 'pointwise')) && inShape.length === 4) {
    // the pointwise half reads the depthwise half's output: the layer's output size
    const [h, w] = unit.className === 'Conv2D' ? [inShape[1]!, inShape[2]!] : [outShape[1]!, outShape[2]!];
    const x = keep(tf.randomNormal([batch, h, w, inC]) as tf.Tensor4D);
    const filter = keep(tf.randomNormal([kh, kw, inC, outC]) as tf.Tensor4D);
    const b = bias(outC, cfg.useBias !== false);
    const strides = unit.className === 'Conv2D' ? pair(cfg.strides) : ([1, 1] as [number, number]);
    const pad = unit.className === 'Conv2D' ? (cfg.padding ?? 'valid') : 'valid';
    const dilations = unit.className === 'Conv2D' ? pair(cfg.dilationRate) : ([1, 1] as [number, number]);
    return { run: () => tf.tidy(() => after(tf.fused.conv2d({ x, filter, strides, pad, dilations, bias: b, activation: fused }))), dispose };
  }
  if ((unit.className === 'DepthwiseConv2D' || (unit.className === 'SeparableConv2D' && role === 'depthwise')) && inShape.length === 4) {
    const multiplier = Math.max(1, Math.round(outC / inC));
    const x = keep(tf.randomNormal([batch, inShape[1]!, inShape[2]!, inC]) as tf.Tensor4D);
    const filter = keep(tf.randomNormal([kh, kw, inC, multiplier]) as tf.Tensor4D);
    const own = unit.className === 'DepthwiseConv2D';
    const b = bias(inC * multiplier, own && cfg.useBias !== false);
    const activation: Fused = own ? fused : 'linear';
    return { run: () => tf.tidy(() => (own ? after : (y: tf.Tensor) => y)(tf.fused.depthwiseConv2d({ x, filter, strides: pair(cfg.strides), pad: cfg.padding ?? 'valid', dilations: pair(cfg.dilationRate), bias: b, activation }))), dispose };
  }
  if (unit.className === 'Dense') {
    const positions = inShape.slice(1, -1).reduce<number>((a, d) => a * (d ?? 1), 1);
    const a = keep(tf.randomNormal([batch * positions, inC]) as tf.Tensor2D);
    const w = keep(tf.randomNormal([inC, outC]) as tf.Tensor2D);
    const b = bias(outC, cfg.useBias !== false);
    return { run: () => tf.tidy(() => after(tf.fused.matMul({ a, b: w, bias: b, activation: fused }))), dispose };
  }
  dispose();
  return null;
}

/** The fastest block's ms per call of unit `unit` alone at `inC` x `outC` channels, or null for a kind not timed alone. */
export async function timeUnit(model: tf.LayersModel, unit: LayerInfo, inC: number, outC: number, batch: number, repeats = ENTRY_REPEATS): Promise<number | null> {
  const op = unitOp(model, unit, inC, outC, batch);
  if (!op) return null;
  try {
    return Math.min(...(await timeCalls(op.run, repeats)));
  } finally {
    op.dispose();
  }
}

export interface TableRequest {
  model: tf.LayersModel;
  /** The model's channel groups (env/channel-space.ts): which pairs each unit can take. */
  space: ChannelSpace;
  /** The preserve ratios of the run's channels knob. */
  ratios: number[];
  batch: number;
  /** What the table is keyed by (run/latency.ts). */
  key: { model: string; backend: string; machine: string };
  /** Entries measured before (the workdir's cache of this key): not timed again, nor calibrated again. */
  known?: LatencyTable['layers'];
  /** The scale the known entries were calibrated with: new entries are multiplied by it. */
  knownScale?: number;
  /** Called after each round of the entries, with how many entry timings of the table's are done (as entries). */
  onProgress?: (done: number, total: number) => void;
}

/** The latency table of `model`: every missing pair timed in interleaved rounds, then calibrated on whole models. */
export async function measureLatencyTable(req: TableRequest): Promise<LatencyTable> {
  const units = channelPairs(req.space, req.ratios);
  // the backend's first calls (kernel setup, memory growth) belong to no entry
  await timeModels([req.model], req.batch, 3);
  const total = units.reduce((n, u) => n + u.pairs.length, 0);
  const todo: Array<{ info: LayerInfo; inC: number; outC: number; calls: number; best: number }> = [];
  const untimed = new Set<string>();
  for (const { unit, pairs } of units) {
    const info = req.space.layers[unit];
    const known = req.known?.[info.name] ?? {};
    for (const [inC, outC] of pairs) {
      if (known[pairKey(inC, outC)] !== undefined || untimed.has(info.name)) continue;
      // the first round's warm-up sizes the entry's blocks
      const op = unitOp(req.model, info, inC, outC, req.batch);
      if (!op) {
        untimed.add(info.name);
        continue;
      }
      let ms = Infinity;
      for (let w = 0; w < WARMUP; w++) ms = Math.min(ms, await once(op.run));
      op.dispose();
      todo.push({ info, inC, outC, calls: blockSize(ms), best: Infinity });
    }
  }
  // the whole models (the uncompressed one and, for a new table, the calibration's cuts) after each round of the
  // entries: a warm-up tick then MODEL_TICKS, so their fastest blocks are spread over the same spells of the machine as
  // the entries' (a block of a model between entries, its weights out of the caches, timed it up to 25% slower)
  const cuts = req.known ? [] : await calibrationCuts(req.model, req.space, req.ratios);
  const clock = await modelClock([req.model, ...cuts.map((c) => c.model)], req.batch);
  try {
    for (let r = 0; r < ENTRY_REPEATS; r++) {
      for (const e of todo) {
        const op = unitOp(req.model, e.info, e.inC, e.outC, req.batch)!;
        try {
          await once(op.run);
          e.best = Math.min(e.best, await block(op.run, e.calls));
        } finally {
          op.dispose();
        }
      }
      await clock.tick(false);
      for (let k = 0; k < MODEL_TICKS; k++) await clock.tick();
      const done = Math.round((total * (r + 1)) / ENTRY_REPEATS);
      req.onProgress?.(done, total);
    }
  } catch (e) {
    clock.dispose();
    cuts.forEach((c) => c.model.dispose());
    throw e;
  }
  clock.dispose();
  cuts.forEach((c) => c.model.dispose());
  // the uncompressed model's time is its fastest block, as the entries; a cut's is that times its share of it, the
  // median over the ticks of the cut's block over the uncompressed model's block of the same tick (a few ms apart, in
  // the same state of the machine: the steadiest of the statistics, docs/latency.md)
  const [all, ...others] = clock.calls;
  const fullMs = Math.min(...all);
  const cutMs = others.map((c) => fullMs * median(c.map((ms, r) => ms / all[r])));
  // a cached table's entries are calibrated already: new ones take its scale
  const fresh: LatencyTable['layers'] = {};
  for (const e of todo) (fresh[e.info.name] ??= {})[pairKey(e.inC, e.outC)] = e.best;
  const scaled = (s: number) => {
    const out: LatencyTable['layers'] = {};
    for (const l of req.space.layers) {
      const row = { ...req.known?.[l.name], ...Object.fromEntries(Object.entries(fresh[l.name] ?? {}).map(([k, ms]) => [k, ms * s])) };
      if (Object.keys(row).length > 0) out[l.name] = row;
    }
    return out;
  };
  const atFull = (layers: LatencyTable['layers']) => req.space.layers.reduce((s, l) => s + (layers[l.name]?.[pairKey(l.inChannels, l.outChannels)] ?? 0), 0);
  if (req.known) {
    const scale = req.knownScale ?? 1;
    const layers = scaled(scale);
    return { ...req.key, batch: req.batch, fullMs, constantMs: fullMs - atFull(layers), scale, layers };
  }
  const full = { tableMs: rawSum(fresh, req.space.layers), measuredMs: fullMs };
  const scale = fitScale(full, cuts.map((c, k) => ({ tableMs: rawSum(fresh, c.layers), measuredMs: cutMs[k] })));
  const layers = scaled(scale);
  // the fastest block, as the entries: the constant is what the whole model takes beyond its (scaled) units
  return { ...req.key, batch: req.batch, fullMs, constantMs: fullMs - atFull(layers), scale, layers };
}
