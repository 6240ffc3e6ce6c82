/**
 * Transpose on wasm, three ways side by side in one process: wasm's own kernel ('wasm'), a shared buffer where only
 * axes of size 1 move and wasm's kernel otherwise ('ours': a candidate kept here, not installed: registered as a
 * kernel it made DDPG searches store NaN critic losses, cause not found) and a copy in JavaScript on the wasm heap ('js': the candidate kept here, not in env/, because it lost; cache-blocked
 * 64-value tiles, taller for narrow rows, for a swap of the last two axes after merging axes; an index loop otherwise).
 * 1. The Transpose alone, at the shapes training meets (a first layer's [50176, 9] image patches, a pointwise layer's
 *    [64*7*7, 64], LeNet's composite filter gradient's [64,24,24,6] by [1,2,0,3]) and small ones; rounds interleaved,
 *    medians; the three outputs compared word for word.
 * 2. Every Transpose of a fine-tune step (nested ones too: our composites call it), by shape, under the default kernels:
 *    what a faster Transpose could save at most.
 * 3. The fine-tune step (env/compress-model.ts, the typical strategy of bench/kernels.ts) with 'ours' and 'js' against
 *    'wasm', interleaved rounds, medians.
 * 4. Inside the first layer's filter gradient in a fine-tune step (Conv2DBackpropFilter over [64,28,28,1]): every
 *    kernel it calls, per step.
 * 5. What that points to: wasm's BatchMatMul (XNNPACK's fully-connected operator) packs its right operand, once per
 *    tensor, and training hands it a new one every call. The products of section 4 with the same right operand each
 *    call and with a new one (a fresh tensor of the same values), interleaved rounds, medians.
 *   npx tsx bench/transpose.ts [--models mobilenet-tiny,lenet5] [--rounds 5] [--workdir .autoshrink]
 */
import * as tf from '../tfjs.js';
import { loadavg } from 'node:os';
import { selectBackend } from '../env/backend.js';
import { OriginalWeights } from '../env/compress-model.js';
import type { Dataset } from '../env/data/dataset.js';
import { compressibleLayers } from '../env/layers.js';
import type { WasmHeap } from '../env/kernels/registry.js';
import { setFastWasmKernels } from '../env/wasm-kernels.js';
import { prepare } from '../run/setup.js';
import { arg, table, writeResults } from './common.js';
import { finetuneStepMs } from './finetune-step.js';

// --- the no-copy candidate ('ours')
/**
 * The shape and permutation after dropping axes of size 1 and merging runs of input axes that the permutation keeps
 * adjacent and in order: [64,28,28,1] by [3,1,2,0] is [64,784] by [1,0]; a permutation is a copy when this gives
 * [0, 1, ..., k].
 */
function collapsePermutation(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const kept = shape.map((d, i) => (d === 1 ? -1 : i)).filter((i) => i >= 0);
  const place = new Map(kept.map((axis, r) => [axis, r])); // input axis -> its place among the kept ones
  const groups: number[][] = []; // runs of consecutive kept axes, in output order
  for (const a of perm.filter((p) => shape[p] !== 1).map((p) => place.get(p)!)) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last[last.length - 1] + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const byInput = [...groups].sort((g, h) => g[0] - h[0]);
  return {
    shape: byInput.map((g) => g.reduce((p, a) => p * shape[kept[a]], 1)),
    perm: groups.map((g) => byInput.indexOf(g)),
  };
}

/** x permuted by `perm` as a view of its own buffer, or null when values move (wasm's kernel copies them). */
function transposeWithoutCopy(x: tf.TensorInfo, perm: number[], backend: WasmHeap): tf.TensorInfo | null {
  if (x.dtype === 'string' || !collapsePermutation(x.shape, perm).perm.every((a, i) => a === i)) return null;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: perm.map((a) => x.shape[a]), dtype: x.dtype };
}


const models = arg('models', 'mobilenet-tiny,lenet5').split(',');
const rounds = Number(arg('rounds', '5'));
const workdir = arg('workdir', '.autoshrink');
const BATCH = 64;
const loadStart = loadavg()[0];
await selectBackend('wasm');

// --- the JavaScript candidate
type Words = Int32Array | Uint8Array;
const words = (a: Float32Array | Int32Array | Uint8Array): Words => (a instanceof Float32Array ? new Int32Array(a.buffer, a.byteOffset, a.length) : a);
const TILE = 64;

