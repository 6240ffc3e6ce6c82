/**
 * The report's tables, pure functions of the rows: per cell (model x budget x bit range) each planner's mean test
 * accuracy with its Student-t 95% interval over seeds, the paired differences (same seed) of each DDPG planner
 * against every other planner, the final stage's own noise where runs were finished more than once, and the goal's
 * measured status. A row's test accuracy is the mean of its finals.
 */
import { table } from '../common.js';
import { confidenceInterval, mean, pairedDifference, sampleStd, type Interval } from '../stats.js';
import { DDPG_PLANNERS, TIME_MATCHED } from './plan.js';
import { rowSeconds } from './schedule.js';
import type { Row } from './rows.js';

/** A row's test accuracy: the mean of its counted finals. */
export const testOf = (r: Row) => mean((r.finals ?? []).slice(0, r.counted ?? r.finals?.length));

const pts = (v: number) => (Number.isNaN(v) ? '-' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)}`);
const pct = (v: number) => (Number.isNaN(v) ? '-' : `${(v * 100).toFixed(2)}%`);
const interval = (d: Interval) => (Number.isNaN(d.halfWidth) ? 'n/a (one pair)' : `[${pts(d.low)}, ${pts(d.high)}]`);
const distinct = <T>(xs: T[]) => [...new Set(xs)];

export interface Cell {
  model: string;
  regime: string;
}

/** Each DDPG planner's paired difference against another planner in one cell, over the seeds both finished. */
export interface Comparison {
  ddpg: string;
  other: string;
  diff: Interval;
  seeds: number[];
}

export function comparisons(rows: Row[], cell: Cell, planners: string[]): Comparison[] {
  const ok = rows.filter((r) => r.status === 'ok' && r.model === cell.model && r.regime === cell.regime);
  const out: Comparison[] = [];
  for (const ddpg of DDPG_PLANNERS.filter((p) => planners.includes(p))) {
    const mine = new Map(ok.filter((r) => r.planner === ddpg).map((r) => [r.seed, r]));
    // the candidate default is compared with plain DDPG too, not the other way round
    const others = planners.filter((p) => p !== ddpg && !(ddpg === 'ddpg' && p.startsWith('ddpg+')));
    for (const other of others) {
      const pairs = ok.filter((r) => r.planner === other && mine.has(r.seed)).map((r) => [mine.get(r.seed)!, r] as const);
      if (pairs.length === 0) continue;
      out.push({ ddpg, other, diff: pairedDifference(pairs.map((p) => testOf(p[0])), pairs.map((p) => testOf(p[1]))), seeds: pairs.map((p) => p[0].seed) });
    }
  }
  return out;
}

/** How long a planner searched, as the row states it: episodes stored (with DDPG's warm-up), or the matched time. */
function lengthText(rs: Row[]): string {
  const episodes = distinct(rs.map((r) => r.episodesRun ?? 0));
  const span = episodes.length === 1 ? `${episodes[0]}` : `${Math.min(...episodes)}-${Math.max(...episodes)}`;
  const warmups = distinct(rs.filter((r) => r.planner.startsWith('ddpg')).map((r) => r.settings?.warmup));
  const matched = rs.filter((r) => r.matchedSeconds !== undefined);
  return `${span}${warmups.length === 1 && warmups[0] !== undefined ? ` (warm-up ${warmups[0]})` : ''}${matched.length ? ` (DDPG's ${(mean(matched.map((r) => r.matchedSeconds!)) / 60).toFixed(1)} min)` : ''}`;
}

const settingText = (rs: Row[], pick: (r: Row) => number | undefined) => distinct(rs.map(pick).map(String)).join('/');

/** The re-rank a planner's runs went through: top k x steps, or none where the run had one candidate. */
function rerankText(rs: Row[]): string {
  const ran = rs.filter((r) => (r.settings?.rerankSteps ?? 0) > 0);
  if (ran.length === 0) return 'none (one candidate)';
  const text = `top ${settingText(ran, (r) => r.settings?.rerankTop)} x ${settingText(ran, (r) => r.settings?.rerankSteps)}`;
  return ran.length === rs.length ? text : `${text} (${rs.length - ran.length} run(s): none)`;
}

export function plannerTable(rows: Row[], cell: Cell, planners: string[]): string {
  const here = rows.filter((r) => r.model === cell.model && r.regime === cell.regime);
  const body = planners.map((planner) => {
    const rs = here.filter((r) => r.planner === planner && r.status === 'ok');
    const failed = here.filter((r) => r.planner === planner && r.status === 'failed');
    if (rs.length === 0) return [planner, 0, failed.length ? `failed: ${failed[0].note?.slice(0, 100)}` : 'not run', '', '', '', '', '', '', '', ''];
    const ci = confidenceInterval(rs.map(testOf));
    return [
      planner,
      `${rs.length}${failed.length ? ` (+${failed.length} failed)` : ''}`,
      lengthText(rs),
      settingText(rs, (r) => r.settings?.finetuneSteps),
      rerankText(rs),
      `${settingText(rs, (r) => r.settings?.finalSteps)} x ${settingText(rs, (r) => r.counted ?? r.finals?.length)}`,
      pct(ci.mean),
      Number.isNaN(ci.halfWidth) ? 'n/a (one run)' : `+-${(ci.halfWidth * 100).toFixed(2)}`,
      `${(mean(rs.map((r) => (r.cost ?? NaN) / (r.limit ?? NaN))) * 100).toFixed(1)}%`,
      (mean(rs.map(rowSeconds)) / 60).toFixed(1),
      rs.every((r) => r.cpuSeconds !== undefined) ? (mean(rs.map((r) => r.cpuSeconds!)) / 60).toFixed(1) : '-',
    ];
  });
  return table(['planner', 'runs', 'episodes', 'fine-tune steps / episode', 're-rank', 'final steps x finals', 'test acc (mean)', '95% CI (points)', 'budget used', 'minutes / run', 'CPU minutes / run'], body);
}

export function differenceTable(list: Comparison[]): string {
  if (list.length === 0) return '(no pair of seeds to compare)';
  return table(
    ['difference (same seed)', 'pairs', 'mean (points)', '95% CI', 'sd of the differences'],
    list.map((c) => [`${c.ddpg} - ${c.other}`, c.seeds.length, pts(c.diff.mean), interval(c.diff), (c.diff.sd * 100).toFixed(2)]),
  );
}

/** Pooled sd of one final over the runs finished more than once (the final stage's own noise), with its runs. */
export function finalNoise(rows: Row[], cell?: Cell): { sd: number; runs: number; finals: number } | null {
  const many = rows.filter((r) => r.status === 'ok' && (r.finals?.length ?? 0) >= 2 && (!cell || (r.model === cell.model && r.regime === cell.regime)));
  if (many.length === 0) return null;
  return { sd: Math.sqrt(mean(many.map((r) => sampleStd(r.finals!) ** 2))), runs: many.length, finals: many.reduce((s, r) => s + r.finals!.length, 0) };
}

export function noiseText(rows: Row[], cell: Cell, list: Comparison[], finalsPerRun: number): string {
  const noise = finalNoise(rows, cell);
  if (!noise) return "Final stage's own noise: not measured in this cell (run with --noise-finals K or --finals N).";
  const probe = rows.filter((r) => r.status === 'ok' && r.model === cell.model && r.regime === cell.regime && (r.finals?.length ?? 0) >= 2);
  const detail = probe.length === 1 ? ` (${probe[0].planner} seed ${probe[0].seed}: ${probe[0].finals!.map((v) => (v * 100).toFixed(2)).join(', ')})` : '';
  const key = list.filter((c) => c.ddpg === DDPG_PLANNERS[0] && ['knapsack', 'local'].includes(c.other)).map((c) => `${c.ddpg} - ${c.other} ${pts(c.diff.mean)}`);
  const perRow = noise.sd / Math.sqrt(finalsPerRun);
  return (
    `Final stage's own noise: sd of one final ${(noise.sd * 100).toFixed(2)} points, pooled over ${noise.runs} run(s) and ${noise.finals} finals${detail}; ` +
    `a row's test accuracy is the mean of ${finalsPerRun} final(s), so this noise adds sd ${(perRow * 100).toFixed(2)} points to each row` +
    (key.length ? `, against differences of ${key.join(', ')} points.` : '.') +
    (perRow * 2 >= Math.min(...list.filter((c) => ['knapsack', 'local'].includes(c.other)).map((c) => Math.abs(c.diff.mean)), Infinity)
      ? ' It is comparable to the differences: more finals per run (--finals N) or more seeds are needed to resolve them.'
      : '')
  );
}

