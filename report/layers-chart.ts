/**
 * The chosen strategy per layer, as HAQ draws it: one row of bars per knob the search set (bits, prune ratio,
 * clusters) under a row of the layers' sizes (weights in the kernel), layers in model order, one colour per run (runs
 * side by side within a layer). Bars are named `layer_<row>_bars` (rows: params, bits, prune,
 * clusters), so the SVG's groups carry `layer_<row>_bars_marks`.
 */
import type { TopLevelSpec } from 'vega-lite';
import { formatCount } from '../units.js';
import { CONFIG, runColor, SCHEMA, WIDTH } from './theme.js';
import type { ReportRun } from './types.js';

interface Row {
  name: string;
  field: 'params' | 'bits' | 'pruneRatio' | 'clusters';
  title: string;
  format: string;
  label: (v: number) => string;
}

const ROWS: Row[] = [
  { name: 'params', field: 'params', title: 'weights', format: '~s', label: formatCount },
  { name: 'bits', field: 'bits', title: 'bits', format: 'd', label: (v) => String(v) },
  { name: 'prune', field: 'pruneRatio', title: 'pruned', format: '.0%', label: (v) => `${Math.round(v * 100)}%` },
  { name: 'clusters', field: 'clusters', title: 'clusters', format: 'd', label: (v) => (v === 0 ? 'none' : String(v)) },
];

/** Which rows to draw: the sizes always, each knob when a run searched it or its strategy uses it. */
function rowsFor(runs: readonly LayersRun[]): Row[] {
  const knobs = new Set(runs.flatMap((r) => r.knobs));
  const used = (f: Row['field']) => runs.some((r) => r.layers.some((l) => (f === 'pruneRatio' ? l.pruneRatio > 0 : f === 'clusters' ? l.clusters > 0 : true)));
  return ROWS.filter((row) => row.name === 'params' || knobs.has(row.name) || used(row.field));
}

/** What the chart reads of a run. */
export type LayersRun = Pick<ReportRun, 'label' | 'layers' | 'knobs'>;

export function layersSpec(runs: readonly LayersRun[]): TopLevelSpec {
  const order = [...new Set(runs.flatMap((r) => r.layers.map((l) => l.name)))];
  const values = runs.flatMap((r) => r.layers.map((l) => ({ run: r.label, layer: l.name, kind: l.kind, params: l.params, bits: l.bits, pruneRatio: l.pruneRatio, clusters: l.clusters })));
  const rows = rowsFor(runs);
  const several = runs.length > 1;
  const color = runColor(runs.map((r) => r.label));
  const offset = { xOffset: { field: 'run', type: 'nominal', scale: { domain: runs.map((r) => r.label) } } };
  const labelled = (v: (typeof values)[number]) => ({ ...v, ...Object.fromEntries(rows.map((row) => [`${row.name}Label`, row.label(v[row.field])])) });
  // a layer's size is the model's, not the run's: drawn once, in grey (the first run that has the layer names it)
  const sizes = order.map((name) => values.find((v) => v.layer === name)!);
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: 'The chosen strategy per layer', subtitle: 'layers in model order; weights: the size of each kernel' },
    vconcat: rows.map((row, i) => {
      const perRun = row.name !== 'params';
      return {
        name: `layer_${row.name}`,
        width: WIDTH,
        height: 90,
        data: { values: (perRun ? values : sizes).map(labelled) },
        layer: [
          {
            name: `layer_${row.name}_bars`,
            mark: { type: 'bar', ...(perRun ? {} : { color: '#8c8c8c' }) },
            encoding: {
              x: { field: 'layer', type: 'nominal', sort: order, title: i === rows.length - 1 ? 'layer' : null, axis: { labelAngle: 0, labels: i === rows.length - 1 } },
              y: { field: row.field, type: 'quantitative', title: row.title, axis: { format: row.format, tickCount: 3 } },
              ...(perRun ? { color, ...(several ? offset : {}) } : {}),
              tooltip: perRun
                ? [{ field: 'run' }, { field: 'layer' }, { field: 'bits' }, { field: 'pruneRatio', format: '.0%' }, { field: 'clusters' }]
                : [{ field: 'layer' }, { field: 'kind' }, { field: 'params', title: 'weights', format: ',' }],
            },
          },
          {
            name: `layer_${row.name}_labels`,
            mark: { type: 'text', dy: -4, baseline: 'bottom', fontSize: 10, color: '#333' },
            encoding: {
              x: { field: 'layer', type: 'nominal', sort: order },
              y: { field: row.field, type: 'quantitative' },
              text: { field: `${row.name}Label` },
              ...(perRun && several ? offset : {}),
            },
          },
        ],
      };
    }),
  } as TopLevelSpec;
}
