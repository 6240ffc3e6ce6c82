/**
 * Backend benchmark: matmul GFLOP/s, LeNet-5 training throughput, and the conv-gradient kernels (the wasm composites of
 * env/wasm-kernels.ts against the cpu backend's own kernels), on every backend that loads here.
 *
 *   npx tsx bench/backend.ts          (or: npm run bench:backend)
 *
 * Prints a table and writes bench/results/backend.md. The cpu backend is timed on few repetitions: it is slow.
 */
import * as tf from '../tfjs.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKENDS, type BackendName, describeBackend, selectBackend } from '../env/backend.js';
import { setFastWasmKernels } from '../env/wasm-kernels.js';

const COMMAND = 'npx tsx bench/backend.ts';
const MATMUL_SIZES = [256, 512, 1024];
const BATCH = 64;

interface KernelCase {
  label: string;
  run: () => tf.Tensor;
}

interface Result {
  backend: BackendName;
  /** GFLOP/s per matmul size. */
  matmul: Map<number, number>;
  lenet: { samplesPerSec: number; msPerStep: number; steps: number };
  /** wasm only: LeNet-5 again with wasm's own Tile, MaxPoolGrad, transposed BatchMatMul, Sum and Mean (before ours replaced them). */
  lenetStock?: { samplesPerSec: number; msPerStep: number; steps: number };
  /** Milliseconds per call, per kernel case label. */
  kernels: Map<string, number>;
}

/** Median-free, simple: warm up once, then time `reps` calls (each synchronised by reading the result). */
async function timeMs(fn: () => tf.Tensor, reps: number): Promise<number> {
  const warm = fn();
  await warm.data();
  warm.dispose();
  const start = performance.now();
  for (let i = 0; i < reps; i++) {
    const out = fn();
    await out.data();
    out.dispose();
  }
  return (performance.now() - start) / reps;
}

async function benchMatmul(size: number, reps: number): Promise<number> {
  const a = tf.randomNormal([size, size], 0, 1, 'float32', 1);
  const b = tf.randomNormal([size, size], 0, 1, 'float32', 2);
  const ms = await timeMs(() => tf.matMul(a, b), reps);
  tf.dispose([a, b]);
  return (2 * size ** 3) / (ms * 1e6);
}

function lenet5(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

async function benchLenet(steps: number): Promise<Result['lenet']> {
  const model = lenet5();
  const optimizer = tf.train.sgd(0.01);
  const x = tf.randomNormal([BATCH, 28, 28, 1], 0, 1, 'float32', 3);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 4) as tf.Tensor1D, 10);
  const step = async () => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor), true)!;
    await loss.data();
    loss.dispose();
  };
  await step(); // warm-up: weight init, kernel setup
  const start = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const msPerStep = (performance.now() - start) / steps;
  tf.dispose([x, y]);
  model.dispose();
  optimizer.dispose();
  return { samplesPerSec: (BATCH * 1000) / msPerStep, msPerStep, steps };
}

/** The conv-gradient kernels wasm lacks natively (first the shape they were first timed on: a 32x28x28x8 input, 5x5x8x16). */
function kernelCases(): { cases: KernelCase[]; dispose: () => void } {
  const x = tf.randomNormal([32, 28, 28, 8], 0, 1, 'float32', 5);
  const dy = tf.randomNormal([32, 24, 24, 16], 0, 1, 'float32', 6);
  const xd = tf.randomNormal([32, 28, 28, 32], 0, 1, 'float32', 7);
  const dyd = tf.randomNormal([32, 14, 14, 32], 0, 1, 'float32', 8);
  const fd = tf.randomNormal([3, 3, 32, 1], 0, 1, 'float32', 9);
  const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) => () =>
    tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
  const dw = { strides: 2, pad: 'same', dilations: 1 };
  return {
    cases: [
      {
        label: 'Conv2DBackpropFilter x 32x28x28x8, filter 5x5x8x16, valid',
        run: run(tf.Conv2DBackpropFilter, { x, dy }, {
          strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [5, 5, 8, 16],
        }),
      },
      {
        label: 'DepthwiseConv2dNativeBackpropFilter x 32x28x28x32, 3x3, stride 2 same',
        run: run(tf.DepthwiseConv2dNativeBackpropFilter, { x: xd, dy: dyd }, { ...dw, filterShape: [3, 3, 32, 1] }),
      },
      {
        label: 'DepthwiseConv2dNativeBackpropInput x 32x28x28x32, 3x3, stride 2 same',
        run: run(tf.DepthwiseConv2dNativeBackpropInput, { dy: dyd, filter: fd }, { ...dw, inputShape: xd.shape }),
      },
    ],
    dispose: () => tf.dispose([x, dy, xd, dyd, fd]),
  };
}

