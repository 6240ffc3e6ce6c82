import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpDir } from '../helpers/tmp-dir.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo, env: { ...process.env, AUTOSHRINK_DEBUG: '', FORCE_COLOR: '0' } }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr });
    });
  });
}

const errorLines = (stderr: string) => stderr.trim().split('\n').filter((l) => !l.startsWith('backend: '));

test('--goal smallest with --budget flops:0.5 is one error line naming the fix, exit 2, before any training', async (t) => {
  const r = await cli(['search', '--goal', 'smallest', '--budget', 'flops:0.5', '--workdir', tmpDir(t)]);
  t.is(r.code, 2, r.stderr);
  t.deepEqual(errorLines(r.stderr), ['error: --goal smallest takes a size budget as its wall, not --budget flops:0.5 (give size:8bits, the default, or a size cap such as size:40kB)']);
});

test('--max-drop -1 and --goal tiniest are one error line each, exit 2', async (t) => {
  const drop = await cli(['search', '--goal', 'smallest', '--max-drop', '-1', '--workdir', tmpDir(t)]);
  t.is(drop.code, 2, drop.stderr);
  t.is(errorLines(drop.stderr).length, 1);
  t.regex(errorLines(drop.stderr)[0], /^error: --max-drop -1: /);
  const goal = await cli(['search', '--goal', 'tiniest', '--workdir', tmpDir(t)]);
  t.is(goal.code, 2, goal.stderr);
  t.is(errorLines(goal.stderr).length, 1);
  t.regex(errorLines(goal.stderr)[0], /goal/);
});
