/**
 * The CLI as a user meets it: `node --import tsx cli/main.ts ...` in a child process, from the repo root.
 * Once per file: an mlp baseline trained for 1 epoch, and one tiny search (plus its exported strategy) in a shared
 * work directory. The searches pass that baseline as a model.json path: the baseline cache is keyed by epochs, so
 * `--model mlp` would train the default 12 epochs. Tests that write runs of their own use their own work directory.
 */
import test, { type ExecutionContext } from 'ava';
import * as tf from '../../tfjs.js';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from '../../env/data/idx.js';
import { saveModel } from '../../env/models/model-io.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const childEnv = { ...process.env, AUTOSHRINK_DEBUG: '', FORCE_COLOR: '0' };
const SMALL = ['--episodes', '3', '--warmup', '1', '--finetune-steps', '5', '--final-steps', '5', '--eval-size', '200'];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo, env: childEnv, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const jsonLines = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

// The shared work directory: the cached 1-epoch mlp, one finished tiny search and its exported strategy.
const shared = mkdtempSync(join(tmpdir(), 'autoshrink-cli-'));
test.after.always(() => rmSync(shared, { recursive: true, force: true }));
let mlp = '';
let searchOutput: Result;
let strategyPath = '';
const runIdOf = (stdout: string) => jsonLines(stdout).find((e) => e.type === 'run-started')!.runId as string;
/** The small search flags with the cached 1-epoch mlp. */
const tiny = () => ['--model', mlp, ...SMALL];

test.before(async () => {
  const baseline = await cli(['baseline', '--model', 'mlp', '--epochs', '1', '--json', '--workdir', shared]);
  if (baseline.code !== 0) throw new Error(`baseline training failed (${baseline.code}): ${baseline.stderr}`);
  mlp = join(jsonLines(baseline.stdout)[0].dir as string, 'model.json');
  searchOutput = await cli(['search', '--json', '--model', mlp, ...SMALL, '--workdir', shared]);
  if (searchOutput.code !== 0) throw new Error(`search failed (${searchOutput.code}): ${searchOutput.stderr}`);
  strategyPath = join(shared, 'strategy.json');
  const exported = await cli(['export', runIdOf(searchOutput.stdout), '--out', strategyPath, '--workdir', shared]);
  if (exported.code !== 0) throw new Error(`export failed (${exported.code}): ${exported.stderr}`);
});

/** Exit code 2 and exactly one `error:` line (the backend note aside), no stack trace. */
function assertInputError(t: ExecutionContext, r: Result, pattern: RegExp): void {
  t.is(r.code, 2, r.stderr);
  t.false(r.stderr.includes('    at '), 'no stack trace');
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('backend: '));
  t.is(lines.length, 1, `one line: ${r.stderr}`);
  t.regex(lines[0], /^error: /);
  t.regex(lines[0], pattern);
}

test('--help lists every command', async (t) => {
  const r = await cli(['--help']);
  t.is(r.code, 0);
  for (const command of ['search', 'resume <run>', 'runs', 'export <run>', 'apply <strategy>', 'baseline', 'evaluate <model>']) {
    t.true(r.stdout.includes(`autoshrink ${command}`), command);
  }
});

test('search --help shows the defaults', async (t) => {
  const r = await cli(['search', '--help']);
  t.is(r.code, 0);
  // its help wraps over several lines: every budget kind, and two at once
  t.regex(r.stdout, /\n\s+--budget(?:(?!\n\s+--)[\s\S])*\[default: size:20x\]/);
  t.regex(r.stdout, /\n\s+--model(?:(?!\n\s+--)[\s\S])*\[default: lenet5\]/);
  t.regex(r.stdout, /\n\s+--episodes(?:(?!\n\s+--)[\s\S])*\[default: 100\]/);
});

test('a tiny search in --json mode prints only JSON records: run-started, an episode-finished per episode, run-finished, final', (t) => {
  const events = jsonLines(searchOutput.stdout);
  for (const e of events) t.is(typeof e.type, 'string');
  const milestones = events.map((e) => e.type).filter((type) => ['run-started', 'episode-finished', 'run-finished', 'final'].includes(type as string));
  t.deepEqual(milestones, ['run-started', 'episode-finished', 'episode-finished', 'episode-finished', 'run-finished', 'final']);
  t.deepEqual(events.filter((e) => e.type === 'episode-finished').map((e) => e.episode), [0, 1, 2]);
  t.is(events.find((e) => e.type === 'run-finished')!.status, 'completed');
  t.is(events.at(-1)!.type, 'final');
});

