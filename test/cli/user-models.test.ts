/**
 * A user's own model and NumPy data through the real CLI, as a reader of the README would run them: search, export,
 * apply, evaluate. The models differ from the built-in zoo where users' models do: a functional model with a nested
 * Sequential, a residual add and a linear (logits) output on 6-value vectors; an Embedding + GRU binary classifier
 * with one sigmoid output on int32 token ids. Each run ends with exit 0, a strategy within its budget, a model.ashk
 * smaller than the fp32 weights, and a tfjs model that plain tf.loadLayersModel loads and that predicts the model's
 * output shape.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNpy } from '../../env/data/npy.js';
import { encodeZip } from '../../env/data/zip.js';
import { saveModel } from '../../env/models/model-io.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
  });
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** An .npz of `x(n)` inputs (shape [n, ...row]) and labels i % classes: 120 train, 30 test. */
function npz(dir: string, descr: '<f4' | '<i4', row: number[], value: (i: number) => number, classes: number): string {
  const size = row.reduce((a, b) => a * b, 1);
  const values = (n: number) => Array.from({ length: n * size }, (_, i) => value(i));
  const x = (n: number) => encodeNpy(descr, [n, ...row], bytesOf(descr === '<f4' ? Float32Array.from(values(n)) : Int32Array.from(values(n))));
  const y = (n: number) => encodeNpy('<i4', [n], bytesOf(Int32Array.from({ length: n }, (_, i) => i % classes)));
  const path = join(dir, 'data.npz');
  writeFileSync(path, encodeZip(Object.entries({ x_train: x(120), y_train: y(120), x_test: x(30), y_test: y(30) }).map(([name, data]) => ({ name: `${name}.npy`, data }))));
  return path;
}

const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });

/** 6 -> d1 (32) -> nested Sequential (32, 32) -> add with d1 -> logits (4): 192 + 2 x 1024 + 128 = 2,368 kernel weights. */
function residualLogits(): tf.LayersModel {
  const input = tf.input({ shape: [6] });
  const d1 = tf.layers.dense({ units: 32, activation: 'relu', name: 'd1', kernelInitializer: seeded(1) }).apply(input) as tf.SymbolicTensor;
  const inner = tf.sequential({
    name: 'block',
    layers: [tf.layers.dense({ inputShape: [32], units: 32, activation: 'relu', name: 'b1', kernelInitializer: seeded(2) }), tf.layers.dense({ units: 32, name: 'b2', kernelInitializer: seeded(3) })],
  });
  const sum = tf.layers.add().apply([d1, inner.apply(d1) as tf.SymbolicTensor]) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 4, name: 'logits', kernelInitializer: seeded(4) }).apply(sum) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

/** Token ids [10] -> Embedding 50 x 16 -> GRU 16 -> one sigmoid (a binary classifier): 800 + 768 + 768 + 16 = 2,352 kernel weights. */
function textGru(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: 50, outputDim: 16, inputLength: 10, name: 'emb', embeddingsInitializer: seeded(5) }),
      tf.layers.gru({ units: 16, name: 'gru', kernelInitializer: seeded(6), recurrentInitializer: seeded(7) }),
      tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'out', kernelInitializer: seeded(8) }),
    ],
  });
}

const cases = [
  { name: 'a functional model with a nested Sequential, a residual add and logits, on float32 vectors [n, 6]', build: residualLogits, descr: '<f4' as const, row: [6], value: (i: number) => Math.sin(i), classes: 4, outputs: 4, units: ['d1', 'b1', 'b2', 'logits'] },
  { name: 'an Embedding + GRU binary classifier with one sigmoid output, on int32 token ids [n, 10]', build: textGru, descr: '<i4' as const, row: [10], value: (i: number) => (i * 7) % 50, classes: 2, outputs: 1, units: ['emb', 'gru/kernel', 'gru/recurrent', 'out'] },
];

for (const c of cases) {
  test(`${c.name}: search, export, apply and evaluate exit 0; model.ashk is smaller than fp32 and the tfjs copy loads in plain tfjs`, async (t) => {
    const dir = tmpDir(t, 'autoshrink-user-');
    const model = c.build();
    const fp32Bytes = 4 * model.countParams();
    await saveModel(model, join(dir, 'model'));
    model.dispose();
    const data = npz(dir, c.descr, c.row, c.value, c.classes);
    const common = ['--workdir', join(dir, 'ws'), '--backend', 'wasm'];
    const small = ['--validation-size', '20'];
    const search = await cli(['search', '--model', join(dir, 'model', 'model.json'), '--data', `npz:${data}`, ...small, '--budget', 'size:4bits', '--agent', 'random', '--episodes', '2', '--rerank-top', '0', '--final-steps', '3', '--references', 'false', '--json', ...common]);
    t.is(search.code, 0, search.stderr);
    const events = search.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; runId?: string; strategy?: Array<{ name: string }> });
    const runId = events.find((e) => e.runId)!.runId!;
    const strategyFile = join(dir, 'strategy.json');
    const exported = await cli(['export', runId, '--out', strategyFile, ...common]);
    t.is(exported.code, 0, exported.stderr);
    const strategy = JSON.parse(readFileSync(strategyFile, 'utf8')) as { layers: Array<{ name: string }>; cost: { value: number }; budget: { limit: number } };
    t.deepEqual(strategy.layers.map((l) => l.name), c.units);
    t.true(strategy.cost.value <= strategy.budget.limit);
    const out = join(dir, 'out');
    const applied = await cli(['apply', strategyFile, '--out', out, '--steps', '3', ...small, ...common]);
    t.is(applied.code, 0, applied.stderr);
    const ashk = statSync(join(out, 'model.ashk')).size;
    t.true(ashk < fp32Bytes, `model.ashk ${ashk} B against fp32 ${fp32Bytes} B`);
    const evaluated = await cli(['evaluate', join(out, 'model.ashk'), '--data', `npz:${data}`, ...small, '--json', ...common]);
    t.is(evaluated.code, 0, evaluated.stderr);
    t.like(JSON.parse(evaluated.stdout.trim().split('\n').pop()!), { type: 'evaluation', layers: c.units.length });
    // plain tfjs, from the files alone
    const json = JSON.parse(readFileSync(join(out, 'tfjs', 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }> };
    const shard = readFileSync(join(out, 'tfjs', json.weightsManifest[0].paths[0]));
    const plain = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength) }));
    t.teardown(() => plain.dispose());
    const scores = tf.tidy(() => (plain.predict(tf.zeros([3, ...c.row])) as tf.Tensor).shape);
    t.deepEqual(scores, [3, c.outputs]);
  });
}
