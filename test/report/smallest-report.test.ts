/**
 * The report of a stored --goal smallest run (built by hand, test/helpers/smallest-run.ts: no training): the drops in
 * place of the budget, the smallest found against the accuracy kept, the answer and whether the test confirmed it.
 */
import test from 'ava';
import { buildReport } from '../../report/report.js';
import { readReportRuns } from '../../run/report-data.js';
import { MET, storeSmallestRun } from '../helpers/smallest-run.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const generated = '2026-12-07T16:00:00Z';

test('the report of a smallest run: 12.5 kB found at 75% against 98% (8.0x, -23.00 points), the answer 11 kB at -0.40 points, confirmed', async (t) => {
  const workdir = tmpDir(t);
  const id = storeSmallestRun(workdir, { choice: MET, testAccuracy: 0.976 });
  const [run] = await readReportRuns(workdir, [id]);
  t.deepEqual(run.smallest?.found, { episode: 2, accuracy: 0.75, cost: 12_500 });
  t.is(run.smallest?.within, 3);
  const { html, charts } = await buildReport([run], { generated });
  // the summary names the goal where a budget run names its budget
  t.true(html.includes('<td>smallest within 0.5 points</td>'));
  t.false(html.includes('size &lt;= 8 bits/weight'));
  t.true(html.includes('<h3>Smallest within 0.5 points</h3>'));
  t.true(html.includes('episode 3: est. 12500 bytes (12.5 kB), 8.0x smaller than fp32 (100 kB); validation 75.00% against 98.00%, -23.00 points; 3 of 4 episodes within 30.5 points'));
  // 100000 / 11000 = 9.09
  t.true(html.includes('model.ashk 11000 bytes (11.0 kB), 9.1x smaller than fp32; test 97.60% against 98.00%, -0.40 points'));
  t.true(html.includes('<td>confirmed within 0.5 points</td>'));
  t.true(html.includes('2 of 3 strategies re-scored on the 1000 holdout images (baseline 98.10%)'));
  // the re-scored rows: 97.8% - 98.1% = -0.30 points within (the answer), 97.4% = -0.70 over
  t.true(html.includes('<tr><td>answer</td><td class="num">2</td><td class="num">20000 bytes (20.0 kB)</td><td class="num">97.80%</td><td class="num">-0.30 points</td><td>within</td></tr>'));
  t.true(html.includes('<tr><td></td><td class="num">3</td><td class="num">12500 bytes (12.5 kB)</td><td class="num">97.40%</td><td class="num">-0.70 points</td><td>over</td></tr>'));
  // no budget line on the Pareto chart: the size:8bits wall binds no setting
  const pareto = charts.find((c) => c.id === 'pareto')!.svg;
  t.regex(pareto, /<g class="mark-rule role-mark budget_marks"[^>]*\/>/, 'the budget rule group is empty');
});

test('the report of a smallest run whose drop was not met says the answer is the closest and was NOT confirmed', async (t) => {
  const workdir = tmpDir(t);
  const missed = { ...MET, met: false, rows: MET.rows.map((row) => ({ ...row, withinDrop: false })), confirmed: false, testDrop: 1.2 };
  const id = storeSmallestRun(workdir, { choice: missed, testAccuracy: 0.968 });
  const { html } = await buildReport(await readReportRuns(workdir, [id]), { generated });
  t.true(html.includes('test 96.80% against 98.00%, -1.20 points'));
  t.true(html.includes('<td>NOT confirmed: the test drop exceeds 0.5 points (reported as is; the pick is not re-chosen)</td>'));
  t.true(html.includes('none stayed within 0.5 points: the closest is the answer, and it misses the drop'));
});

test('a smallest run capped by --budget size:20kB keeps its budget line on the Pareto chart and says proposals were capped', async (t) => {
  const workdir = tmpDir(t);
  const id = storeSmallestRun(workdir, { choice: MET, testAccuracy: 0.976 }, { budget: 'size:20kB' });
  const [run] = await readReportRuns(workdir, [id]);
  t.true(run.smallest?.capped);
  const { html, charts } = await buildReport([run], { generated });
  t.true(html.includes('proposals capped at --budget size:20kB'));
  t.regex(charts.find((c) => c.id === 'pareto')!.svg, /<g class="mark-rule role-mark budget_marks"[^>]*>\s*<(path|line)/);
});