test('runs list --json shows the finished search', async (t) => {
  const list = await cli(['runs', 'list', '--json', '--workdir', shared]);
  t.is(list.code, 0, list.stderr);
  const runs = jsonLines(list.stdout);
  t.deepEqual(runs.map((r) => [r.id, r.status, r.episodesDone, r.episodesPlanned]), [[runIdOf(searchOutput.stdout), 'completed', 3, 3]]);
});

test('apply of an exported strategy writes model.ashk and a tfjs model; evaluate of model.ashk reports the same test accuracy', async (t) => {
  const strategy = JSON.parse(readFileSync(strategyPath, 'utf8')) as { format: string; layers: Array<{ name: string }> };
  t.is(strategy.format, 'autoshrink-strategy');
  t.deepEqual(strategy.layers.map((l) => l.name), ['fc1', 'fc2', 'fc3']);

  const out = join(tmpDir(t), 'applied');
  const applied = await cli(['apply', strategyPath, '--steps', '5', '--out', out, '--json', '--workdir', shared]);
  t.is(applied.code, 0, applied.stderr);
  const final = jsonLines(applied.stdout).at(-1)!;
  t.is(final.type, 'final');
  t.true(readFileSync(join(out, 'model.ashk')).length > 0);
  const tfjsModel = JSON.parse(readFileSync(join(out, 'tfjs', 'model.json'), 'utf8')) as { modelTopology?: unknown };
  t.truthy(tfjsModel.modelTopology);

  const evaluated = await cli(['evaluate', join(out, 'model.ashk'), '--json', '--workdir', shared]);
  t.is(evaluated.code, 0, evaluated.stderr);
  const evaluation = jsonLines(evaluated.stdout).at(-1)!;
  t.is(evaluation.type, 'evaluation');
  t.is(evaluation.test, final.testAccuracy);
});

test('SIGINT after the first episode stops the run resumably; resume finishes it with every episode once', async (t) => {
  const workdir = tmpDir(t);
  const planned = 5;
  const args = ['search', '--json', '--model', mlp, '--episodes', String(planned), '--warmup', '1', '--finetune-steps', '20', '--final-steps', '0', '--eval-size', '200', '--workdir', workdir];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  let interrupted = false;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!interrupted && stdout.split('\n').some((l) => l.startsWith('{"type":"episode-finished"'))) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  t.true(interrupted, 'saw an episode-finished event');
  t.is(code, 0, stderr);
  t.false(stderr.includes('    at '));
  const events = jsonLines(stdout);
  const runId = runIdOf(stdout);
  const finished = events.at(-1)!;
  t.is(finished.type, 'run-finished');
  t.is(finished.status, 'stopped');
  const stoppedAt = finished.episodes as number;
  t.true(stoppedAt >= 1 && stoppedAt < planned, `stopped after ${stoppedAt} episodes`);

  const list = jsonLines((await cli(['runs', 'list', '--json', '--workdir', workdir])).stdout);
  t.deepEqual(list.map((r) => [r.id, r.status, r.episodesDone]), [[runId, 'stopped', stoppedAt]]);

  const resumed = await cli(['resume', runId, '--json', '--workdir', workdir]);
  t.is(resumed.code, 0, resumed.stderr);
  const resumedEvents = jsonLines(resumed.stdout);
  t.is(resumedEvents.find((e) => e.type === 'run-started')!.resumedAt, stoppedAt);
  const resumedEpisodes = resumedEvents.filter((e) => e.type === 'episode-finished').map((e) => e.episode);
  t.deepEqual(resumedEpisodes, Array.from({ length: planned - stoppedAt }, (_, i) => stoppedAt + i));
  t.is(resumedEvents.at(-1)!.status, 'completed');

  const show = await cli(['runs', 'show', runId, '--json', '--workdir', workdir]);
  t.is(show.code, 0, show.stderr);
  const run = JSON.parse(show.stdout) as { status: string; episodes: Array<{ episode: number; phase: string; criticLoss: number | null; sigma: number | null; clamped: number | null }> };
  t.is(run.status, 'completed');
  t.deepEqual(run.episodes.map((e) => e.episode), [0, 1, 2, 3, 4]);
  // diagnostics: training starts at the end of the (one) warm-up episode, so every episode reports the critic's loss
  // and the noise; and how many layers the budget wall clamped
  t.true(run.episodes.every((e) => typeof e.criticLoss === 'number' && typeof e.sigma === 'number'));
  t.true(run.episodes.every((e) => typeof e.clamped === 'number'));
  const text = await cli(['runs', 'show', runId, '--workdir', workdir]);
  t.regex(text.stdout, /learning \(per episode\):\n.*critic loss.*mean Q.*sigma.*clamped/);
});

