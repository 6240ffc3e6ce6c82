/**
 * One line under the progress bar, for RL agents: whether the critic learns (its loss and mean Q after the latest
 * episode), the exploration noise left, and how many layers the budget wall clamped. Absent until an episode reports.
 */
import { Text } from 'ink';
import { clip, formatEpisode } from './format.js';
import type { ViewState } from './state.js';

export function learningText(state: ViewState): string | null {
  const l = state.learning;
  if (!l) return null;
  const sci = (v: number | null) => (v === null ? '-' : v.toExponential(1));
  const layers = state.header?.layers.length;
  const clamped = l.clamped === null ? '-' : layers ? `${l.clamped}/${layers} layers` : String(l.clamped);
  return `learning after episode ${formatEpisode(l.episode)}: critic loss ${sci(l.criticLoss)}  mean Q ${sci(l.meanQ)}  sigma ${l.sigma === null ? '-' : l.sigma.toFixed(3)}  wall clamped ${clamped}`;
}

export function LearningLine({ state, width }: { state: ViewState; width: number }) {
  const text = learningText(state);
  return text === null ? null : <Text dimColor>{clip(text, width)}</Text>;
}
