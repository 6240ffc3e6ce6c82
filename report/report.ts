/**
 * A report of one or several runs: the charts' specs, rendered to SVG, on one HTML page. The charts of a comparison
 * share their axes, so every run must count cost the same way (one budget kind).
 */
import { version as vegaVersion } from 'vega';
import { type TopLevelSpec, version as vegaLiteVersion } from 'vega-lite';
import { ConfigError } from '../errors.js';
import { finalSpec } from './final-chart.js';
import { layersSpec } from './layers-chart.js';
import { type RenderedChart, reportPage } from './page.js';
import { paretoSpec } from './pareto-chart.js';
import { renderSvg } from './render.js';
import { rewardSpec } from './reward-chart.js';
import type { ReportRun } from './types.js';

export interface ChartSpec {
  id: 'pareto' | 'reward' | 'layers' | 'final';
  caption: string;
  spec: TopLevelSpec;
}

export interface Report {
  html: string;
  charts: Array<ChartSpec & RenderedChart>;
}

/** Refuses what cannot share one set of charts: no run, a run without episodes, two budget kinds, a repeated label. */
function check(runs: readonly ReportRun[]): void {
  if (runs.length === 0) throw new ConfigError('a report needs at least one run');
  const empty = runs.find((r) => r.episodes.length === 0);
  if (empty) throw new ConfigError(`run ${empty.id} has no finished episode yet; nothing to draw`);
  const kinds = [...new Set(runs.map((r) => r.budget.kind))];
  if (kinds.length > 1) throw new ConfigError(`the runs count cost differently (${kinds.join(', ')} budgets); report them separately`);
  const labels = runs.map((r) => r.label);
  const repeated = labels.find((l, i) => labels.indexOf(l) !== i);
  if (repeated !== undefined) throw new ConfigError(`two runs have the label '${repeated}'; name each run once`);
}

/** The charts' Vega-Lite specs, in page order (the final results only when a run has them). */
export function reportSpecs(runs: readonly ReportRun[]): ChartSpec[] {
  check(runs);
  const final = finalSpec(runs);
  return [
    { id: 'pareto', caption: 'Each episode as validation accuracy (after the short fine-tune) against its cost; the Pareto front joins the episodes no other one beats on both.', spec: paretoSpec(runs) },
    { id: 'reward', caption: 'Reward of each episode and the best so far; the shaded episodes are the random warm-up before the agent acts.', spec: rewardSpec(runs) },
    { id: 'layers', caption: 'The chosen strategy per layer, under the size of each layer (weights in its kernel).', spec: layersSpec(runs) },
    ...(final ? [{ id: 'final' as const, caption: 'Test accuracy of the chosen strategy after the final fine-tune against the uncompressed model, and the real file sizes.', spec: final }] : []),
  ];
}

/** The page and its charts (specs and SVGs), for runs already read. `generated` is the date the footer shows. */
export async function buildReport(runs: readonly ReportRun[], { generated, madeWith = 'autoshrink' }: { generated: string; madeWith?: string }): Promise<Report> {
  const charts = [];
  for (const c of reportSpecs(runs)) charts.push({ ...c, svg: await renderSvg(c.spec) });
  const html = reportPage({ runs, charts, generated, madeWith: `${madeWith}, Vega-Lite ${vegaLiteVersion}, Vega ${vegaVersion}` });
  return { html, charts };
}
