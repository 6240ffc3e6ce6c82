/**
 * Where one fine-tune step's time goes, for mlp, lenet5 and mobilenet-tiny on the wasm backend: the parts
 * of env/finetune.ts's step (its `onPhase` hook: gradual-pruning masks, projection + write-back, batch, forward,
 * backward, straight-through gradients, optimizer, bookkeeping), the backward and forward split by kernel kind, and the
 * slowest kernels. Beside it, a plain training step of the same model and batch (optimizer.minimize, as env/train.ts).
 *
 * How: wasm runs every kernel synchronously, so wall time between two phase marks is that phase's time. Each wasm
 * kernel is wrapped with a timer; a kernel that calls others (our composite gradients in env/wasm-kernels.ts) is
 * counted once, inclusive, under its own name. A phase's time outside any kernel is tfjs's own bookkeeping (tape,
 * tidy, tensor tracking) plus our JavaScript (the projection's quantizer runs in JavaScript).
 *   npx tsx bench/finetune-profile.ts [--models mlp,lenet5,mobilenet-tiny] [--steps 16] [--workdir .autoshrink]
 */
import * as tf from '../tfjs.js';
import { loadavg } from 'node:os';
import { selectBackend } from '../env/backend.js';
import { setFastWasmKernels } from '../env/wasm-kernels.js';
import { compressModel, OriginalWeights } from '../env/compress-model.js';
import { crossEntropy } from '../env/evaluate.js';
import { BatchSampler } from '../env/batches.js';
import { FINETUNE_PHASES, type FinetunePhase } from '../env/finetune.js';
import { compressibleLayers } from '../env/layers.js';
import { layerSpec } from '../learners/types.js';
import { prepare } from '../run/setup.js';
import { arg, table, writeResults } from './common.js';

const models = arg('models', 'mlp,lenet5,mobilenet-tiny').split(',');
const stepsArg = Number(arg('steps', '16'));
const workdir = arg('workdir', '.autoshrink');
const BATCH = 64;
// a typical searched layer: 4 bits per output channel with the default 'mse' ranges, half the weights pruned
const SPEC = layerSpec({ bits: 4, pruneRatio: 0.5, bucket: 'channel' });
const loadStart = loadavg()[0];
await selectBackend('wasm');

// --- kernel timer: every wasm kernel wrapped; top-level kernels counted inclusive, per phase
type Slot = FinetunePhase | 'plain';
let current: Slot = 'bookkeeping';
let depth = 0;
const kernelMs = new Map<string, number>(); // `${phase}|${kernel}` -> ms, top-level kernels only
const unwrapped: tf.KernelConfig[] = [];
/** Wraps every wasm kernel registered now with the timer; `uninstrument` puts them back. */
function instrument(): void {
  for (const config of tf.getKernelsForBackend('wasm')) {
    const inner = config.kernelFunc;
    unwrapped.push(config);
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        if (depth++ > 0) {
          try {
            return inner(args);
          } finally {
            depth--;
          }
        }
        const t0 = performance.now();
        try {
          return inner(args);
        } finally {
          depth--;
          const shapes = Object.values(args.inputs).map((t) => `[${t?.shape}]`).join(' ');
          const key = `${current}|${config.kernelName}|${shapes}`;
          kernelMs.set(key, (kernelMs.get(key) ?? 0) + performance.now() - t0);
        }
      },
    });
  }
}
function uninstrument(): void {
  for (const config of unwrapped.splice(0)) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}

const KINDS: Array<[string, RegExp]> = [
  ['dense (MatMul)', /MatMul/],
  ['conv', /^(Conv2D|FusedConv2D|Conv2DBackprop)/],
  ['depthwise', /Depthwise/],
  ['batch-norm (FusedBatchNorm, Tile)', /^(FusedBatchNorm|Tile)$/],
  ['pooling', /Pool/],
  ['reductions (Sum, Mean, Max)', /^(Sum|Mean|Max|Min|Prod)$/],
];
const kindOf = (kernel: string) => KINDS.find(([, re]) => re.test(kernel))?.[0] ?? 'elementwise and other';
const ms = (v: number) => v.toFixed(2);