export interface GoalStatus {
  ddpg: string;
  /** Cells where the DDPG mean is at least every other (non-DDPG) planner's, with the closest gap. */
  meanCells: Array<{ cell: Cell; ok: boolean; worst: { other: string; gap: number } | null }>;
  /** Cells where both paired intervals (against knapsack and against local) lie above 0. */
  clearCells: Array<{ cell: Cell; knapsack: Interval | null; local: Interval | null; clear: boolean }>;
  met: boolean;
  /** Why it cannot be judged (cells or planners missing), if so. */
  incomplete: string[];
}

/**
 * The goal: the DDPG planner's mean test accuracy is at least every other planner's in every cell, and above the
 * knapsack and above local search with the paired 95% interval clear of 0 in at least two cells.
 */
export function goalStatus(rows: Row[], cells: Cell[], planners: string[], ddpg: string, needClear = 2, needCells = 4): GoalStatus {
  const incomplete: string[] = cells.length < needCells ? [`${cells.length} of the ${needCells} cells were run`] : [];
  const meanCells = cells.map((cell) => {
    const ok = rows.filter((r) => r.status === 'ok' && r.model === cell.model && r.regime === cell.regime);
    const meanOf = (p: string) => mean(ok.filter((r) => r.planner === p).map(testOf));
    const mine = meanOf(ddpg);
    const others = planners.filter((p) => !DDPG_PLANNERS.includes(p)).map((p) => ({ other: p, gap: mine - meanOf(p) })).filter((g) => !Number.isNaN(g.gap));
    if (Number.isNaN(mine) || others.length < planners.filter((p) => !DDPG_PLANNERS.includes(p)).length) incomplete.push(`${cell.model} ${cell.regime}: a planner has no finished run`);
    const worst = others.length ? others.reduce((a, b) => (b.gap < a.gap ? b : a)) : null;
    return { cell, ok: !Number.isNaN(mine) && worst !== null && worst.gap >= 0, worst };
  });
  const clearCells = cells.map((cell) => {
    const list = comparisons(rows, cell, planners).filter((c) => c.ddpg === ddpg);
    const of = (other: string) => list.find((c) => c.other === other)?.diff ?? null;
    const knapsack = of('knapsack');
    const local = of('local');
    const clear = !!knapsack && !!local && knapsack.low > 0 && local.low > 0;
    return { cell, knapsack, local, clear };
  });
  if (!planners.includes('local')) incomplete.push('local search was not run');
  const met = incomplete.length === 0 && meanCells.every((c) => c.ok) && clearCells.filter((c) => c.clear).length >= needClear;
  return { ddpg, meanCells, clearCells, met, incomplete };
}

