/**
 * `autoshrink runs [list | show <run> | compare <a> <b> ...]`: what the store holds. Read-only: safe while a search
 * writes (WAL readers see a consistent snapshot).
 */
import asciichart from 'asciichart';
import { existsSync } from 'node:fs';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { RunNotFoundError } from '../../errors.js';
import type { FinalReport, SmallestReport } from '../../run/final/final.js';
import type { EpisodeRecord, RunRecord, Store } from '../../run/store/store.js';
import type { GlobalArgs } from '../global-options.js';
import { formatCost, formatDuration, formatEpisode, formatPercent } from '../ui/format.js';
import { hasKeepColumn, layerNameWidth, layerTableHeader, layerTableRow } from '../ui/layer-table.js';
import { episodeDropOf } from '../../run/goal.js';
import { referenceLines } from '../final-lines.js';
import { smallestColumn, smallestLines, smallestSearchLines } from '../smallest-lines.js';

async function withStore<T>(workdir: string, fn: (store: Store) => T): Promise<T> {
  // loaded here, not at start: --help and a flag error load neither tfjs nor better-sqlite3
  const [{ storePath }, { openStore }] = await Promise.all([import('../../run/search.js'), import('../../run/store/store.js')]);
  const path = storePath(workdir);
  if (!existsSync(path)) throw new RunNotFoundError(`no runs yet in ${workdir} (no runs.db); start one with autoshrink search`);
  const store = openStore(path, { readonly: true });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

function summary(run: RunRecord): Record<string, unknown> {
  const { config: _config, ...rest } = run;
  return rest;
}

function runSeconds(store: Store, id: string): number {
  return store.episodes(id).reduce((s, e) => s + e.seconds, 0);
}

/** Rows a `runs show` table lists before it samples every k-th episode (the last always shown). */
const MAX_EPISODE_ROWS = 100;

/**
 * One row per episode: its phase, accuracy, reward and the share of the budget it used (cost / limit); for agents that
 * learn, does the critic learn? its loss, its mean Q, the noise, and how often the budget wall had to step in. A --goal
 * smallest run (`sized`), whose wall binds no setting, lists each episode's size instead of its share of the wall.
 */
export function episodeTable(episodes: EpisodeRecord[], limit: number, sized = false): string[] {
  const learns = episodes.some((e) => e.criticLoss !== null || e.clamped !== null);
  const head = ['episode', 'phase', 'accuracy', 'reward', sized ? 'size' : 'budget used', ...(learns ? ['critic loss', 'mean Q', 'sigma', 'clamped'] : [])];
  const rows = [head];
  const step = Math.max(1, Math.ceil(episodes.length / MAX_EPISODE_ROWS));
  const num = (v: number | null, digits: number) => (v === null ? '-' : v.toExponential(digits));
  for (const e of episodes.filter((_, i) => i % step === 0 || i === episodes.length - 1)) {
    const learning = learns ? [num(e.criticLoss, 2), num(e.meanQ, 2), e.sigma === null ? '-' : e.sigma.toFixed(3), e.clamped === null ? '-' : String(e.clamped)] : [];
    rows.push([formatEpisode(e.episode), e.phase, formatPercent(e.accuracy), e.reward.toFixed(4), sized ? formatCost(e.cost, 'size') : formatPercent(e.cost / limit, 1), ...learning]);
  }
  const title = learns ? 'learning (per episode):' : 'episodes:';
  return [step > 1 ? `${title} one row every ${step} episodes and the last` : title, table(rows)];
}

const list: CommandModule<GlobalArgs, GlobalArgs> = {
  command: ['list', '$0'],
  describe: 'List runs (newest last)',
  handler: (args) =>
    withStore(args.workdir, (store) => {
      const runs = store.listRuns();
      if (args.json) {
        for (const r of runs) process.stdout.write(`${JSON.stringify(summary(r))}\n`);
        return;
      }
      if (runs.length === 0) {
        process.stdout.write('no runs yet; start one with autoshrink search\n');
        return;
      }
      const rows = [['run', 'status', 'model', 'agent', 'budget', 'episodes', 'best acc', 'best cost', 'created']];
      for (const r of runs) {
        rows.push([
          r.id,
          r.status,
          r.model,
          r.agent,
          budgetColumn(r),
          `${r.episodesDone}/${r.episodesPlanned}`,
          r.best ? formatPercent(r.best.accuracy) : '-',
          r.best ? formatCost(r.best.cost, r.budget.kind) : '-',
          r.createdAt.slice(0, 16).replace('T', ' '),
        ]);
      }
      process.stdout.write(`${table(rows)}\n`);
    }),
};

const show: CommandModule<GlobalArgs, GlobalArgs & { run: string }> = {
  command: 'show <run>',
  describe: 'Show a run: its best strategy per layer and the reward curve',
  builder: (y: Argv<GlobalArgs>) => y.positional('run', { type: 'string', demandOption: true, describe: 'Run id or a unique prefix' }) as Argv<GlobalArgs & { run: string }>,
  handler: (args: ArgumentsCamelCase<GlobalArgs & { run: string }>) =>
    withStore(args.workdir, (store) => {
      const run = store.findRun(args.run);
      const episodes = store.episodes(run.id);
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ ...summary(run), config: run.config, episodes: episodes.map((e) => ({ ...e, budgetShare: e.cost / run.budget.limit })) })}\n`);
        return;
      }
      const out: string[] = [];
      out.push(`run ${run.id}  ${run.status}  ${run.model} on ${run.dataset}  agent ${run.agent}  seed ${run.seed}  backend ${run.backend}`);
      const goal = smallestGoalOf(run);
      const budget = goal ? [] : [`budget ${run.budgets.map((b) => `${b.kind} <= ${formatCost(b.limit, b.kind)}`).join(' and ')}`];
      out.push([...budget, `episodes ${run.episodesDone}/${run.episodesPlanned}`, `search time ${formatDuration(runSeconds(store, run.id))}`].join('  '));
      if (goal) out.push(...smallestSearchLines(goal, episodes, run.baseline));
      if (run.best) {
        const costs = episodes.find((e) => e.episode === run.best!.episode)?.costs;
        const cost = costs && costs.length === run.budgets.length ? run.budgets.map((b, k) => formatCost(costs[k], b.kind)).join(' and ') : formatCost(run.best.cost, run.budget.kind);
        out.push('', `best: episode ${formatEpisode(run.best.episode)}, validation ${formatPercent(run.best.accuracy)}, cost ${cost}, reward ${run.best.reward.toFixed(4)}`);
        const w = layerNameWidth(run.best.strategy.map((c) => c.name));
        const keep = hasKeepColumn(run.best.strategy);
        out.push(layerTableHeader(w, keep));
        for (const c of run.best.strategy) out.push(layerTableRow(c.name, w, c, keep));
      }
      if (episodes.length > 1) {
        out.push('', 'reward by episode:');
        const series = episodes.map((e) => e.reward);
        const step = Math.max(1, Math.ceil(series.length / 70));
        const sampled = series.filter((_, i) => i % step === 0);
        out.push(asciichart.plot(sampled, { height: 8, format: (x: number) => x.toFixed(3).padStart(8) }));
        if (step > 1) out.push(`(every ${step}th episode)`);
      }
      if (episodes.length > 0) out.push('', ...episodeTable(episodes, run.budget.limit, goal !== null));
      const final = run.final as { testAccuracy?: number; baselineTestAccuracy?: number; packedBytes?: number; fixedPackedBytes?: number; fp32Bytes?: number; latency?: { measuredMs: number; fp32Ms: number; predictedMs: number; overBudget: boolean }; smallest?: SmallestReport } | null;
      if (final?.testAccuracy !== undefined) {
        // runs finished before entropy coding stored no fixed-width size: their file was fixed-width
        const fixed = final.fixedPackedBytes !== undefined && final.fixedPackedBytes !== final.packedBytes ? ` entropy-coded (${formatCost(final.fixedPackedBytes, 'size')} at fixed width)` : '';
        out.push('', `final: test ${formatPercent(final.testAccuracy)}, packed ${formatCost(final.packedBytes ?? 0, 'size')}${fixed} vs fp32 ${formatCost(final.fp32Bytes ?? 0, 'size')}`);
        const l = final.latency;
        if (l) out.push(`latency: measured ${formatCost(l.measuredMs, 'latency')} vs fp32 ${formatCost(l.fp32Ms, 'latency')} (same rounds), predicted ${formatCost(l.predictedMs, 'latency')}${l.overBudget ? '; OVER THE BUDGET BY MEASUREMENT' : ''}`);
        // the report as finishRun stored it: the references beside the result (with their latency on a latency budget)
        out.push(...referenceLines(run.final as FinalReport));
        if (final.smallest) {
          const packedBytes = final.packedBytes ?? 0;
          const ratio = packedBytes > 0 ? (final.fp32Bytes ?? 0) / packedBytes : 0;
          out.push(...smallestLines(final.smallest, { packedBytes, ratio, testAccuracy: final.testAccuracy, baselineTestAccuracy: final.baselineTestAccuracy ?? Number.NaN }));
        }
      }
      process.stdout.write(`${out.join('\n')}\n`);
    }),
};

/** A --goal smallest run's drops, as its stored config holds them (runs stored before --goal have none). */
function smallestGoalOf(run: RunRecord): { maxDrop: number; episodeDrop: number; wall: string } | null {
  const c = run.config as { goal?: string; maxDrop: number; episodeDrop?: number; budget: string };
  return c.goal === 'smallest' ? { maxDrop: c.maxDrop, episodeDrop: episodeDropOf({ goal: 'smallest', maxDrop: c.maxDrop, episodeDrop: c.episodeDrop }), wall: c.budget } : null;
}

/** The budget column of `list` and `compare`: the budgets' limits, or a --goal smallest run's goal (its wall binds nothing). */
function budgetColumn(run: RunRecord): string {
  const goal = smallestGoalOf(run);
  return goal ? smallestColumn(goal) : run.budgets.map((b) => formatCost(b.limit, b.kind)).join(' + ');
}

const compare: CommandModule<GlobalArgs, GlobalArgs & { runs: string[] }> = {
  command: 'compare <runs..>',
  describe: 'Set two or more runs side by side',
  builder: (y: Argv<GlobalArgs>) => y.positional('runs', { type: 'string', array: true, demandOption: true, describe: 'Run ids or prefixes' }) as unknown as Argv<GlobalArgs & { runs: string[] }>,
  handler: (args: ArgumentsCamelCase<GlobalArgs & { runs: string[] }>) =>
    withStore(args.workdir, (store) => {
      if (args.runs.length < 2) throw new RunNotFoundError('compare needs at least two runs, e.g. autoshrink runs compare 2026 2027');
      const runs = args.runs.map((r) => store.findRun(r));
      const rows = runs.map((r) => {
        const final = r.final as { testAccuracy?: number; packedBytes?: number } | null;
        return {
          run: r.id,
          agent: r.agent,
          budget: budgetColumn(r),
          bestAccuracy: r.best?.accuracy ?? null,
          bestCost: r.best?.cost ?? null,
          testAccuracy: final?.testAccuracy ?? null,
          packedBytes: final?.packedBytes ?? null,
          episodes: r.episodesDone,
          seconds: runSeconds(store, r.id),
        };
      });
      if (args.json) {
        for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
        return;
      }
      const kind = runs[0].budget.kind;
      const head = ['', ...rows.map((r) => r.run)];
      const line = (label: string, f: (r: (typeof rows)[number]) => string) => [label, ...rows.map(f)];
      process.stdout.write(
        `${table([
          head,
          line('agent', (r) => r.agent),
          line('budget', (r) => r.budget),
          line('best val acc', (r) => (r.bestAccuracy === null ? '-' : formatPercent(r.bestAccuracy))),
          line('best cost', (r) => (r.bestCost === null ? '-' : formatCost(r.bestCost, kind))),
          line('test acc', (r) => (r.testAccuracy === null ? '-' : formatPercent(r.testAccuracy))),
          line('packed', (r) => (r.packedBytes === null ? '-' : formatCost(r.packedBytes, 'size'))),
          line('episodes', (r) => String(r.episodes)),
          line('time', (r) => formatDuration(r.seconds)),
        ])}\n`,
      );
    }),
};

export const runsCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'runs',
  describe: 'List, show and compare stored runs',
  builder: (y: Argv<GlobalArgs>) => y.command(list).command(show as unknown as CommandModule<GlobalArgs, GlobalArgs>).command(compare as unknown as CommandModule<GlobalArgs, GlobalArgs>),
  handler: () => {},
};
