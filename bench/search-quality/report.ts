/**
 * The results file: date, machine, `uptime`, the exact command, the goal's measured status, then per cell the planner
 * table, the paired differences and the final stage's noise, and what the intervals do and do not show.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { dirname } from 'node:path';
import { type Options, regimeText } from './flags.js';
import { DDPG_PLANNERS, matchedDdpg, TIME_MATCHED } from './plan.js';
import type { Row } from './rows.js';
import { caveats, type Cell, comparisons, differenceTable, goalStatus, goalText, noiseText, plannerTable } from './table.js';

function machineText(backend: string): string {
  const cpu = cpus();
  let load = '';
  try {
    load = execSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    load = 'uptime not available';
  }
  return `${cpu[0]?.model.trim() ?? 'unknown cpu'}, ${cpu.length} cores (shared), ${platform()} ${release()}, node ${process.version}, backend ${backend}\n- uptime at the end: \`${load}\``;
}

export interface ReportInput {
  options: Options;
  command: string;
  rows: Row[];
  backend: string;
  started: string;
  rowsPath: string;
  /** Commits the rows were measured on (more than one after a resume across commits). */
  commits: string[];
}

export function writeReport(r: ReportInput): string {
  const o = r.options;
  const planners = [...o.planners, ...(r.rows.some((x) => x.planner === TIME_MATCHED) ? [TIME_MATCHED] : [])];
  const cells: Cell[] = o.models.flatMap((model) => o.regimes.map((regime) => ({ model, regime: regimeText(regime) })));
  const failed = r.rows.filter((x) => x.status === 'failed');
  const sections = cells.map((cell) => {
    const list = comparisons(r.rows, cell, planners);
    const baseline = r.rows.find((x) => x.model === cell.model && x.regime === cell.regime && x.baselineTest !== undefined)?.baselineTest;
    const limit = r.rows.find((x) => x.model === cell.model && x.regime === cell.regime && x.limit !== undefined)?.limit;
    return [
      `### ${cell.model}, ${cell.regime.replace(/:(\d+)-(\d+)$/, ' (bits $1..$2)')}${limit === undefined ? '' : `: limit ${limit.toFixed(0)} bytes`}${baseline === undefined ? '' : `, baseline test ${(baseline * 100).toFixed(2)}%`}`,
      plannerTable(r.rows, cell, planners),
      'Paired differences of test accuracy (same seed), in points:',
      differenceTable(list),
      noiseText(r.rows, cell, list, o.finals),
    ].join('\n\n');
  });
  const goals = DDPG_PLANNERS.filter((p) => o.planners.includes(p)).map((p) => goalText(goalStatus(r.rows, cells, planners, p), cells.length));
  const comparisonCount = cells.reduce((s, cell) => s + comparisons(r.rows, cell, planners).length, 0);
  const matched = matchedDdpg(o.planners);
  const text = [
    '# Search quality, one pipeline for every planner',
    '',
    `- date: ${r.started} to ${new Date().toISOString()}`,
    `- machine: ${machineText(r.backend)}`,
    `- command: \`${r.command}\` (run with --jobs ${o.jobs}: that many runs side by side, each in its own process)`,
    `- code: ${r.commits.join(', ')}`,
    `- raw rows (one JSON object a line, every reward curve): ${r.rowsPath}`,
    '',
    'Every planner goes through the same pipeline, the product\'s own code: `runSearch`, then `finishRun` (the re-rank of the run\'s top candidates, then the final fine-tune of the pick from the original weights, scored once on the test split)' +
      (o.finals > 1 ? `, then ${o.finals - 1} more final(s) of the same pick by \`applyStrategy\` under seeds 1000 s + j; a row's test accuracy is the mean of its ${o.finals} finals` : '') +
      '. Each table row states its episodes, its fine-tune steps per episode, its re-rank (top k x steps) and its final steps.',
    `Seeds ${o.seeds.join(', ')}: ${o.seeds.every((s) => s > 5) ? 'fresh seeds, none of the defaults was chosen on them' : 'NOT all fresh: the defaults were chosen on seeds 1 to 5'}. The data split is the same for every run (data seed 1): the seed changes the search and the fine-tune batches, not which images are train, validation or test.`,
    matched && planners.includes(TIME_MATCHED)
      ? `\`${TIME_MATCHED}\` is the knapsack's answer refined by local search for as long as ${matched} searched in the same cell and seed (${o.timeMatch === 'time' ? 'its measured search time passed as the run\'s time limit' : "episodes = (DDPG's search seconds - local's fixed overhead) / local's seconds per episode, both measured in that seed"}).`
      : '',
    failed.length ? `\n**${failed.length} run(s) FAILED**: ${failed.map((x) => `${x.id} (${x.note})`).join('; ')}.` : '',
    '',
    '## Goal: DDPG\'s mean at least every other planner\'s in all four cells, and above the knapsack and above local search with the paired interval clear of 0 in at least two',
    '',
    cells.length < 4 ? `Only ${cells.length} of the goal's 4 cells were run: the goal cannot be met by this run, whatever the table says.\n` : '',
    goals.length ? goals.join('\n\n') : '(no DDPG planner was run)',
    '',
    '## What the intervals show, and what they do not',
    '',
    caveats(o.seeds, comparisonCount),
    '',
    '## Results',
    '',
    sections.join('\n\n'),
    '',
  ]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, text);
  return text;
}