export function goalText(g: GoalStatus, cellCount: number): string {
  const lines = [`**${g.ddpg}: ${g.met ? 'MET' : g.incomplete.length ? 'NOT MET (and not fully measured)' : 'NOT MET'}.**`];
  const meanOk = g.meanCells.filter((c) => c.ok).length;
  lines.push(`- Mean at least every other planner's: ${meanOk} of ${cellCount} cells.` + g.meanCells.map((c) => ` ${c.cell.model} ${c.cell.regime}: ${c.worst ? `closest ${c.worst.other}, ${pts(c.worst.gap)} points` : 'no comparison'}${c.ok ? '' : ' (missed)'}.`).join(''));
  const clear = g.clearCells.filter((c) => c.clear).length;
  lines.push(
    `- Above the knapsack and above local search with the paired interval clear of 0: ${clear} of ${cellCount} cells (2 needed).` +
      g.clearCells.map((c) => ` ${c.cell.model} ${c.cell.regime}: - knapsack ${c.knapsack ? `${pts(c.knapsack.mean)} ${interval(c.knapsack)}` : 'n/a'}, - local ${c.local ? `${pts(c.local.mean)} ${interval(c.local)}` : 'n/a'}.`).join(''),
  );
  if (g.incomplete.length) lines.push(`- Not fully measured: ${distinct(g.incomplete).join('; ')}.`);
  return lines.join('\n');
}

/** What the intervals do and do not show, with this run's numbers. */
export function caveats(seeds: number[], comparisonCount: number): string {
  const anyFalse = 1 - 0.975 ** comparisonCount;
  return [
    `- Each interval is a Student-t 95% interval over ${seeds.length} search seeds (${seeds.join(', ')}) on ONE data split (data seed 1 for every run) and one test set: it covers the search's and the final fine-tune's randomness, not the choice of split, dataset or model.`,
    '- Paired differences take the same seed for both planners: the shared part is the fine-tune batch order (seeded by the run seed), so pairing removes that noise only where two planners pick similar strategies.',
    `- The intervals are not corrected for multiple comparisons: with ${comparisonCount} DDPG comparisons, even if no planner differed, the chance that at least one interval lies wholly above 0 by luck is up to ${(anyFalse * 100).toFixed(0)}% (one-sided 2.5% each, assuming independence).`,
    '- An interval that includes 0 does not show the planners equal; it shows these seeds cannot tell them apart. With 5 seeds, t(0.975, 4) = 2.776 makes the interval 2.776 x sd / sqrt(5) = 1.24 sd of the differences wide on each side.',
  ].join('\n');
}