interface Profile {
  steps: number;
  phaseMs: Record<FinetunePhase, number>;
  kernels: Map<string, number>;
}

type Data = Awaited<ReturnType<typeof prepare>>['data'];

async function profileFinetune(model: tf.LayersModel, data: Data, steps: number): Promise<Profile> {
  const layers = compressibleLayers(model);
  const originals = new OriginalWeights(model, layers);
  const plan = layers.map((layer) => ({ layer, spec: SPEC }));
  const phaseMs = Object.fromEntries(FINETUNE_PHASES.map((p) => [p, 0])) as Record<FinetunePhase, number>;
  // steps 1..steps are timed: step 0 warms up, the last step's bookkeeping would include the finalize
  let record = false;
  let step = -1;
  let mark = 0;
  const run = (timed: boolean) =>
    compressModel(model, originals, plan, data, {
      steps: steps + 2,
      batchSize: BATCH,
      learningRate: 5e-4,
      seed: 1,
      onPhase: (p) => {
        const now = performance.now();
        if (record) phaseMs[current as FinetunePhase] += now - mark;
        if (p === 'prune') step++;
        record = timed && step >= 1 && step <= steps;
        current = record ? p : 'plain'; // 'plain' parks what is not reported
        mark = now;
      },
    });
  await run(false);
  kernelMs.clear();
  step = -1;
  await run(true);
  record = false;
  current = 'plain';
  originals.restore(model);
  originals.dispose();
  const kernels = new Map([...kernelMs].filter(([k]) => !k.startsWith('plain|')));
  return { steps, phaseMs, kernels };
}

function plainStepMs(model: tf.LayersModel, name: string, data: Data, steps: number): number {
  const sampler = new BatchSampler(data.train, data.inputShape, BATCH, `plain:${name}`);
  const optimizer = tf.train.adam(5e-4);
  const once = () => {
    const [x, y] = sampler.next();
    const loss = optimizer.minimize(() => crossEntropy(model.apply(x, { training: true }) as tf.Tensor, y, data.numClasses), true);
    loss!.dataSync();
    tf.dispose([loss!, x, y]);
  };
  current = 'plain';
  once();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) once();
  const out = (performance.now() - t0) / steps;
  optimizer.dispose();
  return out;
}

interface Measured {
  plain: number;
  profile: Profile;
}

/** One model under one kernel set: plain steps before and after the profiled fine-tune, their mean reported. */
async function measure(model: tf.LayersModel, name: string, data: Data, steps: number, fusions: boolean): Promise<Measured> {
  setFastWasmKernels(true, { fusions });
  instrument();
  const originals = new OriginalWeights(model, compressibleLayers(model));
  try {
    const plainBefore = plainStepMs(model, name, data, steps);
    originals.restore(model);
    const profile = await profileFinetune(model, data, steps);
    const plainAfter = plainStepMs(model, name, data, steps);
    originals.restore(model);
    return { plain: (plainBefore + plainAfter) / 2, profile };
  } finally {
    originals.dispose();
    uninstrument();
  }
}

