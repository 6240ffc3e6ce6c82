import { Box, Text } from 'ink';
import { bar, clip, formatEpisode, formatPercent, formatReward, joinFitting } from './format.js';
import { hasKeepColumn, layerNameWidth, layerTableHeader, layerTableRow } from './layer-table.js';
import { type ViewState, effectiveBits } from './state.js';

const BAR_WIDTH = 16;

/** Columns the bar and its value add to the layer table. */
export const BITS_BAR_COLUMNS = 2 + BAR_WIDTH + 5;

/**
 * The best strategy so far, one row per layer, with (when `bars`) a bar of its approximate stored bits per weight out
 * of fp32's 32 (see `effectiveBits`).
 */
export function BestStrategy({ state, width, bars = true }: { state: ViewState; width: number; bars?: boolean }) {
  const best = state.best;
  const layers = best?.strategy.map((choice) => choice.name) ?? state.header?.layers ?? [];
  const title = best
    ? joinFitting(['best', `episode ${formatEpisode(best.episode)}`, `acc ${formatPercent(best.accuracy)}`, `reward ${formatReward(best.reward)}`], width)
    : 'best  none yet';
  const choices = layers.map((_, i) => best?.strategy[i] ?? null);
  const nameWidth = layerNameWidth(layers);
  const keep = hasKeepColumn(choices);
  const rows = layers.map((name, i) => {
    const choice = choices[i];
    const table = layerTableRow(name, nameWidth, choice, keep);
    if (!choice || !bars) return table;
    const bits = effectiveBits(choice);
    return `${table}  ${bar(bits / 32, BAR_WIDTH)} ${bits.toFixed(1).padStart(4)}`;
  });
  return (
    <Box flexDirection="column">
      <Text bold>{clip(title, width)}</Text>
      <Text dimColor>{clip(`${layerTableHeader(nameWidth, keep)}${bars ? '  ≈bits/weight (of 32)' : ''}`, width)}</Text>
      {rows.map((row, i) => (
        <Text key={layers[i]}>{clip(row, width)}</Text>
      ))}
    </Box>
  );
}
