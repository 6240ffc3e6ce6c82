import { plot } from 'asciichart';
import { Box, Text } from 'ink';
import { clip } from './format.js';
import { type ViewState, accuracySeries, rewardSeries } from './state.js';

export type ChartSeries = 'reward' | 'accuracy';

/** Width of the value labels left of the axis, e.g. ` 0.9745` or ` 97.45%`. */
const LABEL_WIDTH = 7;

/** Widest step one episode gets when there are few, so an early chart is not a thin line at the left edge. */
const MAX_STEP = 4;

/**
 * About `columns` points: a long series is averaged down (`downsample`); a short one repeats each episode's value up
 * to `MAX_STEP` times, drawing a step per episode.
 */
export function fitSeries(series: readonly number[], columns: number): number[] {
  if (series.length > columns || series.length < 2) return downsample(series, columns);
  const step = Math.min(MAX_STEP, Math.floor(columns / series.length));
  return series.flatMap((value) => Array<number>(step).fill(value));
}

/**
 * At most `columns` points: when the series is longer, column i is the mean of episodes
 * [floor(i n / columns), floor((i + 1) n / columns)), so every episode counts once.
 */
export function downsample(series: readonly number[], columns: number): number[] {
  const n = series.length;
  if (n <= columns) return series.slice();
  const out: number[] = [];
  for (let i = 0; i < columns; i++) {
    const from = Math.floor((i * n) / columns);
    const to = Math.floor(((i + 1) * n) / columns);
    let sum = 0;
    for (let j = from; j < to; j++) sum += series[j];
    out.push(sum / (to - from));
  }
  return out;
}

/**
 * Reward (or accuracy) per episode as an asciichart plot of exactly `height` rows plus a title line, fitted to
 * `width` columns by `fitSeries`. A flat or single-point series gets a small range so the height stays fixed.
 */
export function RewardChart({
  state,
  width,
  height = 8,
  series = 'reward',
}: {
  state: ViewState;
  width: number;
  height?: number;
  series?: ChartSeries;
}) {
  const values = series === 'reward' ? rewardSeries(state) : accuracySeries(state);
  // asciichart draws n points in n - 1 columns after ` ┤` (the last is a blank), so n = width - label - 1.
  const columns = Math.max(2, width - LABEL_WIDTH - 1);
  const points = fitSeries(values, columns);
  const perColumn = values.length / points.length;
  const first = state.completed - values.length + 1;
  const episodes = first === state.completed ? `episode ${first}` : `episodes ${first}-${state.completed}`;
  const span = values.length === 0 ? '' : ` (${episodes}${perColumn > 1 ? `, mean of ~${Math.round(perColumn)} per column` : ''})`;
  const title = `${series} by episode${span}`;
  let rows: string[];
  if (points.length === 0) {
    rows = ['waiting for the first episode'];
  } else {
    let min = Math.min(...points);
    let max = Math.max(...points);
    if (max - min < 1e-3) {
      min -= 5e-4;
      max += 5e-4;
    }
    const format =
      series === 'reward'
        ? (x: number) => x.toFixed(4).padStart(LABEL_WIDTH)
        : (x: number) => `${(x * 100).toFixed(2)}%`.padStart(LABEL_WIDTH);
    rows = plot(points, { height: height - 1, min, max, format }).split('\n').map((row) => row.trimEnd());
  }
  return (
    <Box flexDirection="column" height={height + 1}>
      <Text bold>{clip(title, width)}</Text>
      {rows.map((row, i) => (
        <Text key={i}>{clip(row, width)}</Text>
      ))}
    </Box>
  );
}
