/**
 * Search quality, one pipeline for every planner: per cell (model x budget x bit range) the planners uniform,
 * greedy, knapsack, local, random, plain DDPG and DDPG refining the knapsack (the candidate default), each run
 * through the product's own search, re-rank and final stage over the seeds given, plus local search given DDPG's
 * measured time. Rows are appended to `<out>.rows.jsonl` as runs finish; run the same command again after a kill and
 * the finished runs are skipped (--fresh starts over). See docs in the flag list below.
 *
 *   npx tsx bench/search-quality.ts --seeds 6,7,8,9,10 [--models lenet5,mobilenet-tiny]
 *     [--regimes size:1.5bits:1-8,size:2bits:2-8] [--planners uniform,greedy,knapsack,local,random,ddpg,ddpg+knapsack]
 *     [--episodes 100 | lenet5=100,mobilenet-tiny=300] [--finetune-steps N | MODEL=N,...] [--final-steps N | MODEL=N,...]
 *     [--rerank-top K] [--rerank-steps N] [--reward R] [--holdout-size N] [--critic-warmup N] [--knobs bits,prune]
 *     [--finals N] [--noise-finals K] [--time-match episodes|time|off] [--jobs 2] [--data mnist] [--backend auto]
 *     [--workdir DIR] [--out bench/results/search-quality.md] [--fresh] [--report-only]
 *
 * - --finals N: each run's chosen strategy is finished N times (the product's finishRun, then applyStrategy under
 *   seeds 1000 s + j); the row's test accuracy is their mean.
 * - --noise-finals K: the first seed's knapsack run of each cell is finished K times, to measure the final stage's
 *   own noise beside the table (its row in the table still counts only its first --finals finals, as every row).
 * - --time-match: the local search given DDPG's wall time gets it as an episode count (default) or as the run's
 *   `time` limit (once the pipeline has one); off leaves the row out.
 * - --holdout-size and --critic-warmup are handed to the run config as holdoutSize and criticWarmup; a build that
 *   does not know a field or a planner stops here with one line per planner (exit 2), before anything runs.
 */
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { selectBackend } from '../../env/backend.js';
import { commandOf, FlagError, parseFlags } from './flags.js';
import { checkConfigs, planJobs } from './plan.js';
import { writeReport } from './report.js';
import { openRows, rowsPathOf } from './rows.js';
import { runJobs } from './schedule.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

function commitOf(): string {
  try {
    const head = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { encoding: 'utf8' }).trim() ? ' (with uncommitted changes)' : '';
    return `${head}${dirty}`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  const options = parseFlags(process.argv.slice(2));
  const command = commandOf(options);
  const jobs = planJobs(options);
  checkConfigs(jobs, options);
  // one work directory per results file, kept across restarts: baselines are trained once, a resume finds them
  const workdir = resolve(options.workdir ?? join(tmpdir(), `autoshrink-search-quality-${createHash('sha1').update(resolve(options.out)).digest('hex').slice(0, 8)}`));
  mkdirSync(workdir, { recursive: true });
  const rowsPath = rowsPathOf(options.out);
  mkdirSync(dirname(rowsPath), { recursive: true });
  const commit = commitOf();
  const started = new Date().toISOString();
  const { kept, dropped, before } = openRows(rowsPath, { command, started, commit }, jobs, options.fresh);
  say(command);
  say(`${jobs.length} runs planned; ${kept.length} finished earlier and kept${dropped ? `, ${dropped} earlier row(s) not kept (failed, or another config)` : ''}; work directory ${workdir}; rows to ${rowsPath}`);
  if (before && before.command !== command) say(`note: ${rowsPath} was started by another command (rows are kept only where the run config is identical):\n  ${before.command}`);
  const stale = kept.filter((r) => r.commit !== commit);
  if (stale.length) say(`note: ${stale.length} kept row(s) were measured on another commit (${[...new Set(stale.map((r) => r.commit))].join(', ')}); --fresh measures everything again`);
  const backend = (await selectBackend(options.backend)).name;
  const todo = jobs.filter((j) => !kept.some((r) => r.id === j.id));
  if (options.reportOnly) say(`--report-only: ${todo.length} planned run(s) not measured are left out of the report`);
  const rows = options.reportOnly ? kept : await runJobs(todo, kept, { jobs: options.jobs, workdir, backend: options.backend, commit, rowsPath, timeMatch: options.timeMatch, say });
  const planned = new Set(jobs.map((j) => j.id));
  const mine = rows.filter((r) => planned.has(r.id));
  const text = writeReport({ options, command, rows: mine, backend, started, rowsPath, commits: [...new Set(mine.map((r) => r.commit ?? 'unknown'))] });
  say(`\n${text}\nwritten to ${options.out}`);
  return mine.some((r) => r.status === 'failed') ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  if (e instanceof FlagError || (e as Error).name === 'ConfigError') {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 2;
  } else throw e;
}
