/**
 * `autoshrink runs list` and `runs compare` with a stored --goal smallest run (built by hand,
 * test/helpers/smallest-run.ts) beside a budget run, in a child process as a user runs them: the smallest run's budget
 * column says its goal, as `runs show` does, not the limit of a wall that binds no setting (size:8bits of its 100 kB
 * fp32 model would read 25.0 kB).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { storePath } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import { storeSmallestRun } from '../helpers/smallest-run.js';
import { sampleRun } from '../helpers/store-samples.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

function runs(workdir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, AUTOSHRINK_DEBUG: '', FORCE_COLOR: '0' };
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', '--workdir', workdir, 'runs', ...args], { cwd: repo, env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A budget run of size <= 16 kB beside the smallest run; returns both ids, the budget run first. */
function twoRuns(workdir: string, smallestBudget?: string): [string, string] {
  const store = openStore(storePath(workdir));
  const budgetRun = store.createRun(sampleRun()).id;
  store.close();
  return [budgetRun, storeSmallestRun(workdir, null, smallestBudget ? { budget: smallestBudget } : {})];
}

/** The cells of the row (list) or column (compare) of `id`, split on runs of two or more spaces. */
const cells = (line: string) => line.trim().split(/\s{2,}/);

test('runs list: the budget run shows its 16.0 kB limit, the smallest run "smallest within 0.5 points", not 25.0 kB', async (t) => {
  const workdir = tmpDir(t);
  const [budgetRun, smallestRun] = twoRuns(workdir);
  const r = await runs(workdir, ['list']);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  const budget = cells(lines[0]).indexOf('budget');
  t.is(cells(lines.find((l) => l.startsWith(budgetRun))!)[budget], '16.0 kB');
  t.is(cells(lines.find((l) => l.startsWith(smallestRun))!)[budget], 'smallest within 0.5 points');
  t.false(r.stdout.includes('25.0 kB'));
});

test('runs list: a smallest run capped by --budget size:20kB names its cap', async (t) => {
  const workdir = tmpDir(t);
  const [, smallestRun] = twoRuns(workdir, 'size:20kB');
  const r = await runs(workdir, ['list']);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.is(cells(lines.find((l) => l.startsWith(smallestRun))!)[cells(lines[0]).indexOf('budget')], 'smallest within 0.5 points, capped at size:20kB');
});

test('runs compare: the budget line reads 16.0 kB for the budget run and the goal for the smallest run', async (t) => {
  const workdir = tmpDir(t);
  const [budgetRun, smallestRun] = twoRuns(workdir);
  const r = await runs(workdir, ['compare', budgetRun, smallestRun]);
  t.is(r.code, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.startsWith('budget'))!;
  t.deepEqual(cells(line), ['budget', '16.0 kB', 'smallest within 0.5 points']);
  const json = await runs(workdir, ['compare', budgetRun, smallestRun, '--json']);
  t.deepEqual(
    json.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { budget: string }).budget),
    ['16.0 kB', 'smallest within 0.5 points'],
  );
});
