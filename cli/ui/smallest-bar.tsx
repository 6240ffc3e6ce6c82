import { Text } from 'ink';
import { bar, clip, formatBytes, formatEpisode, formatPercent, formatPoints, formatRatio, joinFitting } from './format.js';
import type { ViewState } from './state.js';

/**
 * A --goal smallest run's line in place of the budget bar (its size:8bits wall binds no setting, so a share of it says
 * nothing): the smallest episode so far within the episodes' target, its size (the bar: its share of the
 * uncompressed model) and how many times smaller, against the accuracy it kept, e.g.
 * `smallest  ██▎░░░░░░░░░░░░░░░░░  20.4 kB est., 8.7x smaller than fp32  acc 68.20%, -30.72 points  episode 17`
 * (20.4 kB of 178 kB: 11.5% of the bar).
 * The size is the size wall's (model.ashk at fixed width): the final's entropy-coded file is smaller.
 */
export function SmallestBar({ state, width }: { state: ViewState; width: number }) {
  const h = state.header;
  const goal = h?.smallest;
  if (!h || !goal) return null;
  const found = state.smallest;
  if (!found) return <Text>{clip(`smallest  none within ${goal.episodeDrop} points of the baseline yet (the episodes' target)`, width)}</Text>;
  const full = h.budget.full;
  const barText = bar(found.cost / full, Math.min(20, Math.max(10, width - 80)));
  const text = joinFitting(
    [
      '',
      `${formatBytes(found.cost)} est., ${formatRatio(found.cost, full)} smaller than fp32`,
      `acc ${formatPercent(found.accuracy)}, ${formatPoints(100 * (found.accuracy - h.baselineAccuracy))}`,
      `episode ${formatEpisode(found.episode)}`,
    ],
    Math.max(0, width - 10 - barText.length),
  );
  return (
    <Text>
      {'smallest  '}
      <Text color="cyan">{barText}</Text>
      {text}
    </Text>
  );
}
