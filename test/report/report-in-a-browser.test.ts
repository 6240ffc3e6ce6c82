/**
 * The report opened as a person opens it: a real run's HTML file in headless Chromium (Debian's `chromium`, which
 * .ci/run installs; puppeteer-core drives it and downloads nothing). It must render with no console error, no failed
 * or network request, and every chart at a non-zero size. Without a Chromium the test fails and says how to get one.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { launchChromium } from '../helpers/chromium.js';
import { readReportRuns } from '../../run/report-data.js';
import { buildReport } from '../../report/report.js';
import { removeDir, tinyWorkdir } from '../helpers/tiny-run.js';
import { tinySearch } from './tiny-search.js';

let workdir = '';
let page = '';
let browser: Browser | undefined;
test.before(async () => {
  workdir = await tinyWorkdir('report');
  const a = await tinySearch(workdir);
  const b = await tinySearch(workdir, { agent: 'random', seed: 2 });
  const report = await buildReport(await readReportRuns(workdir, [a, b]), { generated: new Date().toISOString() });
  page = join(workdir, 'report.html');
  writeFileSync(page, report.html);
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  removeDir(workdir);
});

test('the report renders in Chromium with no console error, no request beyond its own file, and every chart non-empty', async (t) => {
  const tab = await browser!.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  tab.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  tab.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
  tab.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));
  tab.on('request', (r) => requests.push(r.url()));
  await tab.setViewport({ width: 1100, height: 900 });
  const url = pathToFileURL(page).href;
  await tab.goto(url, { waitUntil: 'load' });
  const charts = await tab.$$eval('figure.chart', (figures) =>
    figures.map((f) => {
      const svg = f.querySelector('svg');
      const box = svg?.getBoundingClientRect();
      return { id: f.id, width: box?.width ?? 0, height: box?.height ?? 0, marks: svg?.querySelectorAll('.role-mark > *').length ?? 0 };
    }),
  );
  await tab.close();
  t.deepEqual(problems, []);
  t.deepEqual(requests, [url], 'the page loads nothing but itself');
  t.deepEqual(charts.map((c) => c.id), ['chart-pareto', 'chart-reward', 'chart-layers', 'chart-final']);
  for (const c of charts) {
    t.true(c.width > 100 && c.height > 100, `${c.id} is ${c.width}x${c.height}`);
    t.true(c.marks > 0, `${c.id} draws marks`);
  }
});

test('the summary table lists both runs, and the page is as wide as the window allows (no horizontal scroll at 1100 px)', async (t) => {
  const tab = await browser!.newPage();
  await tab.setViewport({ width: 1100, height: 900 });
  await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
  const rows = await tab.$$eval('#summary tbody tr', (trs) => trs.map((tr) => tr.querySelector('td')?.textContent ?? ''));
  // a string, evaluated in the page (this project's TypeScript has no DOM lib)
  const scroll = (await tab.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
  await tab.close();
  t.is(rows.length, 2);
  t.is(scroll, 0);
});
