import { Box, Text } from 'ink';
import { clip, formatDuration, formatEpisode, formatEpisodes, joinFitting } from './format.js';
import { hasKeepColumn, layerNameWidth, layerTableHeader, layerTableRow } from './layer-table.js';
import { type ViewState, currentEpisodeSeconds } from './state.js';

/**
 * The episode under way: one row per layer, filled in as the agent chooses (`·` until then). With several episodes
 * evaluated at once (--workers, --queue), the title names them all: `evaluating 5-6`.
 */
export function CurrentEpisode({ state, width }: { state: ViewState; width: number }) {
  const layers = state.header?.layers ?? [];
  const current = state.current;
  const choices = layers.map((_, i) => current?.choices[i] ?? null);
  const chosen = choices.filter((choice) => choice !== null).length;
  let title: string;
  if (!current) {
    title = 'next episode starting';
  } else {
    const inFlight = state.evaluating.length > 1 ? ` ${formatEpisodes(state.evaluating)}` : '';
    const doing = chosen < layers.length ? `${chosen}/${layers.length} chosen` : `evaluating${inFlight}`;
    const spent = formatDuration(currentEpisodeSeconds(state) ?? Number.NaN);
    title = joinFitting([`episode ${formatEpisode(current.episode)}`, current.phase, spent, doing], width);
  }
  const nameWidth = layerNameWidth(layers);
  const keep = hasKeepColumn(choices);
  return (
    <Box flexDirection="column">
      <Text bold>{clip(title, width)}</Text>
      <Text dimColor>{clip(layerTableHeader(nameWidth, keep), width)}</Text>
      {layers.map((name, i) => (
        <Text key={name}>{clip(layerTableRow(name, nameWidth, choices[i], keep), width)}</Text>
      ))}
    </Box>
  );
}
