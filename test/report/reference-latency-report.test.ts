/**
 * The report of a stored run with a latency budget (built by hand, test/helpers/latency-run.ts: no training, no
 * timing): the pick's measured latency in its final results, and the references beside it with their accuracy, size,
 * median ms and speed-up against the original timed in the same rounds.
 */
import test from 'ava';
import { buildReport } from '../../report/report.js';
import { readReportRuns } from '../../run/report-data.js';
import { storeLatencyRun } from '../helpers/latency-run.js';
import { tmpDir } from '../helpers/tmp-dir.js';

test('the report: the run 1.70 ms (3.40 / 1.70 = 2.00x), uniform 2.72 ms (1.25x), plan 2.00 ms (3.20 / 2.00 = 1.60x), each beside its accuracy and size', async (t) => {
  const workdir = tmpDir(t);
  const id = storeLatencyRun(workdir);
  const [run] = await readReportRuns(workdir, [id]);
  t.deepEqual(run.final?.references?.map((r) => [r.agent, r.latency?.measuredMs, r.latency?.fp32Ms]), [['uniform', 2.72, 3.4], ['plan', 2, 3.2]]);
  const { html } = await buildReport([run], { generated: '2026-12-07T16:00:00Z' });
  t.true(html.includes('<tr><th>latency</th><td>1.70 ms median, 2.00x as fast as fp32 (3.40 ms in the same rounds); predicted 1.75 ms; within the budget by measurement (wasm, batch 1)</td></tr>'));
  t.true(html.includes('<th>strategy</th><th>test acc</th><th>this run vs it</th><th>model.ashk</th><th>latency (median)</th><th>speed-up vs fp32</th>'));
  t.true(html.includes('<tr><td>ddpg (this run)</td><td class="num">95.00%</td><td class="num"></td><td class="num">30000 bytes (30.0 kB)</td><td class="num">1.70 ms</td><td class="num">2.00x</td></tr>'));
  t.true(html.includes('<tr><td>uniform</td><td class="num">93.00%</td><td class="num">+2.00 points</td><td class="num">28000 bytes (28.0 kB)</td><td class="num">2.72 ms</td><td class="num">1.25x</td></tr>'));
  t.true(html.includes('<tr><td>plan</td><td class="num">94.00%</td><td class="num">+1.00 points</td><td class="num">29000 bytes (29.0 kB)</td><td class="num">2.00 ms</td><td class="num">1.60x</td></tr>'));
});

test('a run without references or a latency budget shows neither table row nor references table', async (t) => {
  const workdir = tmpDir(t);
  const [run] = await readReportRuns(workdir, [storeLatencyRun(workdir)]);
  const { html } = await buildReport([{ ...run, final: { ...run.final!, latency: undefined, references: undefined } }], { generated: '2026-12-07T16:00:00Z' });
  t.false(html.includes('<th>latency</th>'));
  t.false(html.includes('What the search bought'));
});
