/** The chart functions on data written by hand (no search): what they draw and what they refuse. */
import test from 'ava';
import { buildReport, reportSpecs } from '../../report/report.js';
import { renderSvg } from '../../report/render.js';
import { layersSpec } from '../../report/layers-chart.js';
import { finalSpec } from '../../report/final-chart.js';
import { stackSvgs } from '../../report/png.js';
import type { ReportRun } from '../../report/types.js';
import { markGroup } from './svg-marks.js';

function run(over: Partial<ReportRun> = {}): ReportRun {
  const episodes = [0, 1, 2].map((episode) => ({ episode, phase: episode === 0 ? 'warmup' : 'learning', accuracy: 0.9 + episode / 100, cost: 1000 + 100 * episode, reward: 0.9 + episode / 100 }));
  return {
    id: 'r1', label: 'ddpg, seed 1', agent: 'ddpg', seed: 1, model: 'mlp', dataset: 'mnist', status: 'completed',
    budget: { kind: 'size', limit: 1500, label: 'size <= 1.5 kB' }, baselineAccuracy: 0.95, episodes,
    chosen: { episode: 2, accuracy: 0.92, cost: 1200, by: 'best reward' },
    layers: [{ name: 'fc1', kind: 'dense', params: 100, bits: 4, pruneRatio: 0.5, clusters: 8 }, { name: 'fc2', kind: 'dense', params: 10, bits: 8, pruneRatio: 0, clusters: 0 }],
    knobs: ['bits', 'prune', 'clusters'], final: null, config: { episodes: 3 }, provenance: { run: 'r1' },
    ...over,
  };
}

test('the layer chart draws a clusters row when the search set clusters, and none when it did not and no layer uses them', async (t) => {
  t.is(markGroup(await renderSvg(layersSpec([run()])), 'layer_clusters_bars')?.items.length, 2);
  const noClusters = run({ knobs: ['bits'], layers: run().layers.map((l) => ({ ...l, clusters: 0 })) });
  t.is(markGroup(await renderSvg(layersSpec([noClusters])), 'layer_clusters_bars'), null);
});

test('without a final stage there is no final chart, and the page says why', async (t) => {
  t.is(finalSpec([run()]), null);
  t.deepEqual(reportSpecs([run()]).map((c) => c.id), ['pareto', 'reward', 'layers']);
  t.regex((await buildReport([run()], { generated: 'now' })).html, /No final stage/);
});

test('runs that count cost differently, a run without episodes, or a label twice are refused with a message', (t) => {
  t.throws(() => reportSpecs([run(), run({ id: 'r2', label: 'b', budget: { kind: 'flops', limit: 1, label: '' } })]), { message: /size, flops budgets/ });
  t.throws(() => reportSpecs([run({ episodes: [] })]), { message: /no finished episode/ });
  t.throws(() => reportSpecs([run(), run({ id: 'r2' })]), { message: /label 'ddpg, seed 1'/ });
  t.throws(() => reportSpecs([]), { message: /at least one run/ });
});

test('text from the store is escaped in the page: a config value "<script>" stays text', async (t) => {
  const { html } = await buildReport([run({ config: { model: '<script>alert(1)</script>' } })], { generated: 'now' });
  t.false(html.includes('<script>'));
  t.true(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
});

test('a FLOPs budget is drawn in multiply-accumulates: costs up to 2.4 million MACs on an axis in M', async (t) => {
  const flops = run({ budget: { kind: 'flops', limit: 2_400_000, label: 'flops <= 2.4M' }, episodes: run().episodes.map((e) => ({ ...e, cost: e.cost * 1000 })) });
  const svg = (await buildReport([flops], { generated: 'now' })).charts[0].svg;
  t.true(svg.includes('multiply-accumulates after pruning (M)'));
});

test('stacked SVGs sit one under the other: heights 100 and 50 with a 16 px gap make 166', (t) => {
  const svg = (w: number, h: number) => `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect/></svg>`;
  const stacked = stackSvgs([svg(300, 100), svg(200, 50)]);
  t.regex(stacked, /^<svg [^>]*width="300" height="166"/);
  t.true(stacked.includes('<svg x="0" y="0" xmlns') && stacked.includes('<svg x="0" y="116" xmlns'));
});