/** dst[b, c, r] = src[b, r, c] for src [batch, rows, cols], tile by tile. */
function swapLastTwo(src: Words, dst: Words, batch: number, rows: number, cols: number): void {
  const tileRows = cols < TILE ? Math.floor((TILE * TILE) / cols) : TILE;
  for (let b = 0, base = 0; b < batch; b++, base += rows * cols) {
    for (let r0 = 0; r0 < rows; r0 += tileRows) {
      const r1 = Math.min(r0 + tileRows, rows);
      for (let c0 = 0; c0 < cols; c0 += TILE) {
        const c1 = Math.min(c0 + TILE, cols);
        for (let c = c0; c < c1; c++) {
          let d = base + c * rows + r0;
          for (let r = r0, s = base + r0 * cols + c; r < r1; r++, s += cols) dst[d++] = src[s];
        }
      }
    }
  }
}

/** The output in order, its innermost axis read at that axis' input stride. */
function permuteByIndex(src: Words, dst: Words, shape: number[], perm: number[]): void {
  const strides = tf.util.computeStrides(shape).concat(1);
  const outShape = perm.map((a) => shape[a]);
  const step = perm.map((a) => strides[a]);
  const rank = perm.length;
  const [inner, innerStep] = [outShape[rank - 1], step[rank - 1]];
  const index = new Array<number>(rank - 1).fill(0);
  for (let at = 0, from = 0; at < dst.length; at += inner) {
    for (let i = 0, s = from; i < inner; i++, s += innerStep) dst[at + i] = src[s];
    for (let i = rank - 2; i >= 0; i--) {
      from += step[i];
      if (++index[i] < outShape[i]) break;
      from -= step[i] * outShape[i];
      index[i] = 0;
    }
  }
}

function jsTranspose(x: tf.TensorInfo, perm: number[], backend: WasmHeap): tf.TensorInfo {
  const out = backend.makeOutput(perm.map((a) => x.shape[a]), x.dtype);
  const dst = words(backend.typedArrayFromHeap(out));
  const src = words(backend.typedArrayFromHeap(x));
  const { shape: s, perm: p } = collapsePermutation(x.shape, perm);
  if (p.every((a, i) => a === i)) dst.set(src);
  else if (p.length === 2) swapLastTwo(src, dst, 1, s[0], s[1]);
  else if (p.length === 3 && p[0] === 0 && p[1] === 2) swapLastTwo(src, dst, s[0], s[1], s[2]);
  else permuteByIndex(src, dst, s, p);
  return out;
}

// --- switching between the three
type Way = 'wasm' | 'ours' | 'js';
const WAYS: Way[] = ['wasm', 'ours', 'js'];
setFastWasmKernels(false);
const wasmOwn = tf.getKernel(tf.Transpose, 'wasm')!;
setFastWasmKernels(true);
const census = new Map<string, { calls: number; ms: number; shared: number }>();
let counting = false;

