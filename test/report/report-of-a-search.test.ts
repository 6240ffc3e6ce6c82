/**
 * The report of real runs, read back from its SVG: two short searches on the tiny mlp (ddpg with a final stage,
 * random search without one) in one temp work directory, reported alone and side by side.
 */
import test from 'ava';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readReportRuns } from '../../run/report-data.js';
import { dominates, paretoFront } from '../../report/pareto.js';
import { buildReport, type Report } from '../../report/report.js';
import { WIDTH } from '../../report/theme.js';
import type { ReportRun } from '../../report/types.js';
import { markGroup, positions } from './svg-marks.js';
import { removeDir, tinyWorkdir } from '../helpers/tiny-run.js';
import { REPORT_RUN, tinySearch } from './tiny-search.js';

let workdir = '';
let ddpg: ReportRun;
let random: ReportRun;
let alone: Report;
let both: Report;
test.before(async () => {
  workdir = await tinyWorkdir('report');
  const a = await tinySearch(workdir);
  const b = await tinySearch(workdir, { agent: 'random', seed: 2 }, { final: false });
  [ddpg, random] = await readReportRuns(workdir, [a, b.slice(0, 16)]);
  alone = await buildReport([ddpg], { generated: '2026-11-30T00:00:00Z' });
  both = await buildReport([ddpg, random], { generated: '2026-11-30T00:00:00Z' });
});
test.after.always(() => removeDir(workdir));

const svgOf = (report: Report, id: string) => report.charts.find((c) => c.id === id)!.svg;
const EPISODES = REPORT_RUN.episodes!;

test('the episode chart draws one dot per episode, and rings exactly the non-dominated ones as the Pareto front', (t) => {
  const svg = svgOf(alone, 'pareto');
  const dots = positions(markGroup(svg, 'episodes'));
  const front = positions(markGroup(svg, 'front_points'));
  t.is(dots.length, EPISODES);
  t.is(front.length, paretoFront(ddpg.episodes).length);
  // in pixels: x grows with cost, y shrinks as accuracy grows, so (cost, accuracy) = (x, -y)
  const asPoint = ({ x, y }: { x: number; y: number }) => ({ cost: x, accuracy: -y });
  const near = (a: { x: number; y: number }, b: { x: number; y: number }) => Math.abs(a.x - b.x) < 0.01 && Math.abs(a.y - b.y) < 0.01;
  for (const f of front) {
    t.true(dots.some((d) => near(d, f)), 'a front ring sits on an episode dot');
    t.false(dots.some((d) => dominates(asPoint(d), asPoint(f))), `no episode dominates the front point at ${f.x},${f.y}`);
  }
  for (const d of dots.filter((d) => !front.some((f) => near(f, d)))) t.true(front.some((f) => dominates(asPoint(f), asPoint(d))), 'every dot off the front is dominated by one on it');
  t.is(markGroup(svg, 'front')!.items.length, 1, 'one staircase for one run');
});

test('the chosen strategy is one diamond on an episode dot, and every dot lies left of the budget line', (t) => {
  const svg = svgOf(alone, 'pareto');
  const dots = positions(markGroup(svg, 'episodes'));
  const chosen = positions(markGroup(svg, 'chosen'));
  t.is(chosen.length, 1);
  t.true(dots.some((d) => Math.abs(d.x - chosen[0].x) < 0.01 && Math.abs(d.y - chosen[0].y) < 0.01));
  t.is(ddpg.chosen.by, 'final stage');
  const budget = positions(markGroup(svg, 'budget'));
  t.is(budget.length, 1);
  const { x } = budget[0];
  for (const d of dots) t.true(d.x <= x + 0.01, `dot at ${d.x} beyond the budget at ${x}`);
});

test(`the reward chart draws one dot per episode, one best-so-far line, and shades 2 of 6 episodes: ${WIDTH} * 2/6 = 186.67 px`, (t) => {
  const svg = svgOf(alone, 'reward');
  t.is(markGroup(svg, 'reward')!.items.length, EPISODES);
  t.is(markGroup(svg, 'best')!.items.length, 1);
  const shade = markGroup(svg, 'warmup')!.items;
  t.is(shade.length, 1);
  const width = Number(/d="M[-\d.]+,[-\d.]+h([\d.]+)/.exec(shade[0])?.[1]);
  t.true(Math.abs(width - (WIDTH * 2) / 6) < 0.01, `warm-up shade ${width} px wide`);
});

test('the layer chart draws a bar per layer for sizes, bits and prune ratio; the sizes are the mlp kernels 784x300, 300x100, 100x10', (t) => {
  t.deepEqual(ddpg.layers.map((l) => l.params), [784 * 300, 300 * 100, 100 * 10]);
  const svg = svgOf(alone, 'layers');
  for (const row of ['params', 'bits', 'prune']) t.is(markGroup(svg, `layer_${row}_bars`)?.items.length, 3, row);
  t.is(markGroup(svg, 'layer_clusters_bars'), null, 'clusters were not searched');
});

test('the final results set test accuracy of model.ashk and the tfjs export against the baseline, and show the four real file sizes', (t) => {
  const svg = svgOf(alone, 'final');
  t.is(typeof ddpg.final!.tfjsTestAccuracy, 'number');
  t.is(markGroup(svg, 'final_accuracy_points')!.items.length, 3);
  t.is(markGroup(svg, 'final_sizes_bars')!.items.length, 4);
  const final = ddpg.final!;
  const tfjsDir = join(workdir, 'runs', ddpg.id, 'tfjs');
  t.is(final.sizes.tfjs, readdirSync(tfjsDir).reduce((s, f) => s + statSync(join(tfjsDir, f)).size, 0));
  t.true(final.sizes.packed < final.sizes.fp32);
});

test('two runs side by side: one colour each, dots of both, labelled by agent and seed; the one without a final stage shows its best episode', (t) => {
  t.deepEqual([ddpg.label, random.label], ['ddpg, seed 1', 'random, seed 2']);
  t.is(random.final, null);
  t.is(random.chosen.by, 'best reward');
  t.is(random.layers.length, 3, 'layer sizes come from the model when no final stage stored them');
  const svg = svgOf(both, 'pareto');
  const dots = markGroup(svg, 'episodes')!.items;
  t.is(dots.length, 2 * EPISODES);
  t.is(new Set(dots.map((d) => /fill="([^"]+)"/.exec(d)?.[1])).size, 2);
  t.is(markGroup(svg, 'chosen')!.items.length, 2);
  t.true(svg.includes('random, seed 2') && svg.includes('ddpg, seed 1'), 'the legend names both');
  t.is(markGroup(svgOf(both, 'layers'), 'layer_bits_bars')!.items.length, 2 * 3);
  t.is(markGroup(svgOf(both, 'layers'), 'layer_params_bars')!.items.length, 3, "a layer's size is the model's: drawn once");
  t.is(markGroup(svgOf(both, 'final'), 'final_accuracy_points')!.items.length, 3, 'only the finished run has final results');
});

test('the page is self-contained: inline SVG and CSS, no script, nothing to fetch', (t) => {
  for (const { html } of [alone, both]) {
    t.is((html.match(/<svg\b/g) ?? []).length >= 4, true);
    t.false(/<script|<link|<img|<iframe|\ssrc=|@import|url\(/i.test(html));
    t.true(html.includes(ddpg.id));
  }
});
