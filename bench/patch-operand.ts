/**
 * Which operand of the filter gradient's product env/kernels/patch-gradients.ts transposes, side by side in one
 * process: 'before' transposed the smaller of patches [N, k] and dY [N, cout] (so the wider was the product's right
 * operand), 'after' transposes the wider, so the narrower is the right operand, which wasm's BatchMatMul (XNNPACK)
 * packs anew for every new tensor (bench/results/transpose.md). 'before' is the previous kernel, copied here; both run
 * as the registered Conv2DBackpropFilter, on the shapes they cover in mobilenet-tiny (every other case goes to the
 * kernel registered before either). 1. The kernel alone on new tensors each call (as in training); 2. the fine-tune
 * step of bench/kernels.ts's typical strategy. Interleaved rounds, medians.
 *   npx tsx bench/patch-operand.ts [--rounds 5] [--workdir .autoshrink]
 */
import * as tf from '../tfjs.js';
import { loadavg } from 'node:os';
import { selectBackend } from '../env/backend.js';
import { OriginalWeights } from '../env/compress-model.js';
import type { Dataset } from '../env/data/dataset.js';
import { compressibleLayers } from '../env/layers.js';
import { setFastWasmKernels } from '../env/wasm-kernels.js';
import { prepare } from '../run/setup.js';
import { arg, table, writeResults } from './common.js';
import { finetuneStepMs } from './finetune-step.js';

const rounds = Number(arg('rounds', '5'));
const workdir = arg('workdir', '.autoshrink');
const BATCH = 64;
const loadStart = loadavg()[0];
await selectBackend('wasm');

type Attrs = { strides: number; pad: 'same' | 'valid'; filterShape: [number, number, number, number]; dimRoundingMode?: 'floor' | 'round' | 'ceil' };

