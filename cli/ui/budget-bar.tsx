import { Box, Text } from 'ink';
import type { BudgetKind } from '../../run/events.js';
import { bar, clip, formatCost, formatPercent, joinFitting } from './format.js';
import { type ViewState, bestBudgetFractions } from './state.js';

/**
 * How much of the budget the best strategy uses, one line a budget: `budget  ███░░  72.7%  12.7 kB of 17.5 kB  (full
 * model 178 kB)`; a run with two budgets names each by its kind (`size`, `latency`, ...) on its own line.
 */
export function BudgetBar({ state, width }: { state: ViewState; width: number }) {
  const h = state.header;
  const fractions = bestBudgetFractions(state);
  if (!h || !state.best || fractions === null) return <Text>{clip('budget  no strategy yet', width)}</Text>;
  const budgets = h.budget.all ?? [h.budget];
  const names = budgets.length > 1 ? budgets.map((b) => b.kind as string) : ['budget'];
  const w = Math.max(...names.map((n) => n.length)) + 2;
  return (
    <Box flexDirection="column">
      {budgets.map((b, i) => (
        <BudgetLine key={b.kind + i} name={names[i].padEnd(w)} kind={b.kind} limit={b.limit} full={b.full} cost={i === 0 ? state.best!.cost : state.best!.costs?.[i]} fraction={fractions[i]} width={width} />
      ))}
    </Box>
  );
}

function BudgetLine(p: { name: string; kind: BudgetKind; limit: number; full: number; cost: number | undefined; fraction: number | undefined; width: number }) {
  if (p.cost === undefined || p.fraction === undefined) return <Text>{clip(`${p.name}not stored with this run's best (${formatCost(p.limit, p.kind)} limit)`, p.width)}</Text>;
  const barText = bar(p.fraction, Math.min(30, Math.max(10, p.width - 60)));
  const text = joinFitting(
    ['', formatPercent(p.fraction, 1), `${formatCost(p.cost, p.kind)} of ${formatCost(p.limit, p.kind)}`, `(full model ${formatCost(p.full, p.kind)})`],
    Math.max(0, p.width - p.name.length - barText.length),
  );
  return (
    <Text>
      {p.name}
      <Text color="cyan">{barText}</Text>
      {text}
    </Text>
  );
}