function use(way: Way): void {
  setFastWasmKernels(true); // ours
  const registered = tf.getKernel(tf.Transpose, 'wasm')!;
  const inner: tf.KernelFunc =
    way === 'ours' ? (args) => transposeWithoutCopy(args.inputs.x!, (args.attrs as unknown as { perm: number[] }).perm, args.backend as unknown as WasmHeap) ?? wasmOwn.kernelFunc(args) : way === 'wasm' ? wasmOwn.kernelFunc : (args) => jsTranspose(args.inputs.x!, (args.attrs as unknown as { perm: number[] }).perm, args.backend as unknown as WasmHeap);
  tf.unregisterKernel(tf.Transpose, 'wasm');
  tf.registerKernel({
    ...registered,
    kernelFunc: (args) => {
      if (!counting) return inner(args);
      const t0 = performance.now();
      const out = inner(args) as tf.TensorInfo;
      const key = `[${args.inputs.x!.shape}] by [${(args.attrs as unknown as { perm: number[] }).perm}]`;
      const c = census.get(key) ?? { calls: 0, ms: 0, shared: 0 };
      census.set(key, { calls: c.calls + 1, ms: c.ms + performance.now() - t0, shared: c.shared + (out.dataId === args.inputs.x!.dataId ? 1 : 0) });
      return out;
    },
  });
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

// --- 1. the Transpose alone
const cases: Array<[number[], number[], tf.DataType, string]> = [
  [[50176, 9], [1, 0], 'float32', "mobilenet-tiny's first layer: image patches"],
  [[3136, 64], [1, 0], 'float32', 'a pointwise layer at 7x7: [64*7*7, 64]'],
  [[64, 24, 24, 6], [1, 2, 0, 3], 'float32', "lenet5's first filter gradient (composite): dY"],
  [[64, 28, 28, 1], [3, 1, 2, 0], 'float32', "lenet5's first filter gradient (composite): x"],
  [[400, 120], [1, 0], 'float32', 'dense 400->120 weights'],
  [[30, 40, 50], [2, 1, 0], 'int32', 'rank 3 reversed, int32'],
  [[84, 10], [1, 0], 'float32', 'dense 84->10 weights'],
  [[64, 16], [1, 0], 'float32', 'small: [64, 16]'],
  [[6, 5, 5, 16], [1, 2, 0, 3], 'float32', "small: lenet5's second filter gradient, back to [kh,kw,cin,cout]"],
  [[64, 1], [1, 0], 'float32', 'only an axis of size 1 moves'],
];
const alone: Array<Array<string | number>> = [];
for (const [shape, perm, dtype, what] of cases) {
  const x = dtype === 'int32' ? tf.randomUniform(shape, -1000, 1000, 'int32') : tf.randomNormal(shape);
  const reps = Math.max(5, Math.min(200, Math.floor(4e6 / x.size)));
  const ms: Record<Way, number[]> = { wasm: [], ours: [], js: [] };
  const values: Partial<Record<Way, Int32Array>> = {};
  for (const way of WAYS) {
    use(way);
    const y = tf.transpose(x, perm);
    const d = y.dataSync() as Float32Array | Int32Array;
    values[way] = d instanceof Float32Array ? new Int32Array(d.buffer, d.byteOffset, d.length).slice() : Int32Array.from(d);
    y.dispose();
    for (let i = 0; i < reps; i++) tf.transpose(x, perm).dispose(); // warm-up
  }
  for (let r = 0; r < rounds; r++) {
    for (const way of WAYS) {
      use(way);
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) tf.transpose(x, perm).dispose();
      ms[way].push((performance.now() - t0) / reps);
    }
  }
  const same = WAYS.every((w) => values[w]!.every((v, i) => v === values.wasm![i]));
  const m = (w: Way) => median(ms[w]);
  alone.push([
    what, `[${shape}] by [${perm}]`, dtype, x.size,
    ...WAYS.flatMap((w) => [m(w).toFixed(3), ((m(w) * 1e6) / Math.max(x.size, 1)).toFixed(2)]),
    (m('wasm') / m('ours')).toFixed(2), (m('wasm') / m('js')).toFixed(2), same ? 'yes' : 'NO',
  ]);
  process.stdout.write(`${what}: ${WAYS.map((w) => `${w} ${m(w).toFixed(3)} ms`).join(', ')}\n`);
  x.dispose();
}

// --- 2 and 3: fine-tune steps
async function finetuneMs(model: tf.LayersModel, originals: OriginalWeights, data: Dataset, steps: number): Promise<number> {
  const ms = await finetuneStepMs(model, originals, data, steps);
  originals.restore(model);
  return ms;
}

const steps: Array<Array<string | number>> = [];
const censusRows: Array<Array<string | number>> = [];
for (const name of models) {
  const { model, data } = await prepare({ model: name, data: 'mnist', dataSeed: 1, workdir });
  const originals = new OriginalWeights(model, compressibleLayers(model));
  const n = name === 'mobilenet-tiny' ? 6 : 16;
  use('ours');
  await finetuneMs(model, originals, data, 1);
  census.clear();
  counting = true;
  const stepMs = await finetuneMs(model, originals, data, 4);
  counting = false;
  const total = [...census.values()].reduce((s, c) => s + c.ms, 0) / 5; // 4 timed steps and the first
  for (const [key, c] of [...census].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8)) {
    censusRows.push([name, key, (c.calls / 5).toFixed(1), (c.ms / 5).toFixed(3), (c.shared / 5).toFixed(1)]);
  }
  censusRows.push([name, `all (${stepMs.toFixed(1)} ms a step)`, ([...census.values()].reduce((s, c) => s + c.calls, 0) / 5).toFixed(1), total.toFixed(3), '']);
  const ms: Record<Way, number[]> = { wasm: [], ours: [], js: [] };
  for (const way of WAYS) {
    use(way);
    await finetuneMs(model, originals, data, 1);
  }
  for (let r = 0; r < rounds; r++) {
    for (const way of WAYS) {
      use(way);
      ms[way].push(await finetuneMs(model, originals, data, n));
    }
    process.stdout.write(`${name} round ${r + 1}/${rounds}: ${WAYS.map((w) => `${w} ${ms[w].at(-1)!.toFixed(1)} ms`).join(', ')}\n`);
  }
  const ratio = (w: Way) => median(ms.wasm.map((v, i) => v / ms[w][i]));
  steps.push([name, n, ...WAYS.map((w) => median(ms[w]).toFixed(1)), ratio('ours').toFixed(3), ratio('js').toFixed(3)]);
  originals.dispose();
  model.dispose();
}
setFastWasmKernels(true);

