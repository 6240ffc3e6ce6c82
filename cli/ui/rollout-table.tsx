import { Box, Text } from 'ink';
import { clip, formatBytes, formatEpisode, formatPercent, formatReward } from './format.js';
import { type ViewState, recentRollouts } from './state.js';

export const ROLLOUT_TABLE_WIDTH = 52;

/**
 * The last `rows` finished episodes; always `rows + 2` lines high so the layout below it does not move. A --goal
 * smallest run shows each episode's size where others show their share of the budget.
 */
export function RolloutTable({ state, rows, width }: { state: ViewState; rows: number; width: number }) {
  const recent = recentRollouts(state, rows);
  const sized = Boolean(state.header?.smallest);
  const lines = recent.map((row) =>
    [
      formatEpisode(row.episode).padStart(4),
      row.phase.padEnd(8),
      formatPercent(row.accuracy).padStart(8),
      sized ? formatBytes(row.cost).padStart(7) : formatPercent(row.costFraction, 1).padStart(6),
      formatReward(row.reward).padStart(7),
      [row.cached ? 'cached' : '', row.best ? 'new best' : ''].filter(Boolean).join(' '),
    ]
      .join('  ')
      .trimEnd(),
  );
  return (
    <Box flexDirection="column" height={rows + 2}>
      <Text bold>{clip('recent episodes', width)}</Text>
      <Text dimColor>{clip(sized ? '  ep  phase     accuracy     size   reward' : '  ep  phase     accuracy  budget   reward', width)}</Text>
      {lines.map((line, i) => (
        <Text key={i}>{clip(line, width)}</Text>
      ))}
    </Box>
  );
}
