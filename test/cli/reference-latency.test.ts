/**
 * With a latency budget, the closing lines of `search` / `resume` and `runs show` set each reference's built model's
 * median time and speed-up beside its accuracy and size, as the run's own pick is shown: from a final report built by
 * hand (test/helpers/latency-run.ts), no training, no timing.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { referenceLines } from '../../cli/final-lines.js';
import type { FinalReport } from '../../run/final/final.js';
import { LATENCY_FINAL, storeLatencyRun } from '../helpers/latency-run.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

// budget used: the predicted ms against the 2.04 ms limit: 1.75 / 2.04 = 85.8%, 2.0 / 2.04 = 98.0%, 1.9 / 2.04 = 93.1%;
// speed-up: fp32 / built, timed in the same rounds: 3.40 / 1.70 = 2.00, 3.40 / 2.72 = 1.25, 3.20 / 2.00 = 1.60
const EXPECTED = [
  '',
  'what the search bought (each through the same 600-step final fine-tune; each built model timed beside the original, medians of predict at batch 1 on wasm):',
  '  ddpg (this run)  test 95.00%  model.ashk 30.0 kB  budget used 85.8%  latency 1.70 ms, 2.00x as fast as fp32',
  '  uniform          test 93.00%  model.ashk 28.0 kB  budget used 98.0%  latency 2.72 ms, 1.25x as fast as fp32  this run +2.00 points',
  '  plan             test 94.00%  model.ashk 29.0 kB  budget used 93.1%  latency 2.00 ms, 1.60x as fast as fp32  this run +1.00 points',
  '  the references took 1m20s more (--references false skips them); their files: /o/references/',
];

test('the closing lines: each reference with its median ms and speed-up vs fp32 beside accuracy and size, as the run (2.00x, 1.25x, 1.60x)', (t) => {
  t.deepEqual(referenceLines(LATENCY_FINAL), EXPECTED);
});

test('without a latency budget the reference lines carry no latency', (t) => {
  const untimed = { ...LATENCY_FINAL, latency: undefined, references: LATENCY_FINAL.references!.map(({ latency: _l, ...r }) => r) } as FinalReport;
  const lines = referenceLines(untimed);
  t.is(lines[1], 'what the search bought (each through the same 600-step final fine-tune):');
  t.is(lines[3], '  uniform          test 93.00%  model.ashk 28.0 kB  budget used 98.0%  this run +2.00 points');
  t.false(lines.some((l) => l.includes('latency')));
});

test('runs show of a stored latency run lists the references with their latency, as the closing lines did', async (t) => {
  const workdir = tmpDir(t);
  const id = storeLatencyRun(workdir);
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const env = { ...process.env, AUTOSHRINK_DEBUG: '', FORCE_COLOR: '0' };
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', '--workdir', workdir, 'runs', 'show', id], { cwd: repo, env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.true(lines.includes('latency: measured 1.70 ms vs fp32 3.40 ms (same rounds), predicted 1.75 ms'));
  const at = lines.indexOf(EXPECTED[1]);
  t.true(at > 0, r.stdout);
  t.deepEqual(lines.slice(at - 1, at + EXPECTED.length - 1), EXPECTED);
});
