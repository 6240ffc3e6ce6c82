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

test('--holdout-size 6000 on the bundled MNIST (10000 - 2000 test - 2000 validation = 6000 left) is one error line, exit 2, before any training', async (t) => {
  const workdir = tmpDir(t);
  const r = await cli(['search', '--holdout-size', '6000', '--workdir', workdir]);
  t.is(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('backend: '));
  t.deepEqual(lines, ['error: --holdout-size 6000 is too large: MNIST (bundled, 10k) leaves 6000 training images after validation and test, and at least 1 must train; use --holdout-size 5999 or less']);
});
