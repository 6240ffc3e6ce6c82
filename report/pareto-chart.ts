/**
 * Every episode as a point of cost against validation accuracy, one colour per run; each run's Pareto front as a
 * staircase through its non-dominated points (ringed); the chosen strategy as a diamond; the budget as a dashed
 * vertical line (none for a --goal smallest run without a size cap: its wall binds no setting) and the baseline's
 * validation accuracy as a dotted horizontal one. As HAQ and AMC plot their searches, and as NNI's web UI plots trials.
 *
 * The layers are named (`episodes`, `front`, `front_points`, `chosen`, `budget`, `baseline`), so the rendered SVG's
 * groups carry the class `<name>_marks` and a test can count them.
 */
import type { TopLevelSpec } from 'vega-lite';
import { paretoFront } from './pareto.js';
import { CONFIG, costUnit, runColor, SCHEMA, WIDTH } from './theme.js';
import type { ReportRun } from './types.js';

/** What the chart reads of a run. */
export type ParetoRun = Pick<ReportRun, 'label' | 'budget' | 'baselineAccuracy' | 'episodes' | 'chosen' | 'smallest'>;

export function paretoSpec(runs: readonly ParetoRun[]): TopLevelSpec {
  const kind = runs[0].budget.kind;
  // the size wall of a --goal smallest run without a cap binds no setting: no budget line (it would stretch the axis)
  const walled = runs.filter((r) => !r.smallest || r.smallest.capped);
  const max = Math.max(...runs.flatMap((r) => [...(walled.includes(r) ? [r.budget.limit] : []), ...r.episodes.map((e) => e.cost)]));
  const unit = costUnit(kind, max);
  const point = (r: ParetoRun, e: { episode: number; cost: number; accuracy: number; phase?: string; reward?: number }) => ({
    run: r.label,
    episode: e.episode + 1,
    cost: e.cost / unit.divisor,
    accuracy: e.accuracy,
    ...(e.phase === undefined ? {} : { phase: e.phase }),
    ...(e.reward === undefined ? {} : { reward: e.reward }),
  });
  const episodes = runs.flatMap((r) => r.episodes.map((e) => point(r, e)));
  const front = runs.flatMap((r) => paretoFront(r.episodes).map((e) => point(r, e)));
  const chosen = runs.map((r) => point(r, r.chosen));
  const budgets = [...new Set(walled.map((r) => r.budget.limit))].map((limit) => ({ cost: limit / unit.divisor }));
  const baselines = [...new Set(runs.map((r) => r.baselineAccuracy))].map((accuracy) => ({ accuracy }));

  const x = { field: 'cost', type: 'quantitative' as const, title: unit.title, scale: { zero: false, nice: true, padding: 12 } };
  const y = { field: 'accuracy', type: 'quantitative' as const, title: 'validation accuracy', axis: { format: '.2~%' }, scale: { zero: false, nice: true, padding: 12 } };
  const color = runColor(runs.map((r) => r.label));
  const tooltip = [
    { field: 'run', type: 'nominal' as const },
    { field: 'episode', type: 'quantitative' as const },
    { field: 'cost', type: 'quantitative' as const, title: unit.title, format: '.3~f' },
    { field: 'accuracy', type: 'quantitative' as const, format: '.2%' },
  ];
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'Episodes: cost against validation accuracy',
      // vega sizes text without a canvas by estimate (0.8 em a character): short lines keep the chart its width
      subtitle: ['dots: episodes · rings, steps: the Pareto front', 'diamond: chosen · dashed: budget · dotted: baseline'],
    },
    width: WIDTH,
    height: 340,
    layer: [
      { name: 'baseline', data: { values: baselines }, mark: { type: 'rule', color: '#777', strokeDash: [2, 3] }, encoding: { y } },
      { name: 'budget', data: { values: budgets }, mark: { type: 'rule', color: '#c0392b', strokeDash: [6, 4], strokeWidth: 1.5 }, encoding: { x } },
      {
        name: 'budget_label',
        data: { values: budgets },
        mark: { type: 'text', color: '#c0392b', align: 'right', baseline: 'top', dx: -4, dy: 4, text: 'budget' },
        encoding: { x, y: { value: 0 } },
      },
      { name: 'episodes', data: { values: episodes }, mark: { type: 'point', filled: true, opacity: 0.55, size: 36 }, encoding: { x, y, color, tooltip: [...tooltip, { field: 'phase', type: 'nominal' }, { field: 'reward', type: 'quantitative', format: '.4f' }] } },
      { name: 'front', data: { values: front }, mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 }, encoding: { x, y, color, order: { field: 'cost', type: 'quantitative' } } },
      { name: 'front_points', data: { values: front }, mark: { type: 'point', filled: false, size: 90, strokeWidth: 1.5 }, encoding: { x, y, color, tooltip } },
      { name: 'chosen', data: { values: chosen }, mark: { type: 'point', shape: 'diamond', filled: true, size: 260, stroke: 'black', strokeWidth: 1.5 }, encoding: { x, y, color, tooltip } },
    ],
  } as TopLevelSpec;
}
