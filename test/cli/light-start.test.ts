/**
 * A light start: `autoshrink --help` and a flag error load no tfjs, bullmq, charting or terminal-UI package (the
 * commands load what they use when they run), and `import 'autoshrink'` loads neither bullmq nor the charting
 * packages (the report is autoshrink/report). Checked on the module graph each process resolves
 * (test/fixtures/record-imports.mjs), not on a time.
 */
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpDir } from '../helpers/tmp-dir.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** The packages a node process resolves, and its exit status and stderr. */
function packagesLoaded(t: ExecutionContext, args: string[]): { packages: Set<string>; status: number | null; stderr: string } {
  const record = join(tmpDir(t), 'imports.txt');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/fixtures/record-imports.mjs', ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, RECORD_IMPORTS: record, FORCE_COLOR: '0' },
  });
  const urls = readFileSync(record, 'utf8').split('\n');
  const packages = new Set(urls.map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1]).filter((p): p is string => p !== undefined));
  return { packages, status: r.status, stderr: r.stderr };
}

const HEAVY = ['bullmq', 'vega', 'vega-lite', '@resvg/resvg-js', 'ink', 'react'];
const COMPUTE = ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', 'better-sqlite3', 'mnist'];

test("import 'autoshrink' (index.ts) loads neither bullmq nor vega, vega-lite, resvg, ink or react", (t) => {
  const { packages, status } = packagesLoaded(t, ['-e', "await import('./index.ts')"]);
  t.is(status, 0);
  t.true(packages.has('@tensorflow/tfjs-core'), 'the recorder sees packages: the library does load tfjs');
  t.deepEqual(HEAVY.filter((p) => packages.has(p)), []);
});

test("import 'autoshrink' loads tfjs from tfjs-core, tfjs-layers and the cpu backend (tfjs.ts), not the umbrella @tensorflow/tfjs", (t) => {
  const { packages, status } = packagesLoaded(t, ['-e', "await import('./index.ts')"]);
  t.is(status, 0);
  t.deepEqual([...packages].filter((p) => p.startsWith('@tensorflow/')).sort(), ['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers']);
});

test('autoshrink --help exits 0 having loaded yargs but no tfjs, sqlite, queue, charting or terminal-UI package', (t) => {
  const { packages, status } = packagesLoaded(t, ['cli/main.ts', '--help']);
  t.is(status, 0);
  t.true(packages.has('yargs'));
  t.deepEqual([...HEAVY, ...COMPUTE].filter((p) => packages.has(p)), []);
});

const badFlags: Array<[string, string[], RegExp]> = [
  ['an unknown flag of search', ['search', '--bogus'], /^error: Unknown argument: bogus\n$/],
  ['a model name baseline does not know', ['baseline', '--model', 'nope'], /^error: Invalid values:.*nope/],
  ['an unknown backend', ['runs', '--backend', 'gpu'], /^error: Invalid values:.*gpu/],
];
for (const [what, args, message] of badFlags) {
  test(`${what} exits 2 in one line before any heavy package loads`, (t) => {
    const { packages, status, stderr } = packagesLoaded(t, ['cli/main.ts', ...args]);
    t.is(status, 2, stderr);
    t.regex(stderr, message);
    t.deepEqual([...HEAVY, ...COMPUTE].filter((p) => packages.has(p)), []);
  });
}