// --- 4. inside the first layer's filter gradient
const nested = new Map<string, number>();
const inside: Array<Array<string | number>> = [];
{
  const stack: string[] = [];
  const unwrapped = tf.getKernelsForBackend('wasm');
  for (const config of unwrapped) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const key = `${config.kernelName} ${Object.values(args.inputs).map((t) => `[${t?.shape}]`).join(' ')}`;
        const path = stack.length > 0 ? `${stack[0]} > ${key}` : key;
        stack.push(key);
        const t0 = performance.now();
        try {
          return config.kernelFunc(args);
        } finally {
          stack.pop();
          nested.set(path, (nested.get(path) ?? 0) + performance.now() - t0);
        }
      },
    });
  }
  for (const name of models) {
    const { model, data } = await prepare({ model: name, data: 'mnist', dataSeed: 1, workdir });
    const originals = new OriginalWeights(model, compressibleLayers(model));
    await finetuneMs(model, originals, data, 1);
    nested.clear();
    await finetuneMs(model, originals, data, 4);
    const first = [...nested].filter(([k]) => k.startsWith('Conv2DBackpropFilter [64,28,28,1]')).sort((a, b) => b[1] - a[1]).slice(0, 6);
    for (const [k, v] of first) inside.push([name, k, (v / 5).toFixed(2)]);
    originals.dispose();
    model.dispose();
  }
  for (const config of unwrapped) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}

// --- 5. BatchMatMul with the same right operand each call and with a new one
const packing: Array<Array<string | number>> = [];
for (const [m, k, n] of [[9, 50176, 16], [25, 36864, 6], [16, 12544, 32], [32, 3136, 64], [120, 64, 400]]) {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const same = () => tf.matMul(a, b);
  const fresh = () => tf.tidy(() => tf.matMul(a, tf.add(b, 0))); // a new tensor; the Add is timed apart
  const add = () => tf.add(b, 0);
  const ms: number[][] = [[], [], []];
  for (const f of [same, fresh, add]) f().dispose();
  for (let r = 0; r < rounds * 2; r++) {
    [same, fresh, add].forEach((f, i) => {
      const t0 = performance.now();
      f().dispose();
      ms[i].push(performance.now() - t0);
    });
  }
  const [s, f, d] = ms.map(median);
  packing.push([`[${m},${k}] x [${k},${n}]`, k * n, s.toFixed(2), (f - d).toFixed(2), (((f - d - s) * 1e6) / (k * n)).toFixed(1)]);
}

writeResults(
  'bench/results/transpose.md',
  'Transpose on wasm: wasm\'s own, ours, a JavaScript copy',
  `npx tsx bench/transpose.ts --models ${models.join(',')} --rounds ${rounds}${workdir === '.autoshrink' ? '' : ` --workdir ${workdir}`}`,
  `Load (1-min average) ${loadStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end (2 shared cores: compare ` +
    "within this run). 'wasm': tfjs-backend-wasm's Transpose; 'ours': the no-copy candidate of this script (the input's " +
    "buffer where only axes of size 1 move, else wasm's); 'js': a copy in JavaScript on the heap (bench/transpose.ts). " +
    `Medians of ${rounds} interleaved rounds; 'equal' compares the three outputs word for word.\n\n` +
    '## The Transpose alone\n\n' +
    table(['case', 'shape by perm', 'dtype', 'values', 'wasm ms', 'ns/value', 'ours ms', 'ns/value', 'js ms', 'ns/value', 'wasm/ours', 'wasm/js', 'equal'], alone) +
    '\n\n## Every Transpose of a fine-tune step (default kernels, per step)\n\n' +
    table(['model', 'input by perm', 'calls', 'ms', 'shared (no copy)'], censusRows) +
    `\n\n## Fine-tune step (batch ${BATCH}, every layer 4 bits per channel, half pruned)\n\n` +
    table(['model', 'steps', 'wasm ms/step', 'ours ms/step', 'js ms/step', 'wasm/ours', 'wasm/js'], steps) +
    "\n\n## Inside the first layer's filter gradient (default kernels, ms per step)\n\n" +
    table(['model', 'kernel > kernel it calls', 'ms'], inside) +
    '\n\n## BatchMatMul: the same right operand each call, or a new one (the new one\'s Add subtracted)\n\n' +
    table(['product', 'right operand values', 'same ms', 'new ms', 'extra ns per right operand value'], packing),
);
