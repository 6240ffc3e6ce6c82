import { Box, Text } from 'ink';
import { clip, formatEpisode, formatPercent, formatReward } from './format.js';
import { type ViewState, recentRollouts } from './state.js';

export const ROLLOUT_TABLE_WIDTH = 52;

/** The last `rows` finished episodes; always `rows + 2` lines high so the layout below it does not move. */
export function RolloutTable({ state, rows, width }: { state: ViewState; rows: number; width: number }) {
  const recent = recentRollouts(state, rows);
  const lines = recent.map((row) =>
    [
      formatEpisode(row.episode).padStart(4),
      row.phase.padEnd(8),
      formatPercent(row.accuracy).padStart(8),
      formatPercent(row.costFraction, 1).padStart(6),
      formatReward(row.reward).padStart(7),
      [row.cached ? 'cached' : '', row.best ? 'new best' : ''].filter(Boolean).join(' '),
    ]
      .join('  ')
      .trimEnd(),
  );
  return (
    <Box flexDirection="column" height={rows + 2}>
      <Text bold>{clip('recent episodes', width)}</Text>
      <Text dimColor>{clip('  ep  phase     accuracy  budget   reward', width)}</Text>
      {lines.map((line, i) => (
        <Text key={i}>{clip(line, width)}</Text>
      ))}
    </Box>
  );
}
