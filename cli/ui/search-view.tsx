import { Box, Static, Text } from 'ink';
import { BITS_BAR_COLUMNS, BestStrategy } from './best-strategy.js';
import { BudgetBar } from './budget-bar.js';
import { SmallestBar } from './smallest-bar.js';
import { CurrentEpisode } from './current-episode.js';
import { Footer } from './footer.js';
import { Header } from './header.js';
import { hasKeepColumn, layerNameWidth, layerTableHeader } from './layer-table.js';
import { historyLine } from './plain-reporter.js';
import { Progress } from './progress.js';
import { LearningLine, learningText } from './learning-line.js';
import { type ChartSeries, RewardChart } from './reward-chart.js';
import { ROLLOUT_TABLE_WIDTH, RolloutTable } from './rollout-table.js';
import type { ViewState } from './state.js';

export interface SearchViewProps {
  state: ViewState;
  /** Terminal columns; the live area uses at most 132 of them. */
  width: number;
  /** Terminal rows, when known: sections are dropped until the live area fits in `height - 1` rows. */
  height?: number;
  chart?: ChartSeries;
  /** Rows of the recent-episodes table. */
  rollouts?: number;
  /** Rows of the chart. */
  chartHeight?: number;
}

const GAP = 4;

/** Which optional sections are shown and how they are arranged, from the terminal size alone. */
export function searchViewLayout(state: ViewState, props: Omit<SearchViewProps, 'state'>) {
  const width = Math.min(props.width, 132);
  const rollouts = props.rollouts ?? 6;
  const chartHeight = props.chartHeight ?? 8;
  const layers = state.header?.layers ?? [];
  const keep = hasKeepColumn(state.current?.choices ?? []) || hasKeepColumn(state.best?.strategy ?? []);
  const tableWidth = layerTableHeader(layerNameWidth(layers), keep).length;
  // Titles shorten to fit (joinFitting); these minimums keep their useful parts.
  const currentWidth = Math.max(tableWidth, 36);
  const bestTableWidth = Math.max(tableWidth, 40);
  // Side by side with the best's bars, else side by side without them, else stacked (with them).
  const bestBars =
    width >= currentWidth + GAP + tableWidth + BITS_BAR_COLUMNS || width < currentWidth + GAP + bestTableWidth;
  const bestWidth = bestBars ? Math.max(tableWidth + BITS_BAR_COLUMNS, 40) : bestTableWidth;
  const layersSideBySide = width >= currentWidth + GAP + bestWidth;
  const chartSideBySide = width - ROLLOUT_TABLE_WIDTH - GAP >= 40;
  const shown = {
    spacing: true,
    rollouts: rollouts > 0,
    chart: chartHeight > 0,
    current: state.status === 'running',
    best: true,
  };

  // Rows of the live area: header (2), progress, budget bar and footer, plus the two optional blocks, plus one
  // blank line above the live area and above each block when spacing.
  const pair = (a: number, b: number, sideBySide: boolean) =>
    sideBySide ? Math.max(a, b) : a + b + (a > 0 && b > 0 && shown.spacing ? 1 : 0);
  const liveRows = () => {
    const layerBlock = pair(shown.current ? layers.length + 2 : 0, shown.best ? layers.length + 2 : 0, layersSideBySide);
    const chartBlock = pair(shown.chart ? chartHeight + 1 : 0, shown.rollouts ? rollouts + 2 : 0, chartSideBySide);
    const budgetLines = state.header?.smallest ? 1 : (state.header?.budget.all?.length ?? 1);
    const blocks = [layerBlock, budgetLines, chartBlock].filter((n) => n > 0);
    return 4 + (learningText(state) === null ? 0 : 1) + blocks.reduce((a, b) => a + b, 0) + (shown.spacing ? 1 + blocks.length : 0);
  };
  // Leave the last terminal row free: a live area as tall as the terminal makes ink clear the screen every frame.
  for (const section of ['spacing', 'rollouts', 'chart', 'current', 'best'] as const) {
    if (props.height === undefined || liveRows() <= props.height - 1) break;
    shown[section] = false;
  }
  return {
    width,
    rollouts,
    chartHeight,
    live: state.status !== 'starting',
    shown,
    layersSideBySide,
    bestBars,
    chartSideBySide,
    currentWidth,
    bestWidth,
  };
}

/**
 * The whole screen: finished episodes and log messages printed once above (ink's `<Static>`), and a live area of
 * header, progress, the current episode beside the best strategy, the budget bar, the reward chart beside the recent
 * episodes, and the keys. Side by side where the terminal is wide enough, stacked where not.
 */
export function SearchView(props: SearchViewProps) {
  const { state, chart = 'reward' } = props;
  const layout = searchViewLayout(state, props);
  const { width, shown } = layout;
  const margin = shown.spacing ? 1 : 0;
  const layersRow = layout.layersSideBySide;
  const chartRow = layout.chartSideBySide;
  const chartWidth = chartRow ? width - ROLLOUT_TABLE_WIDTH - GAP : width;
  return (
    <>
      <Static items={state.history}>{(entry, i) => <Text key={i}>{historyLine(entry, state.total, Boolean(state.header?.smallest))}</Text>}</Static>
      <Box flexDirection="column" width={width} marginTop={margin}>
        <Header state={state} width={width} />
        <Progress state={state} width={width} />
        <LearningLine state={state} width={width} />
        {layout.live && (shown.current || shown.best) && (
          <Box flexDirection={layersRow ? 'row' : 'column'} marginTop={margin}>
            {shown.current && (
              <Box width={layersRow ? layout.currentWidth + GAP : width} marginBottom={!layersRow && shown.best ? margin : 0}>
                <CurrentEpisode state={state} width={layersRow ? layout.currentWidth : width} />
              </Box>
            )}
            {shown.best && <BestStrategy state={state} width={layersRow ? layout.bestWidth : width} bars={layout.bestBars} />}
          </Box>
        )}
        {layout.live && (
          <Box marginTop={margin}>
            {state.header?.smallest ? <SmallestBar state={state} width={width} /> : <BudgetBar state={state} width={width} />}
          </Box>
        )}
        {layout.live && (shown.chart || shown.rollouts) && (
          <Box flexDirection={chartRow ? 'row' : 'column'} marginTop={margin}>
            {shown.chart && (
              <Box width={chartRow ? chartWidth + GAP : width} marginBottom={!chartRow && shown.rollouts ? margin : 0}>
                <RewardChart state={state} width={chartWidth} height={layout.chartHeight} series={chart} />
              </Box>
            )}
            {shown.rollouts && <RolloutTable state={state} rows={layout.rollouts} width={chartRow ? ROLLOUT_TABLE_WIDTH : width} />}
          </Box>
        )}
        <Footer state={state} width={width} />
      </Box>
    </>
  );
}
