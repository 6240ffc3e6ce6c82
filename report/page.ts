/**
 * The report as one self-contained HTML page: inline CSS, the charts as inline SVG, no script and nothing fetched at
 * view time (it opens from a file, offline, and pastes into a mail). Pure: the same runs and charts give the same page.
 */
import { formatBytes, formatMs } from '../units.js';
import type { ReportLatency, ReportRun } from './types.js';

/** A rendered chart: its id (the figure's `id` is `chart-<id>`), a caption and the SVG. */
export interface RenderedChart {
  id: string;
  caption: string;
  svg: string;
}

export interface PageInput {
  runs: readonly ReportRun[];
  charts: readonly RenderedChart[];
  /** ISO date shown in the footer (passed in, so the page is a pure function of its input). */
  generated: string;
  /** e.g. 'autoshrink 0.1.0, Vega-Lite 6.4.3, Vega 6.4.0'. */
  madeWith: string;
}

const STYLE = `
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1000px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ddd; }
h3 { font-size: 14px; margin: 16px 0 6px; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure.chart { margin: 16px 0; } figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: #555; max-width: 760px; }
.note { color: #666; font-size: 13px; } code { font-size: 12px; }
dl.config { columns: 3; column-gap: 24px; font-size: 12px; margin: 8px 0; } dl.config div { break-inside: avoid; padding: 1px 0; }
dl.config dt { display: inline; font-weight: bold; } dl.config dd { display: inline; margin-left: 6px; word-break: break-all; }
dl.config div.differs { background: #fff3cd; }
footer { margin-top: 40px; font-size: 11px; color: #777; }
`;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);
const cell = (text: string, num = false) => `<td${num ? ' class="num"' : ''}>${escapeHtml(text)}</td>`;