test('a missing model.json path is an input error naming the file', async (t) => {
  const path = join(tmpDir(t), 'nowhere', 'model.json');
  assertInputError(t, await cli(['search', ...SMALL, '--model', path, '--workdir', shared]), /model file .*nowhere\/model\.json does not exist/);
});

test('a corrupt model.json is an input error on one line', async (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'model.json'), 'not json{\n');
  assertInputError(t, await cli(['search', ...SMALL, '--model', join(dir, 'model.json'), '--workdir', shared]), /model\.json is not valid JSON/);
});

test('a model.json whose weight shard is missing is an input error naming the shard', async (t) => {
  const dir = tmpDir(t);
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  await saveModel(model, dir);
  model.dispose();
  unlinkSync(join(dir, 'weights.bin'));
  assertInputError(t, await cli(['search', ...SMALL, '--model', join(dir, 'model.json'), '--workdir', shared]), /weight shard .*weights\.bin .* is missing/);
});

test("a model with 3 outputs for MNIST's 10 classes is an input error", async (t) => {
  const dir = tmpDir(t);
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
  await saveModel(model, dir);
  model.dispose();
  assertInputError(t, await cli(['search', ...SMALL, '--model', join(dir, 'model.json'), '--workdir', shared]), /outputs 3 scores but .* has 10 classes/);
});

test('a budget below the smallest achievable size names that minimum', async (t) => {
  const r = await cli(['search', ...tiny(), '--budget', 'size:1kB', '--workdir', shared]);
  assertInputError(t, r, /below the smallest achievable size, [\d.]+ kB/);
  t.is(r.stdout, '', 'no made-up "run failed" line from a run that never started');
});

test('a strategy for another model names the mismatched layers; one with bits 99 names the field', async (t) => {
  const dir = tmpDir(t);
  const strategy = JSON.parse(readFileSync(strategyPath, 'utf8')) as Record<string, unknown> & { model: Record<string, unknown>; layers: Array<Record<string, unknown>> };

  // lenet5's compressible layers: conv kernels [kh, kw, cin, cout], dense kernels [in, out]; 5x5x16 = 400 inputs to fc1
  const lenetLayers = [
    { name: 'conv1', kind: 'conv', shape: [5, 5, 1, 6] },
    { name: 'conv2', kind: 'conv', shape: [5, 5, 6, 16] },
    { name: 'fc1', kind: 'dense', shape: [400, 120] },
    { name: 'fc2', kind: 'dense', shape: [120, 84] },
    { name: 'fc3', kind: 'dense', shape: [84, 10] },
  ];
  const lenet = {
    ...strategy,
    model: { ...strategy.model, name: 'lenet5', layers: lenetLayers },
    layers: lenetLayers.map((l) => ({ name: l.name, bits: 4, pruneRatio: 0, clusters: 0 })),
  };
  const lenetPath = join(dir, 'lenet5-strategy.json');
  writeFileSync(lenetPath, JSON.stringify(lenet));
  // the layers are checked before anything is trained: the built-in mlp is not in the cache at 12 epochs
  const mismatch = await cli(['apply', lenetPath, '--model', 'mlp', '--steps', '0', '--out', join(dir, 'out1'), '--workdir', shared]);
  assertInputError(t, mismatch, /strategy is for model lenet5, not mlp: mismatched layers conv1 \(missing\), conv2 \(missing\), fc1 \(dense 400x120 in the strategy, dense 784x300 in the model\)/);

  const outOfRange = { ...strategy, layers: strategy.layers.map((l, i) => (i === 0 ? { ...l, bits: 99 } : l)) };
  const badPath = join(dir, 'bits-99.json');
  writeFileSync(badPath, JSON.stringify(outOfRange));
  const bad = await cli(['apply', badPath, '--steps', '0', '--out', join(dir, 'out2'), '--workdir', shared]);
  assertInputError(t, bad, /field layers\[0\]\.bits/);
  const badBn = await cli(['apply', lenetPath, '--bn-batches', '-1', '--steps', '0', '--out', join(dir, 'out3'), '--workdir', shared]);
  assertInputError(t, badBn, /--bn-batches -1: give a whole number of batches, 0 or more/);
});