async function benchBackend(backend: BackendName): Promise<Result> {
  const slow = backend === 'cpu';
  const matmul = new Map<number, number>();
  for (const size of MATMUL_SIZES) {
    const reps = slow ? 1 : Math.max(2, Math.round(2e9 / (2 * size ** 3)));
    matmul.set(size, await benchMatmul(size, reps));
  }
  const lenet = await benchLenet(slow ? 2 : 30);
  let lenetStock: Result['lenetStock'];
  if (backend === 'wasm') {
    setFastWasmKernels(false);
    lenetStock = await benchLenet(30);
    setFastWasmKernels(true);
  }
  const kernels = new Map<string, number>();
  const { cases, dispose } = kernelCases();
  for (const c of cases) kernels.set(c.label, await timeMs(c.run, slow ? 1 : 10));
  dispose();
  return { backend, matmul, lenet, lenetStock, kernels };
}

function fmt(v: number | undefined, digits = 1): string {
  if (v === undefined) return '-';
  return v >= 100 ? v.toFixed(0) : v.toFixed(digits);
}

function tables(results: Result[], skipped: string[]): string {
  const lines: string[] = [];
  lines.push('| backend | ' + MATMUL_SIZES.map((s) => `matmul ${s}² GFLOP/s`).join(' | ') + ' | LeNet-5 train samples/s | ms/step (steps timed) |');
  lines.push('|---|' + MATMUL_SIZES.map(() => '---:').join('|') + '|---:|---:|');
  for (const r of results) {
    const note = r.backend === 'cpu' ? ' (few steps: slow)' : '';
    lines.push(
      `| ${r.backend} | ` +
        MATMUL_SIZES.map((s) => fmt(r.matmul.get(s), 2)).join(' | ') +
        ` | ${fmt(r.lenet.samplesPerSec)} | ${fmt(r.lenet.msPerStep)} (${r.lenet.steps})${note} |`,
    );
  }
  lines.push('');
  for (const r of results) {
    if (r.lenetStock) {
      lines.push(
        `LeNet-5 on ${r.backend} in the same run with wasm's own Tile, MaxPoolGrad, transposed BatchMatMul, Sum and Mean (before ` +
          `ours replaced them): ${fmt(r.lenetStock.samplesPerSec)} samples/s, ${fmt(r.lenetStock.msPerStep)} ms/step; ours ` +
          `${(r.lenet.samplesPerSec / r.lenetStock.samplesPerSec).toFixed(2)}x that.`,
        '',
      );
    }
  }
  for (const s of skipped) lines.push(`Not available here: ${s}`, '');
  const labels = results[0] ? [...results[0].kernels.keys()] : [];
  lines.push('| conv-gradient kernel (ms per call) | ' + results.map((r) => r.backend).join(' | ') + ' |');
  lines.push('|---|' + results.map(() => '---:').join('|') + '|');
  for (const label of labels) {
    lines.push(`| ${label} | ` + results.map((r) => fmt(r.kernels.get(label))).join(' | ') + ' |');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0];
  const results: Result[] = [];
  const skipped: string[] = [];
  for (const backend of BACKENDS) {
    try {
      await selectBackend(backend);
    } catch (e) {
      skipped.push(`${backend}: ${(e as Error).message}`);
      console.log(`skip ${backend}: ${(e as Error).message}`);
      continue;
    }
    console.log(`benchmarking ${describeBackend(backend)} ...`);
    results.push(await benchBackend(backend));
  }
  const table = tables(results, skipped);
  console.log('\n' + table);

  const cpu = os.cpus()[0];
  const report = [
    '# Backend benchmark',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpu?.model ?? 'unknown cpu'}, ${os.cpus().length} cores (shared with other jobs), ${os.platform()} ${os.release()}`,
    `- 1-min load average: ${loadBefore.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end ` +
      '(other jobs share the cores: figures drop under load)',
    `- node ${process.version}, @tensorflow/tfjs-core ${tf.version_core}`,
    `- command: \`${COMMAND}\``,
    '',
    `LeNet-5: conv 6@5x5 relu, maxpool 2, conv 16@5x5 relu, maxpool 2, dense 120, 84, 10; 28x28x1 random inputs, batch ${BATCH},`,
    'SGD through `optimizer.minimize`, one warm-up step not timed. Matmul: square float32, one warm-up call not timed.',
    'On wasm the three missing conv-gradient kernels and Conv2DBackpropInput are composites from `env/wasm-kernels.ts`, and its slow',
    'Tile, MaxPoolGrad, transposed BatchMatMul and leading-axis Sum/Mean are replaced by ours (`setFastWasmKernels`); on cpu',
    "they are the backend's own kernels. Timings on cpu come from 1-2 repetitions.",
    '',
    table,
    '',
  ].join('\n');
  const here = dirname(fileURLToPath(import.meta.url));
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'backend.md'), report);
  console.log(`\nwrote bench/results/backend.md`);
}

await main();
