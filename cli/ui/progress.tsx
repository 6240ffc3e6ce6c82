import { Text } from 'ink';
import { bar, clip, formatDuration, formatEpisodes } from './format.js';
import { type ViewState, elapsedSeconds, episodeCounter, etaSeconds } from './state.js';

/** The bar's width does not depend on the text after it, so the text does not jump as the ETA changes length. */
export function progressBarWidth(width: number): number {
  return Math.min(30, Math.max(10, width - 60));
}

/**
 * One line: `██████░░░░  episode 37/120  warmup  elapsed 2m40s  ETA 4m12s` (`episodes 37-38/120` while several are
 * evaluated at once), or how the run ended.
 */
export function Progress({ state, width }: { state: ViewState; width: number }) {
  if (state.status === 'starting') return null;
  const fraction = state.total > 0 ? state.completed / state.total : 0;
  const barText = bar(fraction, progressBarWidth(width));
  const elapsed = formatDuration(elapsedSeconds(state) ?? Number.NaN);
  let text: string;
  if (state.status !== 'running') {
    text = `${state.completed}/${state.total} episodes  ${state.status} in ${elapsed}`;
  } else {
    const limit = state.header?.timeLimit ? ` (--time ${formatDuration(state.header.timeLimit.seconds)})` : '';
    const eta = state.paused ? 'paused' : `ETA ${formatDuration(etaSeconds(state) ?? Number.NaN)}${limit}`;
    const counter = state.evaluating.length > 1 ? `episodes ${formatEpisodes(state.evaluating)}` : `episode ${episodeCounter(state)}`;
    text = `${counter}/${state.total}  ${state.phase}  elapsed ${elapsed}  ${eta}`;
  }
  return (
    <Text>
      <Text color={state.status === 'failed' ? 'red' : 'green'}>{barText}</Text>
      {clip(`  ${text}`, Math.max(0, width - barText.length))}
    </Text>
  );
}