test('a dataset folder that does not exist, or lacks the IDX files, is an input error', async (t) => {
  assertInputError(t, await cli(['search', ...tiny(), '--data', 'idx:/nonexistent', '--workdir', shared]), /dataset folder \/nonexistent does not exist/);
  const empty = tmpDir(t);
  assertInputError(t, await cli(['search', ...tiny(), '--data', `idx:${empty}`, '--workdir', shared]), /missing train-images-idx3-ubyte\(\.gz\) in /);
});

test('IDX files with wrong magic numbers are an input error naming the file and both numbers', async (t) => {
  const dir = tmpDir(t);
  const n = 4;
  const images = new Uint8Array(n * 28 * 28);
  const labels = Uint8Array.from([0, 1, 2, 3]);
  // the training images carry the labels' magic number
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), encodeIdx(IDX_LABELS_MAGIC, [n, 28, 28], images));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), encodeIdx(IDX_LABELS_MAGIC, [n], labels));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdx(IDX_IMAGES_MAGIC, [n, 28, 28], images));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx(IDX_LABELS_MAGIC, [n], labels));
  assertInputError(t, await cli(['search', ...tiny(), '--data', `idx:${dir}`, '--workdir', shared]), /train-images-idx3-ubyte has magic number 0x00000801, expected 0x00000803/);
});

test('search with --workdir naming a file is an input error on one line, before any baseline is trained', async (t) => {
  const file = join(tmpDir(t), 'a-file');
  writeFileSync(file, 'x');
  // the default model is lenet5, cached nowhere: without the check it trained for minutes, then died on ENOTDIR
  const r = await cli(['search', '--json', '--workdir', file]);
  assertInputError(t, r, /work directory .*a-file is a file, not a folder; pass a folder as --workdir/);
  t.is(r.stdout, '', 'no event: no run started, no baseline training logged');
});

test('baseline, evaluate and resume with --workdir naming a file are input errors on one line', async (t) => {
  const file = join(tmpDir(t), 'a-file');
  writeFileSync(file, 'x');
  for (const command of [['baseline', '--model', 'mlp'], ['evaluate', 'mlp'], ['resume', 'some-run']]) {
    assertInputError(t, await cli([...command, '--workdir', file]), /work directory .*a-file is a file, not a folder/);
  }
});

test('--episodes 0 is an input error', async (t) => {
  assertInputError(t, await cli(['search', '--model', mlp, '--episodes', '0', '--workdir', shared]), /episodes.*at least 1/);
});

test('an unknown --backend is an input error listing the choices', async (t) => {
  assertInputError(t, await cli(['search', ...tiny(), '--backend', 'nonsense', '--workdir', shared]), /nonsense.*auto.*wasm/);
});

test('resume of an unknown run id is an input error', async (t) => {
  assertInputError(t, await cli(['resume', 'no-such-run', '--workdir', shared]), /no run 'no-such-run'/);
});

test('a flag given twice is an input error naming it, while list flags may repeat', async (t) => {
  assertInputError(t, await cli(['search', '--model', mlp, '--episodes', '3', '--episodes', '4', '--workdir', shared]), /--episodes was given 2 times \(3, 4\); give it once/);
  // --exclude repeats freely: the run gets as far as the --episodes check
  assertInputError(t, await cli(['search', '--model', mlp, '--exclude', 'fc1', '--exclude', 'fc2', '--episodes', '0', '--workdir', shared]), /episodes.*at least 1/);
});

test('an unknown flag is refused before the command runs: no search, no runs.db, one line and exit 2', async (t) => {
  const dir = tmpDir(t);
  assertInputError(t, await cli(['search', ...tiny(), '--plain', '--workdir', dir]), /Unknown argument: plain/);
  t.false(existsSync(join(dir, 'runs.db')), 'the search did not start');
  const runs = await cli(['runs', 'list', '--plain', '--workdir', shared]);
  assertInputError(t, runs, /Unknown argument: plain/);
  t.is(runs.stdout, '', 'nothing listed before the error');
});
