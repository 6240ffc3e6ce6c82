/**
 * `autoshrink report` as a user meets it: `node --import tsx cli/main.ts ...` in a child process, on a real tiny run.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pngPathOf } from '../../cli/commands/report.js';
import { removeDir, tinyWorkdir } from '../helpers/tiny-run.js';
import { tinySearch } from './tiny-search.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, AUTOSHRINK_DEBUG: '', FORCE_COLOR: '0' };
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo, env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

let workdir = '';
let runId = '';
let unfinished = '';
test.before(async () => {
  workdir = await tinyWorkdir('report');
  runId = await tinySearch(workdir);
  unfinished = await tinySearch(workdir, { seed: 2 }, { final: false });
});
test.after.always(() => removeDir(workdir));

test('report writes the HTML page and, with --png, the charts as a PNG beside it', async (t) => {
  const out = join(workdir, 'out', 'run.html');
  mkdirSync(join(workdir, 'out'));
  const r = await cli(['--workdir', workdir, 'report', runId.slice(0, 18), '--out', out, '--png']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /wrote .*run\.html and .*run\.png \(1 run, 4 charts\)/);
  t.true(readFileSync(out, 'utf8').includes(`Run ${runId}`));
  t.deepEqual([...readFileSync(join(workdir, 'out', 'run.png')).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'PNG magic');
});

test('report --json prints where it wrote, for scripts', async (t) => {
  const out = join(workdir, 'j.html');
  const r = await cli(['--workdir', workdir, '--json', 'report', runId, '--out', out]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { out, png: null, runs: [runId], charts: ['pareto', 'reward', 'layers', 'final'] });
});

test('a comparison with a run that had no final stage builds its model (on a tfjs backend) to size its layers', async (t) => {
  const out = join(workdir, 'both.html');
  const r = await cli(['--workdir', workdir, 'report', runId, unfinished, '--out', out]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /\(2 runs, 4 charts\)/);
  t.regex(readFileSync(out, 'utf8'), /Chosen strategy \(episode \d+, by best reward\)/);
});

/** Exit code 2, one `error:` line on stderr, no stack trace, nothing written. */
async function refused(t: import('ava').ExecutionContext, args: string[], message: RegExp) {
  const r = await cli(['--workdir', workdir, 'report', ...args]);
  t.is(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  t.is(lines.length, 1, r.stderr);
  t.regex(lines[0], /^error: /);
  t.regex(lines[0], message);
  t.false(r.stderr.includes('    at '), 'no stack trace');
}

test('an unknown run is one line and exit 2', async (t) => {
  await refused(t, ['nosuchrun', '--out', join(workdir, 'x.html')], /no run 'nosuchrun'/);
  t.false(existsSync(join(workdir, 'x.html')));
});

test('an --out that cannot be written is one line and exit 2: a missing folder, a file as folder, a directory', async (t) => {
  await refused(t, [runId, '--out', join(workdir, 'missing', 'r.html')], /cannot write --out .*does not exist/);
  await refused(t, [runId, '--out', join(workdir, 'runs.db', 'r.html')], /cannot write --out .*does not exist/);
  await refused(t, [runId, '--out', workdir], /is a directory/);
});

test('a workdir without runs is one line and exit 2', async (t) => {
  const r = await cli(['--workdir', join(workdir, 'empty'), 'report', 'x']);
  t.is(r.code, 2);
  t.regex(r.stderr.trim(), /^error: no runs yet in .*empty/);
});

test('the PNG goes beside the page: report.html -> report.png, out -> out.png', (t) => {
  t.is(pngPathOf('a/report.html'), 'a/report.png');
  t.is(pngPathOf('r.HTM'), 'r.png');
  t.is(pngPathOf('out'), 'out.png');
});
