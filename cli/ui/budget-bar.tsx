import { Text } from 'ink';
import { bar, clip, formatCost, formatPercent, joinFitting } from './format.js';
import { type ViewState, bestBudgetFraction } from './state.js';

/** One line: how much of the budget the best strategy uses, `budget  ███░░  72.7%  12.7 kB of 17.5 kB  (full 178 kB)`. */
export function BudgetBar({ state, width }: { state: ViewState; width: number }) {
  const h = state.header;
  const fraction = bestBudgetFraction(state);
  if (!h || !state.best || fraction === null) return <Text>{clip('budget  no strategy yet', width)}</Text>;
  const { kind, limit, full } = h.budget;
  const barText = bar(fraction, Math.min(30, Math.max(10, width - 60)));
  const text = joinFitting(
    ['', formatPercent(fraction, 1), `${formatCost(state.best.cost, kind)} of ${formatCost(limit, kind)}`, `(full model ${formatCost(full, kind)})`],
    Math.max(0, width - 8 - barText.length),
  );
  return (
    <Text>
      {'budget  '}
      <Text color="cyan">{barText}</Text>
      {text}
    </Text>
  );
}