const VARIANTS = [
  ['ours', false],
  ['fused', true],
] as const;
const sections: string[] = [];
const summary: Array<Array<string | number>> = [];
for (const name of models) {
  const { model, data } = await prepare({ model: name, data: 'mnist', dataSeed: 1, workdir });
  const steps = name === 'mobilenet-tiny' ? Math.max(4, Math.round(stepsArg / 2)) : stepsArg;
  const runs: Measured[] = [];
  for (const [, fusions] of VARIANTS) runs.push(await measure(model, name, data, steps, fusions));
  model.dispose();
  const per = (v: number) => v / steps;
  const stepMs = (m: Measured) => FINETUNE_PHASES.reduce((s, ph) => s + per(m.profile.phaseMs[ph]), 0);
  const inKernels = (m: Measured, ph: FinetunePhase) => [...m.profile.kernels].filter(([k]) => k.startsWith(`${ph}|`)).reduce((s, [, v]) => s + per(v), 0);
  const phaseRows = FINETUNE_PHASES.map((ph) => [
    ph,
    ...runs.flatMap((m) => [ms(per(m.profile.phaseMs[ph])), `${((100 * per(m.profile.phaseMs[ph])) / stepMs(m)).toFixed(1)}%`, ms(inKernels(m, ph))]),
  ]);
  const byKind = new Map<string, number[]>();
  runs.forEach((m, r) => {
    for (const [key, v] of m.profile.kernels) {
      const [ph, kernel] = key.split('|');
      const row = byKind.get(kindOf(kernel)) ?? [0, 0, 0, 0, 0, 0];
      row[3 * r + (ph === 'forward' ? 0 : ph === 'backward' ? 1 : 2)] += per(v);
      byKind.set(kindOf(kernel), row);
    }
  });
  const kindRows = [...byKind].sort((a, b) => b[1][0] + b[1][1] - a[1][0] - a[1][1]).map(([k, r]) => [k, ...r.map(ms)]);
  const top = (m: Measured) =>
    [...m.profile.kernels].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => [k.split('|').slice(0, 2).join(': ') + ' ' + k.split('|')[2], ms(per(v))]);
  runs.forEach((m, r) =>
    summary.push([name, VARIANTS[r][0], steps, ms(stepMs(m)), ms(m.plain), (m.plain / stepMs(m)).toFixed(2), Math.round((BATCH * 1000) / stepMs(m)), Math.round((BATCH * 1000) / m.plain)]),
  );
  const cols = (what: string[]) => VARIANTS.flatMap(([v]) => what.map((w) => `${w} (${v})`));
  sections.push(
    `### ${name} (${steps} steps timed)\n\n` +
      table(['phase', ...cols(['ms/step', 'share', 'in kernels'])], phaseRows) +
      '\n\n' +
      table(['kernel kind (top-level kernels, ms/step)', ...cols(['forward', 'backward', 'other phases'])], kindRows) +
      '\n\n' +
      VARIANTS.map(([v], r) => table([`slowest kernels, ${v} (phase: kernel inputs)`, 'ms/step'], top(runs[r]))).join('\n\n'),
  );
  for (const row of summary.slice(-2)) process.stdout.write(`${row.join('  ')}\n`);
}

writeResults(
  'bench/results/finetune-profile.md',
  'Fine-tune step profile',
  `npx tsx bench/finetune-profile.ts --models ${models.join(',')} --steps ${stepsArg}${workdir === '.autoshrink' ? '' : ` --workdir ${workdir}`}`,
  `Load (1-min average) ${loadStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end. Batch ${BATCH}; every compressible layer at ` +
    `${SPEC.bits} bits per output channel ('mse' ranges), ${SPEC.pruneRatio * 100}% pruned at once; Adam. ` +
    "Each model twice in one process, one kernel set after the other: with the first replacements and the layer kernels of " +
    "env/kernels/ (`setFastWasmKernels(true, { fusions: false })`, 'ours') and with the fusions too (batch norm in training " +
    "mode as one op, env/kernels/batch-norm-training.ts: 'fused', the default); our conv-gradient composites in both " +
    "(bench/kernels.ts measures the sets interleaved, and tfjs's own and the first replacements alone). Each time: a plain " +
    'step (optimizer.minimize over the same model and batch, as env/train.ts; the mean of a run before and one after ' +
    'the fine-tune), one warm-up fine-tune, one timed fine-tune whose first and last steps are left out. ' +
    "'in kernels' is time inside wasm kernels; the rest of a phase is tfjs's bookkeeping (tape, tidy, tensor " +
    'tracking) and our JavaScript (the projection quantizes in JavaScript). Figures scale with the load: compare ' +
    'rows of one run.\n\n' +
    table(['model', 'kernels', 'steps', 'fine-tune ms/step', 'plain ms/step', 'fine-tune / plain speed', 'fine-tune samples/s', 'plain samples/s'], summary) +
    '\n\n' +
    sections.join('\n\n'),
);
