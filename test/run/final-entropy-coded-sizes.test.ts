/** The final stage writes an entropy-coded model.ashk and reports its bytes beside the fixed-width size the budget counts. */
import test from 'ava';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packedSizeReport } from '../../learners/model-pack.js';
import { finishRun } from '../../run/final/final.js';
import { runSearch } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import type { Strategy } from '../../run/final/strategy.js';
import { removeDir, TINY, tinyWorkdir } from '../helpers/tiny-run.js';

let workdir = '';
test.before(async () => (workdir = await tinyWorkdir('final-sizes')));
test.after.always(() => removeDir(workdir));

test('the final report, the stored run and the strategy file give the coded bytes of model.ashk beside its fixed-width bytes', async (t) => {
  const { runId } = await runSearch({ ...TINY, budget: 'size:2bits', finalSteps: 2 }, { workdir, backend: 'wasm' });
  const report = await finishRun(runId, { workdir, backend: 'wasm' });
  const file = readFileSync(join(report.out, 'model.ashk'));
  const s = report.sizes;
  t.is(statSync(join(report.out, 'model.ashk')).size, s.packedBytes);
  t.is(s.packedBytes, s.headerBytes + s.codedPayloadBytes);
  t.is(s.fixedPackedBytes, s.headerBytes + s.payloadBytes);
  t.is(s.payloadBytes, s.analyticPayloadBytes);
  t.is(packedSizeReport(file).fixedPayloadBytes, s.payloadBytes);
  t.true(s.codedPayloadBytes <= s.payloadBytes);
  const strategy = JSON.parse(readFileSync(report.strategyPath, 'utf8')) as Strategy;
  t.is(strategy.cost.bytes, s.packedBytes);
  t.is(strategy.cost.fixedWidthBytes, s.fixedPackedBytes);
  const store = openStore(join(workdir, 'runs.db'));
  const final = store.findRun(runId).final as { packedBytes: number; fixedPackedBytes: number };
  store.close();
  t.deepEqual([final.packedBytes, final.fixedPackedBytes], [s.packedBytes, s.fixedPackedBytes]);
  // the quantized tfjs export sits beside it, within 0.1 point of model.ashk's test accuracy
  t.true(report.tfjs.testAccuracy >= report.testAccuracy - 0.001);
  t.true(report.tfjs.weightsBytes < s.fp32Bytes / 3);
});
