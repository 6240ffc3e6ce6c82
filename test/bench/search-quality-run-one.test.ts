/**
 * One benchmark run through the product's pipeline on a tiny mlp: search, finishRun, and extra finals by
 * applyStrategy under seeds 1000 s + j. applyStrategy under the run's own seed gives finishRun's test accuracy
 * exactly, so the extra finals are the product's final stage with only the seed changed.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../env/backend.js';
import { runOne } from '../../bench/search-quality/run-one.js';
import { applyStrategy } from '../../run/final/final.js';
import { loadStrategy } from '../../run/final/strategy.js';
import { cacheTinyBaseline, TINY } from '../helpers/tiny-run.js';

test('a random-search run finished twice: finals under seeds 3 and 3001, the first equal to applyStrategy under seed 3', async (t) => {
  await selectBackend('wasm');
  const workdir = mkdtempSync(join(tmpdir(), 'sq-run-one-'));
  t.teardown(() => rmSync(workdir, { recursive: true, force: true }));
  await cacheTinyBaseline(workdir);
  const input = { ...TINY, agent: 'random', seed: 3, finalSteps: 5, dataSeed: 1 };
  const lines: string[] = [];
  const row = await runOne({ id: 'x', model: 'mlp', regime: 'size:4bits:2-8', planner: 'random', seed: 3, input, finals: 2, counted: 2 }, { workdir, backend: 'wasm', commit: 'test', say: (l) => lines.push(l) });
  t.is(row.status, 'ok', row.note);
  t.deepEqual(row.finalSeeds, [3, 3001]);
  t.is(row.finals!.length, 2);
  t.is(row.episodesRun, 4);
  t.is(row.settings!.finalSteps, 5);
  t.true(row.rewards!.length === 4 && row.searchSeconds! > 0 && row.cpuSeconds! > 0);
  const again = await applyStrategy(loadStrategy(join(workdir, 'runs', row.runId!, 'strategy.json')), {
    workdir,
    model: 'mlp',
    data: 'mnist',
    dataSeed: 1,
    out: join(workdir, 'again'),
    steps: 5,
    batchSize: TINY.finetuneBatch,
    learningRate: 5e-4,
    seed: 3,
    bnBatches: 16,
  });
  t.is(again.testAccuracy, row.finals![0]);
});