function summaryTable(runs: readonly ReportRun[]): string {
  const head = ['run', 'agent', 'seed', 'model', 'data', 'budget', 'status', 'episodes', 'chosen', 'its search val acc', 'test acc', 'baseline test', 'model.ashk', 'smaller'];
  const rows = runs.map((r) => {
    const f = r.final;
    return `<tr>${[
      cell(r.id),
      cell(r.agent),
      cell(String(r.seed), true),
      cell(r.model),
      cell(r.dataset),
      cell(r.smallest ? `smallest within ${r.smallest.maxDrop} points${r.smallest.capped ? `, capped at ${r.budget.label}` : ''}` : r.budget.label),
      cell(r.status),
      cell(String(r.episodes.length), true),
      cell(`episode ${r.chosen.episode + 1} (${r.chosen.by})`),
      cell(pct(r.chosen.accuracy), true),
      cell(pct(f?.testAccuracy), true),
      cell(pct(f?.baselineTestAccuracy), true),
      cell(f ? formatBytes(f.sizes.packed) : '-', true),
      cell(f ? `${(f.sizes.fp32 / f.sizes.packed).toFixed(1)}x` : '-', true),
    ].join('')}</tr>`;
  });
  return `<table id="summary"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? String(v);
}

function keyValueTable(entries: Array<[string, unknown]>): string {
  return `<table>${entries.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th>${cell(valueText(v))}</tr>`).join('')}</table>`;
}

function layersTable(run: ReportRun): string {
  const head = ['layer', 'kind', 'weights', 'bits', 'pruned', 'clusters'];
  const rows = run.layers.map((l) => `<tr>${[cell(l.name), cell(l.kind), cell(String(l.params), true), cell(String(l.bits), true), cell(`${Math.round(l.pruneRatio * 100)}%`, true), cell(l.clusters === 0 ? 'none' : String(l.clusters), true)].join('')}</tr>`);
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function finalTable(run: ReportRun): string {
  const f = run.final;
  if (f === null) return '<p class="note">No final stage (the run stopped early or had <code>--final-steps 0</code>): the chosen strategy is the best search reward, measured with the short fine-tune on validation images only.</p>';
  const s = f.sizes;
  return keyValueTable([
    ['test accuracy', `${pct(f.testAccuracy)} (baseline ${pct(f.baselineTestAccuracy)}, ${((f.testAccuracy - f.baselineTestAccuracy) * 100).toFixed(2)} points)`],
    ['validation accuracy', `${pct(f.validationAccuracy)} (baseline ${pct(run.baselineAccuracy)})`],
    ['model.ashk (packed)', `${s.packed} bytes (${formatBytes(s.packed)}, ${(s.fp32 / s.packed).toFixed(1)}x smaller than fp32)`],
    ['model.ashk, gzip', `${s.packedGzip} bytes (${formatBytes(s.packedGzip)})`],
    ['tfjs directory', s.tfjs === null ? 'not found' : `${s.tfjs} bytes (${formatBytes(s.tfjs)})${f.tfjsTestAccuracy === null ? '' : `, test accuracy ${pct(f.tfjsTestAccuracy)}`}`],
    ['fp32 model', `${s.fp32} bytes (${formatBytes(s.fp32)})`],
    ...(f.latency ? [['latency', latencyText(f.latency)] as [string, unknown]] : []),
    ['final fine-tune', `${f.steps} steps, ${f.seconds.toFixed(1)} s`],
  ]);
}

/** The built model's median beside the original's, timed in the same rounds; the prediction and the budget's verdict. */
function latencyText(l: NonNullable<NonNullable<ReportRun['final']>['latency']>): string {
  const verdict = l.overBudget ? 'OVER THE BUDGET BY MEASUREMENT' : 'within the budget by measurement';
  return `${formatMs(l.measuredMs)} median, ${speedUp(l)} as fast as fp32 (${formatMs(l.fp32Ms)} in the same rounds); predicted ${formatMs(l.predictedMs)}; ${verdict} (${l.backend}, batch ${l.batch})`;
}

const speedUp = (l: ReportLatency) => `${(l.fp32Ms / l.measuredMs).toFixed(2)}x`;

/**
 * What the search bought: the run's pick beside the references (uniform, the knapsack's or the channel plan's
 * strategy) through the same final stage, each with its test accuracy, size and, with a latency budget, its built
 * model's median time and speed-up against the original timed in the same rounds.
 */
function referencesTable(run: ReportRun): string {
  const f = run.final;
  if (!f?.references?.length) return '';
  const timed = f.latency !== undefined;
  const head = ['strategy', 'test acc', 'this run vs it', 'model.ashk', ...(timed ? ['latency (median)', 'speed-up vs fp32'] : [])];
  const row = (name: string, test: number, packed: number, latency: ReportLatency | undefined, change: string) =>
    `<tr>${[
      cell(name),
      cell(pct(test), true),
      cell(change, true),
      cell(`${packed} bytes (${formatBytes(packed)})`, true),
      ...(timed ? [cell(latency ? formatMs(latency.measuredMs) : '-', true), cell(latency ? speedUp(latency) : '-', true)] : []),
    ].join('')}</tr>`;
  const rows = [
    row(`${run.agent} (this run)`, f.testAccuracy, f.sizes.packed, f.latency, ''),
    ...f.references.map((r) => row(r.agent, r.testAccuracy, r.packedBytes, r.latency, points(100 * (f.testAccuracy - r.testAccuracy)))),
  ];
  return `<h3>What the search bought</h3><p class="note">Each strategy through the same final fine-tune of ${f.steps} steps${timed ? '; each built model timed beside the original in the same rounds' : ''}.</p><table class="references"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A change of accuracy in points, signed: -0.35 points, +0.00 points. */
const points = (change: number) => `${change < 0 ? '-' : '+'}${Math.abs(change).toFixed(2)} points`;
// the size wall counts bits / 8, so an estimate may have a fraction of a byte: shown to the byte
const bytes = (n: number) => `${Math.round(n)} bytes (${formatBytes(n)})`;

/**
 * A --goal smallest run in place of a budget: what it asked, the smallest its search found within the episodes'
 * target against the accuracy kept, and after the final its answer, whether the test confirmed it, and the held-out
 * re-scores that chose it.
 */
function smallestSection(run: ReportRun): string {
  const s = run.smallest;
  if (!s) return '';
  const asked = `the smallest model.ashk within ${s.maxDrop} points of the baseline, judged on held-out images and confirmed once on test; the episodes aim within ${s.episodeDrop} points (a short episode loses far more than the final); ${s.capped ? `proposals capped at --budget ${s.wall}` : `the ${s.wall} wall binds no setting`}`;
  const found = !s.baseline
    ? 'not shown: the run stored no baseline (made before autoshrink stored one)'
    : s.found
      ? `episode ${s.found.episode + 1}: est. ${bytes(s.found.cost)}, ${(s.baseline.full / s.found.cost).toFixed(1)}x smaller than fp32 (${formatBytes(s.baseline.full)}); validation ${pct(s.found.accuracy)} against ${pct(s.baseline.accuracy)}, ${points(100 * (s.found.accuracy - s.baseline.accuracy))}; ${s.within} of ${run.episodes.length} episodes within ${s.episodeDrop} points`
      : `none of ${run.episodes.length} episodes within ${s.episodeDrop} points of ${pct(s.baseline.accuracy)}`;
  const rows: Array<[string, unknown]> = [['asked', asked], ['search found (size at fixed width)', found]];
  const c = s.choice;
  const f = run.final;
  if (c && f) {
    const verdict = c.confirmed ? `confirmed within ${s.maxDrop} points` : `NOT confirmed: the test drop exceeds ${s.maxDrop} points (reported as is; the pick is not re-chosen)`;
    rows.push(
      ['answer', `model.ashk ${bytes(f.sizes.packed)}, ${(f.sizes.fp32 / f.sizes.packed).toFixed(1)}x smaller than fp32; test ${pct(f.testAccuracy)} against ${pct(f.baselineTestAccuracy)}, ${points(-c.testDrop)}`],
      ['on test', verdict],
      ['held-out choice', `${c.rows.length} of ${c.screened} strategies re-scored on the ${c.heldOut.images} ${c.heldOut.split} images (baseline ${pct(c.heldOut.baseline)})${c.met ? '' : `; none stayed within ${s.maxDrop} points: the closest is the answer, and it misses the drop`}`],
    );
  } else {
    rows.push(['answer', 'none yet: the final stage has not run']);
  }
  const head = ['', 'episode', 'est. size', 'held-out accuracy', 'change', ''];
  const table = c?.rows.length
    ? `<table class="smallest-rows"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${c.rows
        .map((r) => `<tr>${[cell(r.chosen ? 'answer' : ''), cell(String(r.episode + 1), true), cell(bytes(r.bytes), true), cell(pct(r.heldOutAccuracy), true), cell(points(100 * (r.heldOutAccuracy - c.heldOut.baseline)), true), cell(r.withinDrop ? 'within' : 'over')].join('')}</tr>`)
        .join('')}</tbody></table>`
    : '';
  return `<h3>Smallest within ${s.maxDrop} points</h3>${keyValueTable(rows)}${table}`;
}

/** The config as a compact list in columns; with several runs, the keys whose values differ between them are marked. */
function configList(run: ReportRun, differs: ReadonlySet<string>): string {
  const items = Object.entries(run.config).map(([k, v]) => `<div${differs.has(k) ? ' class="differs"' : ''}><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(valueText(v))}</dd></div>`);
  return `<dl class="config">${items.join('')}</dl>`;
}

/** Config keys whose values are not the same in every run. */
function differingKeys(runs: readonly ReportRun[]): Set<string> {
  const keys = new Set(runs.flatMap((r) => Object.keys(r.config)));
  return new Set([...keys].filter((k) => new Set(runs.map((r) => JSON.stringify(r.config[k]))).size > 1));
}

function runSection(run: ReportRun, differs: ReadonlySet<string>): string {
  return [
    `<section class="run" id="run-${escapeHtml(run.id)}">`,
    `<h2>Run ${escapeHtml(run.id)}</h2>`,
    `<h3>Final results</h3>${finalTable(run)}`,
    referencesTable(run),
    smallestSection(run),
    `<h3>Chosen strategy (episode ${run.chosen.episode + 1}, by ${run.chosen.by})</h3>${layersTable(run)}`,
    `<h3>Provenance</h3>${keyValueTable(Object.entries(run.provenance))}`,
    `<h3>Config</h3>${differs.size ? '<p class="note">Marked: what differs between the runs of this report.</p>' : ''}${configList(run, differs)}`,
    '</section>',
  ].join('\n');
}

export function reportPage({ runs, charts, generated, madeWith }: PageInput): string {
  const title = `autoshrink report: ${runs.map((r) => r.id).join(', ')}`;
  const figures = charts.map((c) => `<figure class="chart" id="chart-${escapeHtml(c.id)}">\n${c.svg}\n<figcaption>${escapeHtml(c.caption)}</figcaption>\n</figure>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>autoshrink report</h1>
<p class="note">${runs.length === 1 ? 'One run' : `${runs.length} runs`}: ${runs.map((r) => `${escapeHtml(r.model)} on ${escapeHtml(r.dataset)}, ${escapeHtml(r.label)}`).join('; ')}.</p>
${summaryTable(runs)}
${figures.join('\n')}
${runs.map((r) => runSection(r, differingKeys(runs))).join('\n')}
<footer>Made ${escapeHtml(generated)} with ${escapeHtml(madeWith)}. Self-contained: no script, nothing loaded from the network.</footer>
</body>
</html>
`;
}
