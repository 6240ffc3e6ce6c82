/**
 * The final results of the runs that had a final stage: test accuracy against the baseline's (a dot plot, so a
 * difference of a tenth of a point stays visible), and the real file sizes (bars: the packed model.ashk, its gzip,
 * the tfjs directory, the fp32 model). Marks are named `final_accuracy_points` (per run: baseline,
 * model.ashk, and the tfjs export when it was tested) and `final_sizes_bars` (one per file and run).
 */
import type { TopLevelSpec } from 'vega-lite';
import { formatBytes } from '../units.js';
import { CONFIG, runColor, SCHEMA } from './theme.js';
import type { ReportRun } from './types.js';

/** The spec, or null when no run had a final stage. */
const MODELS = ['baseline (fp32)', 'model.ashk', 'tfjs export'];

/** What the chart reads of a run. */
export type FinalRun = Pick<ReportRun, 'label' | 'final'>;

export function finalSpec(runs: readonly FinalRun[]): TopLevelSpec | null {
  const finished = runs.filter((r) => r.final !== null);
  if (finished.length === 0) return null;
  const accuracy = finished.flatMap((r) => [
    { run: r.label, model: 'baseline (fp32)', accuracy: r.final!.baselineTestAccuracy },
    { run: r.label, model: 'model.ashk', accuracy: r.final!.testAccuracy },
    ...(r.final!.tfjsTestAccuracy === null ? [] : [{ run: r.label, model: 'tfjs export', accuracy: r.final!.tfjsTestAccuracy }]),
  ]);
  const files = [
    ['model.ashk (packed)', (s: NonNullable<FinalRun['final']>['sizes']) => s.packed],
    ['model.ashk, gzip', (s: NonNullable<FinalRun['final']>['sizes']) => s.packedGzip],
    ['tfjs directory', (s: NonNullable<FinalRun['final']>['sizes']) => s.tfjs],
    ['fp32 model', (s: NonNullable<FinalRun['final']>['sizes']) => s.fp32],
  ] as const;
  const sizes = finished.flatMap((r) =>
    files
      .map(([file, get]) => ({ run: r.label, file, bytes: get(r.final!.sizes), fp32: r.final!.sizes.fp32 }))
      .filter((s): s is typeof s & { bytes: number } => s.bytes !== null)
      .map((s) => ({ ...s, kB: s.bytes / 1000, label: `${formatBytes(s.bytes)}${!s.file.startsWith('model.ashk') ? '' : `, ${(s.fp32 / s.bytes).toFixed(1)}x smaller`}` })),
  );
  const labels = finished.map((r) => r.label);
  const several = finished.length > 1;
  const color = runColor(runs.map((r) => r.label));
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: 'Final results', subtitle: 'the chosen strategy after the final fine-tune, on the test split' },
    vconcat: [
      {
        name: 'final_accuracy',
        width: 480,
        height: { step: 26 },
        data: { values: accuracy },
        layer: [
          {
            name: 'final_accuracy_range',
            mark: { type: 'rule', color: '#bbb' },
            encoding: { y: { field: 'run', type: 'nominal', title: null, sort: labels, axis: several ? {} : null }, x: { aggregate: 'min', field: 'accuracy' }, x2: { aggregate: 'max', field: 'accuracy' } },
          },
          {
            name: 'final_accuracy_points',
            mark: { type: 'point', filled: true, size: 120 },
            encoding: {
              y: { field: 'run', type: 'nominal', sort: labels },
              x: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', axis: { format: '.2~%' }, scale: { zero: false, nice: true, padding: 20 } },
              shape: { field: 'model', type: 'nominal', title: null, scale: { domain: MODELS, range: ['circle', 'diamond', 'square'] }, legend: { orient: 'right', direction: 'vertical' } },
              color: { field: 'model', type: 'nominal', title: null, scale: { domain: MODELS, range: ['#888', '#c0392b', '#4e79a7'] }, legend: { orient: 'right', direction: 'vertical' } },
              tooltip: [{ field: 'run' }, { field: 'model' }, { field: 'accuracy', format: '.2%' }],
            },
          },
        ],
      },
      {
        name: 'final_sizes',
        width: 480,
        height: { step: several ? 12 : 22 },
        data: { values: sizes },
        layer: [
          {
            name: 'final_sizes_bars',
            mark: { type: 'bar' },
            encoding: {
              y: { field: 'file', type: 'nominal', title: null, sort: files.map(([f]) => f) },
              x: { field: 'kB', type: 'quantitative', title: 'file size (kB)' },
              ...(several ? { yOffset: { field: 'run', type: 'nominal', scale: { domain: labels } }, color } : { color: { value: '#4e79a7' } }),
              tooltip: [{ field: 'run' }, { field: 'file' }, { field: 'bytes', format: ',' }],
            },
          },
          {
            name: 'final_sizes_labels',
            mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333' },
            encoding: {
              y: { field: 'file', type: 'nominal', sort: files.map(([f]) => f) },
              x: { field: 'kB', type: 'quantitative' },
              text: { field: 'label' },
              ...(several ? { yOffset: { field: 'run', type: 'nominal', scale: { domain: labels } } } : {}),
            },
          },
        ],
      },
    ],
    resolve: { scale: { color: 'independent', shape: 'independent' } },
  } as TopLevelSpec;
}
