import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { tmpDir } from '../helpers/tmp-dir.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const childEnv = { ...process.env, AUTOSHRINK_DEBUG: '', FORCE_COLOR: '0' };

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo, env: childEnv }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Exit 2, one line on stderr, no stack trace, and no run started (no runs.db in the workdir). */
async function refused(t: ExecutionContext, args: string[], pattern: RegExp): Promise<void> {
  const dir = tmpDir(t, 'autoshrink-budget-refusals-');
  const r = await cli(['search', '--model', 'mlp', '--episodes', '3', '--workdir', dir, ...args]);
  t.is(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('backend: '));
  t.is(lines.length, 1, r.stderr);
  t.regex(lines[0], pattern);
  t.false(r.stderr.includes('    at '), 'no stack trace');
  t.false(existsSync(join(dir, 'runs.db')), 'no run started');
}

test('--budget latency:0.5 without the channels knob: exit 2, one line naming the fix', async (t) => {
  await refused(t, ['--budget', 'latency:0.5'], /^error: .*latency budget needs the channels knob.*--knobs/);
});

test('--agent knapsack with two --budget flags: exit 2, one line; the repeated flag reads as the comma-joined one', async (t) => {
  await refused(t, ['--agent', 'knapsack', '--budget', 'size:2bits', '--budget', 'bitops:0.1'], /^error: --agent knapsack plans one budget .*--budget size:2bits,bitops:0\.1 gives 2/);
});

test('--agent local with two budgets joined by a comma: exit 2, one line', async (t) => {
  await refused(t, ['--agent', 'local', '--budget', 'size:2bits,bitops:0.1'], /^error: .*--agent local plans one budget/);
});
