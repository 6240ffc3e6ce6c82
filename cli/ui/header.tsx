import { Box, Text } from 'ink';
import { clip, formatPercent, joinFitting, smallestGoalText } from './format.js';
import type { ViewState } from './state.js';

/** Two lines: who and where (run, model, dataset, agent, backend, seed), then the budget (a --goal smallest run: its
 * drops) and the baseline; parts that do not fit the width are left off from the end. */
export function Header({ state, width }: { state: ViewState; width: number }) {
  const h = state.header;
  if (!h) return <Text bold>{clip('autoshrink  starting…', width)}</Text>;
  const who = ['autoshrink', `run ${h.runId}`, `${h.model} on ${h.dataset}`, `agent ${h.agent}`, `backend ${h.backend}`, `seed ${h.seed}`];
  const what = [
    h.smallest ? `goal ${smallestGoalText(h.smallest)}` : `budget ${h.budget.all ? h.budget.all.map((b) => b.label).join(' and ') : h.budget.label}`,
    `baseline acc ${formatPercent(h.baselineAccuracy)}`,
    ...(h.resumedAt > 0 ? [`resumed after ${h.resumedAt} episodes`] : []),
  ];
  return (
    <Box flexDirection="column">
      <Text bold>{joinFitting(who, width)}</Text>
      <Text>{joinFitting(what, width)}</Text>
    </Box>
  );
}
