/**
 * Reward by episode: every episode's reward as a dot, the best so far as a staircase, the random warm-up shaded, one
 * colour per run. As TensorBoard draws a training curve, with AMC/HAQ's warm-up made visible. Layers are named
 * (`warmup`, `reward`, `best`) so the SVG's groups carry `<name>_marks`.
 */
import type { TopLevelSpec } from 'vega-lite';
import { bestSoFar, warmupLength } from './pareto.js';
import { CONFIG, runColor, SCHEMA, WIDTH } from './theme.js';
import type { ReportRun } from './types.js';

/** What the chart reads of a run: its label and its episodes' rewards and phases. */
export type RewardRun = Pick<ReportRun, 'label'> & { episodes: ReadonlyArray<Pick<ReportRun['episodes'][number], 'episode' | 'phase' | 'reward'>> };

export interface RewardChartOptions {
  title?: string;
  subtitle?: string[];
  /** The y axis title (default 'reward'). */
  yTitle?: string;
  /** The legend's title (default 'run'). */
  legendTitle?: string;
}

export function rewardSpec(runs: readonly RewardRun[], { title = 'Reward by episode', subtitle = ['dots: each episode · line: the best so far', 'shaded: random warm-up'], yTitle = 'reward', legendTitle = 'run' }: RewardChartOptions = {}): TopLevelSpec {
  const rewards = runs.flatMap((r) => r.episodes.map((e) => ({ run: r.label, episode: e.episode + 1, reward: e.reward, phase: e.phase })));
  const best = runs.flatMap((r) => {
    const curve = bestSoFar(r.episodes.map((e) => e.reward));
    return r.episodes.map((e, i) => ({ run: r.label, episode: e.episode + 1, best: curve[i] }));
  });
  // episodes are drawn at 1..n: warm-up episode k covers [k - 0.5, k + 0.5]
  const warmups = runs
    .map((r) => ({ run: r.label, start: 0.5, end: warmupLength(r.episodes.map((e) => e.phase)) + 0.5 }))
    .filter((w) => w.end > 0.5);
  const warmupEnds = [...new Map(warmups.map((w) => [w.end, w])).values()];
  const episodes = Math.max(1, ...runs.map((r) => r.episodes.length));
  const x = { field: 'episode', type: 'quantitative' as const, title: 'episode', scale: { domain: [0.5, episodes + 0.5], nice: false }, axis: { format: 'd', tickMinStep: 1 } };
  const color = runColor(runs.map((r) => r.label), legendTitle);
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: title, subtitle },
    width: WIDTH,
    height: 260,
    layer: [
      { name: 'warmup', data: { values: warmupEnds }, mark: { type: 'rect', color: '#999', opacity: 0.15 }, encoding: { x: { ...x, field: 'start' }, x2: { field: 'end' } } },
      {
        name: 'warmup_label',
        data: { values: warmupEnds },
        mark: { type: 'text', color: '#666', align: 'left', baseline: 'bottom', dx: 4, dy: -4, text: 'warm-up' },
        encoding: { x: { ...x, field: 'start' }, y: { value: { expr: 'height' } } },
      },
      {
        name: 'reward',
        data: { values: rewards },
        mark: { type: 'point', filled: true, opacity: 0.6, size: 30 },
        encoding: {
          x,
          y: { field: 'reward', type: 'quantitative', title: yTitle, scale: { zero: false, nice: true, padding: 10 } },
          color,
          tooltip: [{ field: 'run' }, { field: 'episode' }, { field: 'phase' }, { field: 'reward', format: '.4f' }],
        },
      },
      {
        name: 'best',
        data: { values: best },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: { x, y: { field: 'best', type: 'quantitative', title: yTitle }, color, order: { field: 'episode', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}