/** The previous kernel's product: patches (or the input of a plain 1x1 conv) times dY, transposing the smaller. */
function before(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: Attrs): tf.Tensor4D | null {
  const info = tf.backend_util.computeConv2DInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [kh, kw, cin, cout] = attrs.filterShape;
  const { top, bottom, left, right } = info.padInfo;
  const pixelwise = kh === 1 && kw === 1 && info.strideHeight === 1 && info.strideWidth === 1 && top + bottom + left + right === 0;
  if (x.dtype !== 'float32' || !(cin * kh * kw <= cout || pixelwise)) return null;
  return tf.tidy(() => {
    const rows = info.batchSize * info.outHeight * info.outWidth;
    const k = cin * kh * kw;
    let cols: tf.Tensor2D;
    if (pixelwise) cols = tf.reshape(x, [rows, cin]);
    else {
      const taps = kh * kw;
      const values = new Float32Array(kh * kw * cin * taps);
      for (let t = 0; t < taps; t++) for (let ci = 0; ci < cin; ci++) values[(t * cin + ci) * taps + t] = 1;
      const patches = tf.depthwiseConv2d(x, tf.tensor4d(values, [kh, kw, cin, taps]), attrs.strides, attrs.pad, 'NHWC', 1, attrs.dimRoundingMode);
      cols = tf.reshape(patches, [rows, k]);
    }
    const dy2 = tf.reshape(dy, [rows, cout]);
    const g = k <= cout ? tf.matMul(tf.transpose(cols), dy2) : tf.transpose(tf.matMul(tf.transpose(dy2), cols));
    return tf.transpose(tf.reshape(g, [cin, kh, kw, cout]), [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

type Way = 'before' | 'after';
const WAYS: Way[] = ['before', 'after'];
setFastWasmKernels(true);
const after = tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')!;
setFastWasmKernels(true, { layerKernels: false });
const underneath = tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')!.kernelFunc; // what both hand other cases to

function use(way: Way): void {
  setFastWasmKernels(true);
  if (way === 'after') return;
  tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
  tf.registerKernel({
    ...after,
    kernelFunc: (args) => before(args.inputs.x as tf.Tensor4D, args.inputs.dy as tf.Tensor4D, args.attrs as unknown as Attrs) ?? underneath(args),
  });
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

// --- 1. the kernel alone, new tensors each call
const cases: Array<[number[], Attrs, string]> = [
  [[64, 28, 28, 1], { strides: 1, pad: 'same', filterShape: [3, 3, 1, 16] }, 'first layer, 3x3 over 1 channel'],
  [[64, 14, 14, 16], { strides: 1, pad: 'same', filterShape: [1, 1, 16, 32] }, 'pointwise 16->32 at 14x14'],
  [[64, 7, 7, 32], { strides: 1, pad: 'same', filterShape: [1, 1, 32, 64] }, 'pointwise 32->64 at 7x7'],
  [[64, 7, 7, 64], { strides: 1, pad: 'same', filterShape: [1, 1, 64, 64] }, 'pointwise 64->64 at 7x7'],
];
const alone: Array<Array<string | number>> = [];
for (const [shape, attrs, what] of cases) {
  const info = tf.backend_util.computeConv2DInfo(shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad);
  const x0 = tf.randomNormal(shape);
  const dy0 = tf.randomNormal([info.batchSize, info.outHeight, info.outWidth, attrs.filterShape[3]]);
  const run = () => tf.tidy(() => {
    const [x, dy] = [tf.add(x0, 0), tf.add(dy0, 0)]; // new tensors, as every training step's
    const t0 = performance.now();
    const g = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as never) as tf.Tensor;
    return { ms: performance.now() - t0, values: g.dataSync() as Float32Array };
  });
  const ms: Record<Way, number[]> = { before: [], after: [] };
  const values: Partial<Record<Way, Float32Array>> = {};
  for (const way of WAYS) {
    use(way);
    values[way] = run().values;
  }
  for (let r = 0; r < rounds * 2; r++) {
    for (const way of WAYS) {
      use(way);
      ms[way].push(run().ms);
    }
  }
  const scale = values.before!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const worst = values.before!.reduce((m, v, i) => Math.max(m, Math.abs(v - values.after![i])), 0);
  alone.push([what, `[${shape}] ${attrs.filterShape.join('x')}`, median(ms.before).toFixed(2), median(ms.after).toFixed(2), median(ms.before.map((b, i) => b / ms.after[i])).toFixed(2), (worst / scale).toExponential(1)]);
  process.stdout.write(`${what}: before ${median(ms.before).toFixed(2)} ms, after ${median(ms.after).toFixed(2)} ms\n`);
  tf.dispose([x0, dy0]);
}

// --- 2. the fine-tune step
async function finetuneMs(model: tf.LayersModel, originals: OriginalWeights, data: Dataset, steps: number): Promise<number> {
  const ms = await finetuneStepMs(model, originals, data, steps);
  originals.restore(model);
  return ms;
}

const { model, data } = await prepare({ model: 'mobilenet-tiny', data: 'mnist', dataSeed: 1, workdir });
const originals = new OriginalWeights(model, compressibleLayers(model));
const steps: Record<Way, number[]> = { before: [], after: [] };
for (const way of WAYS) {
  use(way);
  await finetuneMs(model, originals, data, 1);
}
for (let r = 0; r < rounds; r++) {
  for (const way of WAYS) {
    use(way);
    steps[way].push(await finetuneMs(model, originals, data, 6));
  }
  process.stdout.write(`round ${r + 1}/${rounds}: ${WAYS.map((w) => `${w} ${steps[w].at(-1)!.toFixed(1)} ms`).join(', ')}\n`);
}
setFastWasmKernels(true);
const stepRatio = median(steps.before.map((b, i) => b / steps.after[i]));

writeResults(
  'bench/results/patch-operand.md',
  'The filter gradient from patches: which operand is transposed',
  `npx tsx bench/patch-operand.ts --rounds ${rounds}${workdir === '.autoshrink' ? '' : ` --workdir ${workdir}`}`,
  `Load (1-min average) ${loadStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end (2 shared cores: compare ` +
    "within this run). 'before': the smaller of patches and dY transposed, the wider the product's right operand (the " +
    "previous env/kernels/patch-gradients.ts); 'after': the wider transposed, the narrower on the right (XNNPACK packs the " +
    `right operand of every new tensor: bench/results/transpose.md). Medians of interleaved rounds (${rounds * 2} for the kernel, ` +
    `${rounds} for the step); 'before/after' is the median of the rounds' own ratios.\n\n` +
    '## Conv2DBackpropFilter alone, new tensors each call (batch 64)\n\n' +
    table(['layer', 'input, filter', 'before ms', 'after ms', 'before/after', 'max |after - before| / max |before|'], alone) +
    `\n\n## mobilenet-tiny fine-tune step (batch ${BATCH}, every layer 4 bits per channel, half pruned, 6 steps a round)\n\n` +
    table(['before ms/step', 'after ms/step', 'before/after'], [[median(steps.before).toFixed(1), median(steps.after).toFixed(1), stepRatio.toFixed(3)]]),
);
