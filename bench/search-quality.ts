/**
 * Search quality where search matters (issue 12, item 6): regimes where uniform quantization breaks (size budgets of
 * 1 to 2 bits per weight with bits 1..8, and the smallest model within one point of the baseline), every planner
 * (uniform, greedy, knapsack, random, ddpg), several seeds. For each run: the search (run/search.ts), then the final
 * fine-tune of its best strategy from the ORIGINAL weights and the TEST accuracy (run/final/final.ts), and the per-episode
 * rewards from the store. The results file has, per model and regime: mean test accuracy with its Student-t 95% CI
 * (bench/stats.ts), mean cost, the paired difference ddpg - random (and ddpg - each other planner) per seed with its
 * CI, and the best-so-far validation reward by episode (mean over seeds) of ddpg and random. The raw rows (every
 * curve included, for the plots) go to a JSON file beside the results, rewritten after every run; `--resume` skips
 * the rows it already holds.
 *
 *   npx tsx bench/search-quality.ts [--models lenet5,mobilenet-tiny] [--regimes size:1bits,size:1.5bits,size:2bits,within-drop]
 *     [--agents uniform,greedy,knapsack,random,ddpg] [--seeds 1,2,3,4,5] [--episodes 100] [--finetune-steps N]
 *     [--final-steps N] [--rerank-steps N] [--reward accuracy|cross-entropy] [--warmup N] [--noise-layers K] [--knobs bits,prune] [--max-drop 0.01] [--within-drop-budget size:8bits]
 *     [--repeat-deterministic] [--data mnist] [--backend auto] [--workdir DIR] [--out bench/results/search-quality.md]
 *     [--resume] [--shard K/N] [--reuse FILE.json] [--quick]
 *
 * - Planners: the run config's agents, plus `ddpg+knapsack` (DDPG warm-started by the knapsack's answer, the run
 *   config's warmStart), which --agents accepts beside the default five. `NAME@REWARD` (e.g. `ddpg@cross-entropy`)
 *   runs a planner with its own reward, whatever --reward says.
 * - --resume keeps the finished rows of this output (and of its shards) written by the same command, or by one that
 *   differs only in --agents (each label names its own settings), for the planners still asked for.
 * - --reuse FILE.json takes the finished rows of the one-shot planners (uniform, greedy, knapsack: one strategy, no
 *   episodes) from another results file whose command differs from this one at most in --agents, --episodes,
 *   --warmup, --noise-layers and --out, and random search's rows too when --episodes and --warmup match: their runs
 *   do not depend on those flags, so a DDPG variant is compared without re-running them. The rows keep a note naming
 *   the file, and the report says which were reused.
 * - Seeds: random, ddpg and ddpg+knapsack run every seed; uniform, greedy and knapsack once (the first seed) unless
 *   --repeat-deterministic, which runs them on every seed too (the seed then only changes their fine-tune draws, which
 *   is the noise an interval should carry).
 * - uniform searches bits only, so it is exactly "uniform N-bit" (the largest N that fits). In the within-drop regime
 *   it is a sweep, as a user would do it: uniform 1, 2, ... bits until the validation accuracy is within the drop
 *   (only the pick gets the final stage).
 * - A regime or planner that throws an input error (ConfigError, BudgetError: e.g. a budget form or an agent this
 *   build does not know yet) is skipped with a printed note, also in the results; any other failure is recorded as
 *   failed, the bench goes on and exits 1 at the end.
 * - All runs share one work directory (default: a fresh temp folder), so each baseline model is trained once.
 * - --shard K/N: this process runs only every N-th run (the K-th, (K+N)-th, ...) and writes its rows to
 *   `<out>.shard-K-of-N.json`, so N processes (one per core) share one benchmark. Afterwards the same command with
 *   --resume and without --shard gathers every shard's rows (their command must be this one) and writes the report.
 * - --quick: lenet5, size:2bits, uniform + random, seeds 1,2, 3 episodes, tiny fine-tunes, output to the temp folder
 *   (never over the recorded results); any flag given explicitly wins.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { selectBackend } from '../env/backend.js';
import { parseBudget } from '../env/budget.js';
import { isInputError } from '../errors.js';
import { DEFAULT_CONFIG, parseRunConfig, type RunConfig } from '../run/config.js';
import type { RunEvent } from '../run/events.js';
import { finishRun } from '../run/final/final.js';
import { runSearch, storePath } from '../run/search.js';
import { openStore } from '../run/store/store.js';
import { arg, table, writeResults } from './common.js';
import { confidenceInterval, mean, pairedDifference } from './stats.js';

// ---- flags -------------------------------------------------------------------------------------------------------

const quick = process.argv.includes('--quick');
const given = (name: string) => process.argv.includes(`--${name}`);
const list = (name: string, full: string, small: string) => arg(name, quick ? small : full).split(',').map((s) => s.trim()).filter(Boolean);

const models = list('models', 'lenet5,mobilenet-tiny', 'lenet5');
const regimes = list('regimes', 'size:1bits,size:1.5bits,size:2bits,within-drop', 'size:2bits');
const agents = list('agents', 'uniform,greedy,knapsack,random,ddpg', 'uniform,random');
const seeds = list('seeds', '1,2,3,4,5', '1,2').map(Number);
const episodes = Number(arg('episodes', quick ? '3' : '100'));
const finetuneSteps = given('finetune-steps') || quick ? Number(arg('finetune-steps', '5')) : undefined;
const finalSteps = given('final-steps') || quick ? Number(arg('final-steps', '20')) : undefined;
const rewardKind = given('reward') ? (arg('reward', 'accuracy') as RunConfig['reward']) : undefined;
const rerankSteps = given('rerank-steps') ? Number(arg('rerank-steps', '0')) : undefined;
const noiseLayers = given('noise-layers') ? Number(arg('noise-layers', '0')) : undefined;
const knobs = list('knobs', 'bits,prune', 'bits,prune') as RunConfig['knobs'];
const maxDrop = Number(arg('max-drop', '0.01'));
const withinDropBudget = arg('within-drop-budget', 'size:8bits');
const repeatDeterministic = given('repeat-deterministic');
const data = arg('data', 'mnist');
const workdir = arg('workdir', '') || mkdtempSync(join(tmpdir(), 'autoshrink-search-quality-'));
const out = arg('out', quick ? join(tmpdir(), 'autoshrink-search-quality-quick.md') : 'bench/results/search-quality.md');
const shardArg = arg('shard', '');
const shard = shardArg ? shardArg.split('/').map(Number) : null;
if (shard && !(shard.length === 2 && Number.isInteger(shard[0]) && Number.isInteger(shard[1]) && shard[0] >= 1 && shard[0] <= shard[1])) {
  throw new Error(`--shard needs K/N with 1 <= K <= N, e.g. 1/2; got ${shardArg}`);
}
const outBase = out.replace(/\.md$/, '');
const shardPath = (k: number, n: number) => `${outBase}.shard-${k}-of-${n}.json`;
const rowsPath = shard ? shardPath(shard[0], shard[1]) : `${outBase}.json`;
const resume = given('resume');
const reuse = arg('reuse', '');
const bitBounds: [number, number] = [1, 8];
// DDPG needs warm-up < episodes: take the config's default unless it would swallow the run, then a third of it
const defaultWarmup = (DEFAULT_CONFIG as Partial<RunConfig>).warmup;
const warmup = given('warmup') ? Number(arg('warmup', '0')) : typeof defaultWarmup === 'number' && defaultWarmup >= episodes ? Math.floor(episodes / 3) : undefined;

const SEEDED_BASES = new Set(['random', 'ddpg', 'ddpg+knapsack']);
/** A planner label is `BASE` or `BASE@REWARD` (e.g. `ddpg@cross-entropy`): the suffix sets that planner's reward. */
const baseOf = (label: string) => label.split('@')[0];
const rewardOf = (label: string) => label.split('@')[1] as RunConfig['reward'] | undefined;
const SEEDED = { has: (label: string) => SEEDED_BASES.has(baseOf(label)) };
/** A planner label of this bench as run config: `ddpg+knapsack` is DDPG warm-started by the knapsack's answer. */
const agentConfig = (label: string): Partial<RunConfig> => ({
  ...(baseOf(label) === 'ddpg+knapsack' ? { agent: 'ddpg', warmStart: 'knapsack' } : { agent: baseOf(label) as RunConfig['agent'] }),
  ...(rewardOf(label) === undefined ? {} : { reward: rewardOf(label) }),
});
const isDdpg = (label: string) => baseOf(label) === 'ddpg' || baseOf(label) === 'ddpg+knapsack';
const backendRequest = arg('backend', 'auto');
const backend = (await selectBackend(backendRequest)).name;
const numbers = { episodes, maxDrop, ...(finetuneSteps === undefined ? {} : { finetuneSteps }), ...(finalSteps === undefined ? {} : { finalSteps }), ...(rerankSteps === undefined ? {} : { rerankSteps }), ...(warmup === undefined ? {} : { warmup }), ...(noiseLayers === undefined ? {} : { noiseLayers }) };
for (const [name, v] of Object.entries(numbers)) if (!Number.isFinite(v)) throw new Error(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs a number`);
if (seeds.length === 0 || !seeds.every(Number.isInteger)) throw new Error(`--seeds needs integers, e.g. 1,2,3,4,5`);

const command = [
  'npx tsx bench/search-quality.ts',
  `--models ${models.join(',')}`,
  `--regimes ${regimes.join(',')}`,
  `--agents ${agents.join(',')}`,
  `--seeds ${seeds.join(',')}`,
  `--episodes ${episodes}`,
  finetuneSteps === undefined ? '' : `--finetune-steps ${finetuneSteps}`,
  finalSteps === undefined ? '' : `--final-steps ${finalSteps}`,
  rerankSteps === undefined ? '' : `--rerank-steps ${rerankSteps}`,
  rewardKind === undefined ? '' : `--reward ${rewardKind}`,
  warmup === undefined ? '' : `--warmup ${warmup}`,
  noiseLayers === undefined ? '' : `--noise-layers ${noiseLayers}`,
  `--knobs ${knobs.join(',')}`,
  `--max-drop ${maxDrop}`,
  `--within-drop-budget ${withinDropBudget}`,
  repeatDeterministic ? '--repeat-deterministic' : '',
  `--data ${data}`,
  backendRequest === 'auto' ? '' : `--backend ${backendRequest}`,
  reuse ? `--reuse ${reuse}` : '',
  `--out ${out}`,
]
  .filter(Boolean)
  .join(' ');

const say = (line: string) => process.stdout.write(`${line}\n`);
say(command);
say(`backend ${backend}, work directory ${workdir}, rows to ${rowsPath}`);

// ---- one run -----------------------------------------------------------------------------------------------------

interface Row {
  model: string;
  regime: string;
  agent: string;
  seed: number;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  runId?: string;
  /** The budget the run searched under (its unit's limit) and the uniform sweep's pick, if any. */
  budget?: string;
  limit?: number;
  baselineValidation?: number;
  baselineTest?: number;
  /** The finished episode (the search's best, or the final stage's re-ranked pick), its validation accuracy and cost
   * (budget unit) as the search scored it. */
  episode?: number;
  validation?: number;
  cost?: number;
  /** After the final fine-tune from the original weights. */
  test?: number;
  packedBytes?: number;
  /** Reward of every episode, in order. */
  rewards?: number[];
  minutes?: number;
  /** The settings the run actually used (from its stored config). */
  settings?: { finetuneSteps: number; finalSteps: number; warmup: number; episodes: number; knobs: string[] };
}

function regimeConfig(regime: string): Partial<RunConfig> {
  if (regime === 'within-drop') return { budget: withinDropBudget, reward: 'within-drop', maxDrop };
  return { budget: regime, ...(rewardKind === undefined ? {} : { reward: rewardKind }) };
}

/** Prints the run's log lines (baseline training, sensitivities) and an episode line now and then, so a long run shows it is alive. */
function progress(label: string) {
  const every = Math.max(1, Math.round(episodes / 10));
  return (e: RunEvent) => {
    if (e.type === 'log') say(`  ${label}: ${e.message}`);
    if (e.type === 'episode-finished' && ((e.episode + 1) % every === 0 || e.episode === 0)) {
      say(`  ${label} episode ${e.episode + 1}: accuracy ${(e.accuracy * 100).toFixed(2)}%, reward ${e.reward.toFixed(4)}, ${e.seconds.toFixed(1)} s`);
    }
  };
}

/** The search alone: its row without the final stage (no test accuracy yet). Input errors come back as a skipped
 * row, others as failed. */
async function search(model: string, regime: string, agent: string, seed: number, overrides: Partial<RunConfig> = {}): Promise<Row> {
  const label = labelOf({ model, regime, agent, seed }, overrides);
  const t0 = performance.now();
  let baselineValidation: number | undefined;
  const onProgress = progress(label);
  try {
    const input: Partial<RunConfig> = {
      model,
      data,
      seed,
      ...agentConfig(agent),
      episodes,
      bitBounds,
      knobs: agent === 'uniform' ? ['bits'] : knobs,
      ...regimeConfig(regime),
      ...(finetuneSteps === undefined ? {} : { finetuneSteps }),
      ...(finalSteps === undefined ? {} : { finalSteps }),
      ...(rerankSteps === undefined ? {} : { rerankSteps }),
      ...(warmup === undefined || !isDdpg(agent) ? {} : { warmup }),
      ...(noiseLayers === undefined || !isDdpg(agent) ? {} : { noiseLayers }),
      ...(rewardOf(agent) === undefined ? {} : { reward: rewardOf(agent) }),
      ...overrides,
    };
    say(`${label}: searching`);
    const run = await runSearch(input, {
      workdir,
      backend,
      onEvent: (e) => {
        if (e.type === 'run-started') baselineValidation = e.baselineAccuracy;
        onProgress(e);
      },
    });
    const store = openStore(storePath(workdir), { readonly: true });
    try {
      const stored = store.getRun(run.runId);
      const config = parseRunConfig(stored.config, `stored config of run ${run.runId}`);
      const best = run.best ? store.episodes(run.runId).find((e) => e.episode === run.best!.episode) : undefined;
      return {
        model,
        regime,
        agent,
        seed,
        status: 'ok',
        runId: run.runId,
        budget: config.budget,
        limit: stored.budget.limit,
        baselineValidation,
        episode: best?.episode,
        validation: best?.accuracy,
        cost: best?.cost,
        rewards: store.episodes(run.runId).map((e) => e.reward),
        minutes: (performance.now() - t0) / 60000,
        settings: { finetuneSteps: config.finetuneSteps, finalSteps: config.finalSteps, warmup: config.warmup, episodes: config.episodes, knobs: config.knobs },
      };
    } finally {
      store.close();
    }
  } catch (e) {
    return failure({ model, regime, agent, seed }, label, e);
  }
}

/** The final stage of a searched row: long fine-tune of the pick (re-ranked where the run config asks), test accuracy. */
async function finish(row: Row, overrides: Partial<RunConfig> = {}): Promise<Row> {
  if (row.status !== 'ok') return row;
  const label = labelOf(row, overrides);
  const t0 = performance.now();
  try {
    const final = await finishRun(row.runId!, { workdir, backend });
    const store = openStore(storePath(workdir), { readonly: true });
    let chosen;
    try {
      const pick = final.rerank?.find((r) => r.chosen)?.episode ?? row.episode;
      chosen = store.episodes(row.runId!).find((e) => e.episode === pick);
    } finally {
      store.close();
    }
    const done: Row = {
      ...row,
      baselineTest: final.baselineTestAccuracy,
      episode: chosen?.episode,
      validation: chosen?.accuracy,
      cost: chosen?.cost,
      test: final.testAccuracy,
      packedBytes: final.sizes.packedBytes,
      minutes: row.minutes! + (performance.now() - t0) / 60000,
    };
    say(`${label}: finished episode ${(done.episode ?? -1) + 1} (validation ${pct(done.validation)} in the search), test ${pct(done.test)}, cost ${done.cost?.toFixed(0)} (limit ${done.limit?.toFixed(0)}), ${done.minutes!.toFixed(1)} min, run ${done.runId}`);
    return done;
  } catch (e) {
    return failure(row, label, e);
  }
}

function labelOf(r: Pick<Row, 'model' | 'regime' | 'agent' | 'seed'>, overrides: Partial<RunConfig>): string {
  return `${r.model} ${r.regime} ${r.agent} seed ${r.seed}${overrides.budget && r.regime === 'within-drop' ? ` (${overrides.budget})` : ''}`;
}

function failure(id: Pick<Row, 'model' | 'regime' | 'agent' | 'seed'>, label: string, e: unknown): Row {
  const { model, regime, agent, seed } = id;
  const message = (e as Error).message;
  if (isInputError(e)) {
    say(`${label}: SKIPPED (${(e as Error).name}: ${message})`);
    return { model, regime, agent, seed, status: 'skipped', note: `${(e as Error).name}: ${message}` };
  }
  say(`${label}: FAILED\n${(e as Error).stack ?? message}`);
  return { model, regime, agent, seed, status: 'failed', note: message };
}

/** Search, then the final stage. */
async function measure(model: string, regime: string, agent: string, seed: number): Promise<Row> {
  return finish(await search(model, regime, agent, seed));
}

/**
 * Within-drop for uniform: the fewest uniform bits whose validation accuracy (one search episode) is within the drop,
 * as a user would sweep; only that one gets the final stage.
 */
async function uniformSweep(model: string, seed: number): Promise<Row> {
  let last: Row | null = null;
  for (let bits = bitBounds[0]; bits <= bitBounds[1]; bits++) {
    const row = await search(model, 'within-drop', 'uniform', seed, { budget: `size:${bits}bits` });
    if (row.status !== 'ok') return row;
    last = row;
    if (row.validation !== undefined && row.baselineValidation !== undefined && row.validation >= row.baselineValidation - maxDrop - 1e-12) break;
  }
  const done = await finish(last!, { budget: last!.budget });
  return done.status === 'ok' ? { ...done, note: `sweep stopped at ${last!.budget}` } : done;
}

// ---- the loop ----------------------------------------------------------------------------------------------------

const key = (r: Pick<Row, 'model' | 'regime' | 'agent' | 'seed'>) => `${r.model}|${r.regime}|${r.agent}|${r.seed}`;
// --resume keeps the finished rows of an earlier run of the same command; skipped and failed ones are tried again
const rows: Row[] = [];
/** Whether two recorded commands are the same apart from the given flags (each `--flag value`). */
const sameBut = (a: string, b: string, flags: string[]) => {
  const strip = (c: string) => c.replace(new RegExp(` --(${flags.join('|')}) \\S+`, 'g'), '');
  return strip(a) === strip(b);
};
if (resume) {
  // the rows file of this output and every shard file of it; a row is kept when the command that wrote it differs at
  // most in --agents (a label names all of its own settings) and its planner is still asked for
  const outDir = dirname(outBase);
  const shardFiles = existsSync(outDir || '.') ? readdirSync(outDir || '.').filter((f) => f.startsWith(`${basename(outBase)}.shard-`) && f.endsWith('.json')).map((f) => join(outDir, f)) : [];
  for (const path of [...new Set([`${outBase}.json`, rowsPath, ...shardFiles])].filter((p) => existsSync(p))) {
    const before = JSON.parse(readFileSync(path, 'utf8')) as { command: string; rows: Row[] };
    if (!sameBut(before.command, command, ['agents'])) {
      say(`--resume: ${path} was written by another command:\n  ${before.command}\nrun that command again with --resume, or choose another --out`);
      process.exit(2);
    }
    const fresh = before.rows.filter((r) => r.status === 'ok' && agents.includes(r.agent) && !rows.some((k) => key(k) === key(r)));
    rows.push(...fresh);
    say(`resuming: ${fresh.length} finished runs from ${path}`);
  }
}
if (reuse) {
  // one-shot planners make one strategy without episodes: flags that only shape a search's episodes do not touch them
  if (!existsSync(reuse)) {
    say(`--reuse: ${reuse} does not exist; give the .json rows file of an earlier run of this bench`);
    process.exit(2);
  }
  const before = JSON.parse(readFileSync(reuse, 'utf8')) as { command: string; rows: Row[] };
  if (!sameBut(before.command, command, ['agents', 'episodes', 'warmup', 'noise-layers', 'out', 'reuse'])) {
    say(`--reuse: ${reuse} was written by a command that differs in more than --agents, --episodes, --warmup, --noise-layers and --out:\n  ${before.command}`);
    process.exit(2);
  }
  // random search also ignores --noise-layers (a DDPG flag): its rows are reusable when the episodes match too
  const sameEpisodes = sameBut(before.command, command, ['agents', 'noise-layers', 'out', 'reuse']);
  const reusable = (agent: string) => !SEEDED.has(agent) || (sameEpisodes && baseOf(agent) === 'random');
  const taken = before.rows.filter((r) => r.status === 'ok' && reusable(r.agent) && agents.includes(r.agent) && !rows.some((k) => key(k) === key(r)));
  rows.push(...taken.map((r) => ({ ...r, note: `reused from ${reuse}` })));
  say(`--reuse: ${taken.length} runs of planners these flags do not change, from ${reuse}`);
}
const save = () => writeFileSync(rowsPath, JSON.stringify({ command, date: new Date().toISOString(), backend, rows }, null, 1));

// regimes and agents this build cannot take are skipped up front, once, with the reason
const badRegime = new Map<string, string>();
for (const regime of regimes) {
  try {
    parseRunConfig(regimeConfig(regime));
    parseBudget(regimeConfig(regime).budget!);
  } catch (e) {
    if (!isInputError(e)) throw e;
    badRegime.set(regime, (e as Error).message);
    say(`regime ${regime} SKIPPED: ${(e as Error).message}`);
  }
}
const badAgent = new Map<string, string>();
for (const agent of agents) {
  try {
    parseRunConfig(agentConfig(agent));
  } catch (e) {
    if (!isInputError(e)) throw e;
    badAgent.set(agent, (e as Error).message);
    say(`agent ${agent} SKIPPED: ${(e as Error).message}`);
  }
}

const total = models.length * regimes.length * agents.reduce((s, a) => s + (SEEDED.has(a) || repeatDeterministic ? seeds.length : 1), 0);
let done = 0;
for (const model of models) {
  for (const regime of regimes) {
    for (const agent of agents) {
      for (const seed of SEEDED.has(agent) || repeatDeterministic ? seeds : [seeds[0]]) {
        done += 1;
        const id = { model, regime, agent, seed };
        if (shard && (done - 1) % shard[1] !== shard[0] - 1) continue;
        if (rows.some((r) => key(r) === key(id))) continue;
        const reason = badRegime.get(regime) ?? badAgent.get(agent);
        if (reason) {
          rows.push({ ...id, status: 'skipped', note: reason });
          continue;
        }
        say(`[${done}/${total}]`);
        const row = regime === 'within-drop' && agent === 'uniform' ? await uniformSweep(model, seed) : await measure(model, regime, agent, seed);
        rows.push(row);
        save();
        // an agent this build rejects for one seed rejects it for all: skip the rest of its seeds
        if (row.status === 'skipped') {
          const later = SEEDED.has(agent) || repeatDeterministic ? seeds : [];
          for (const s of later) if (s !== seed && !rows.some((r) => key(r) === key({ ...id, seed: s }))) rows.push({ ...id, seed: s, status: 'skipped', note: row.note });
        }
      }
    }
  }
}
save();
if (shard) {
  say(`shard ${shard[0]}/${shard[1]} done: ${rowsPath}. When every shard is done, run the same command with --resume and without --shard for the report.`);
  process.exit(rows.some((r) => r.status === 'failed') ? 1 : 0);
}

// ---- the report --------------------------------------------------------------------------------------------------

function pct(v: number | undefined): string {
  return v === undefined || Number.isNaN(v) ? '-' : `${(v * 100).toFixed(2)}%`;
}
const points = (v: number) => (Number.isNaN(v) ? '-' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)}`);
const ciText = (halfWidth: number) => (Number.isNaN(halfWidth) ? '- (one run)' : `+-${(halfWidth * 100).toFixed(2)}`);
const bytes = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(0)}`;
const bytesCi = (halfWidth: number) => (Number.isNaN(halfWidth) ? '(one run)' : `+-${halfWidth.toFixed(0)}`);

function bestSoFar(rewards: number[]): number[] {
  let best = -Infinity;
  return rewards.map((r) => (best = Math.max(best, r)));
}

/** Mean over runs of the best-so-far reward at each episode, at ~20 evenly spaced episodes and the last. */
function curveTable(ok: Row[], curveAgents: string[]): string {
  const curves = new Map(curveAgents.map((a) => [a, ok.filter((r) => r.agent === a && r.rewards?.length).map((r) => bestSoFar(r.rewards!))]));
  const length = Math.max(0, ...[...curves.values()].flat().map((c) => c.length));
  if (length === 0) return '';
  const step = Math.max(1, Math.round(length / 20));
  const at = [...new Set([...Array.from({ length: Math.ceil(length / step) }, (_, i) => i * step), length - 1])];
  const rowsOut = at.map((e) => [e + 1, ...curveAgents.map((a) => {
    const values = curves.get(a)!.filter((c) => c.length > e).map((c) => c[e]);
    return values.length ? `${mean(values).toFixed(4)} (${values.length})` : '-';
  })]);
  const meanCurve = (a: string) =>
    Array.from({ length }, (_, e) => {
      const values = curves.get(a)!.filter((c) => c.length > e).map((c) => c[e]);
      return values.length ? mean(values) : NaN;
    }).filter((v) => !Number.isNaN(v));
  const drawn = curveAgents.filter((a) => curves.get(a)!.length > 0);
  // one line per planner, in the order of the legend (asciichart's default colours are lost in a markdown file)
  const plot = drawn.length
    ? `\n\nBest-so-far validation reward by episode, mean over seeds (${drawn.map((a, i) => `${'*o+x#'[i]} ${a}`).join(', ')}):\n\n\`\`\`\n${asciiPlot(drawn.map(meanCurve), '*o+x#')}\n\`\`\``
    : '';
  return table(['episode', ...curveAgents.map((a) => `${a}: best-so-far reward, mean (runs)`)], rowsOut) + plot;
}

/** Curves as a character plot, one symbol per series, 12 rows high, one column per episode up to 80 columns (longer
 * runs: column x shows the episode at x / 79 of the run). */
function asciiPlot(series: number[][], symbols: string): string {
  const all = series.flat();
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const height = 12;
  const episodes = Math.max(...series.map((s) => s.length));
  const width = Math.min(episodes, 80);
  const episodeAt = (x: number) => (width === episodes ? x : Math.round((x * (episodes - 1)) / (width - 1)));
  const grid = Array.from({ length: height }, () => new Array<string>(width).fill(' '));
  series.forEach((s, k) => {
    for (let x = 0; x < width; x++) {
      const v = s[episodeAt(x)];
      if (v === undefined) continue;
      const y = hi > lo ? Math.round(((v - lo) / (hi - lo)) * (height - 1)) : 0;
      grid[height - 1 - y][x] = symbols[k];
    }
  });
  const label = Math.max(...[lo, hi].map((v) => v.toFixed(4).length));
  return grid.map((row, r) => `${(hi - ((hi - lo) * r) / (height - 1)).toFixed(4).padStart(label)} |${row.join('')}`).join('\n') + `\n${' '.repeat(label)} +${'-'.repeat(width)} episode 1..${episodes}${width < episodes ? ` (one column per ${((episodes - 1) / (width - 1)).toFixed(1)} episodes)` : ''}`;
}

const sections: string[] = [];
const verdicts: string[] = [];
for (const model of models) {
  for (const regime of regimes) {
    const here = rows.filter((r) => r.model === model && r.regime === regime);
    const ok = here.filter((r) => r.status === 'ok');
    const limit = ok.find((r) => r.limit !== undefined && r.agent !== 'uniform')?.limit ?? ok.find((r) => r.limit !== undefined)?.limit;
    const title = `### ${model}, ${regime === 'within-drop' ? `within-drop (at most ${maxDrop * 100} point${maxDrop === 0.01 ? '' : 's'} below the baseline, budget ${withinDropBudget})` : regime}${limit === undefined ? '' : `: limit ${limit.toFixed(0)} bytes`}`;
    const parts = [title];
    if (ok.length === 0) {
      parts.push(`No run finished. ${here.map((r) => `${r.agent} seed ${r.seed}: ${r.status}${r.note ? ` (${r.note})` : ''}`).filter((v, i, a) => a.indexOf(v) === i).join('; ')}`);
      sections.push(parts.join('\n\n'));
      continue;
    }
    const baseline = ok.find((r) => r.baselineTest !== undefined)?.baselineTest;
    const tableRows: Array<Array<string | number>> = [];
    for (const agent of agents) {
      const rs = ok.filter((r) => r.agent === agent);
      const notOk = here.filter((r) => r.agent === agent && r.status !== 'ok');
      if (rs.length === 0) {
        tableRows.push([agent, 0, notOk[0] ? `${notOk[0].status}: ${notOk[0].note ?? ''}`.slice(0, 120) : 'not run', '', '', '', '', ...(regime === 'within-drop' ? [''] : []), '']);
        continue;
      }
      const ci = confidenceInterval(rs.map((r) => r.test!));
      const within = regime === 'within-drop' ? `${rs.filter((r) => r.test! >= r.baselineTest! - maxDrop - 1e-12).length}/${rs.length}` : '';
      tableRows.push([
        agent + (agent === 'uniform' && regime === 'within-drop' ? ` (${[...new Set(rs.map((r) => r.budget))].join(', ')})` : ''),
        rs.length,
        pct(ci.mean),
        ciText(ci.halfWidth),
        pct(mean(rs.map((r) => r.validation!))),
        mean(rs.map((r) => r.cost!)).toFixed(0),
        mean(rs.map((r) => r.packedBytes!)).toFixed(0),
        ...(regime === 'within-drop' ? [within] : []),
        mean(rs.map((r) => r.minutes!)).toFixed(1),
      ]);
    }
    const header = ['agent', 'runs', 'test acc (mean)', '95% CI (points)', 'search val acc of the pick (mean)', 'cost (bytes, mean)', 'packed bytes (mean)', ...(regime === 'within-drop' ? ['within drop on test'] : []), 'minutes / run'];
    parts.push(`Baseline test accuracy ${pct(baseline)}.\n\n${table(header, tableRows)}`);

    // paired differences: ddpg - each other planner, per seed
    const diffRows: Array<Array<string | number>> = [];
    for (const learner of agents.filter(isDdpg)) {
      const ddpg = new Map(ok.filter((r) => r.agent === learner).map((r) => [r.seed, r]));
      for (const other of agents.filter((a) => a !== learner && !(learner === 'ddpg' && a === 'ddpg+knapsack'))) {
        const theirs = ok.filter((r) => r.agent === other);
        if (ddpg.size === 0 || theirs.length === 0) continue;
        const single = theirs.length === 1 && !SEEDED.has(other);
        const pairs = single ? [...ddpg.values()].map((r) => [r, theirs[0]] as const) : theirs.filter((r) => ddpg.has(r.seed)).map((r) => [ddpg.get(r.seed)!, r] as const);
        if (pairs.length === 0) continue;
        const d = pairedDifference(pairs.map((p) => p[0].test!), pairs.map((p) => p[1].test!));
        const c = pairedDifference(pairs.map((p) => p[0].cost!), pairs.map((p) => p[1].cost!));
        diffRows.push([
          `${learner} - ${other}${single ? ' (one run of it: its own noise not in the CI)' : ''}`,
          pairs.length,
          points(d.mean),
          ciText(d.halfWidth),
          Number.isNaN(d.halfWidth) ? '-' : `[${points(d.low)}, ${points(d.high)}]`,
          `${bytes(c.mean)} ${bytesCi(c.halfWidth)}`,
        ]);
        if (regime === 'within-drop' && ['random', 'knapsack', 'greedy', 'uniform'].includes(baseOf(other))) {
          verdicts.push(`- ${model} within-drop: ${learner} - ${other} cost = ${bytes(c.mean)} bytes (95% CI ${bytesCi(c.halfWidth)}), test accuracy ${points(d.mean)} points (${pairs.length} seeds); here smaller is the goal, within the drop`);
        }
        const goal = baseOf(other) === 'random' ? 0.01 : 0;
        if (['random', 'knapsack', 'greedy'].includes(baseOf(other)) && regime !== 'within-drop') {
          const met = d.mean >= goal;
          const sure = !Number.isNaN(d.low) && d.low >= goal;
          verdicts.push(`- ${model} ${regime}: ${learner} - ${other} = ${points(d.mean)} points (95% CI ${Number.isNaN(d.halfWidth) ? 'n/a' : `[${points(d.low)}, ${points(d.high)}]`}, ${pairs.length} seeds); goal >= ${points(goal)}: ${met ? (sure ? 'met, CI above the goal' : 'met on the mean, CI reaches below the goal') : 'MISSED'}`);
        }
      }
    }
    if (diffRows.length) parts.push('Paired differences (same seed) of test accuracy, in points, and of cost, in bytes:\n\n' + table(['comparison', 'pairs', 'test acc: mean', '95% CI', 'interval', 'cost: mean, 95% CI'], diffRows));

    const curve = curveTable(ok, agents.filter((a) => SEEDED.has(a)));
    if (curve) parts.push('Best-so-far validation reward by episode (mean over seeds; the reward is the validation accuracy unless the regime or the planner label\'s @reward says otherwise: cross-entropy rewards are minus the validation loss):\n\n' + curve);
    // one note per distinct text, naming the runs it applies to (e.g. every reused one-shot row at once)
    const byNote = new Map<string, string[]>();
    for (const r of here.filter((r) => r.status !== 'ok' || r.note)) {
      const text = `${r.status}${r.note ? `, ${r.note}` : ''}`;
      byNote.set(text, [...(byNote.get(text) ?? []), `${r.agent} seed ${r.seed}`]);
    }
    if (byNote.size) parts.push(`Notes: ${[...byNote].map(([text, runs]) => `${runs.join(', ')}: ${text}`).join('; ')}.`);
    sections.push(parts.join('\n\n'));
  }
}

const used = rows.find((r) => r.settings && r.agent !== 'uniform')?.settings ?? rows.find((r) => r.settings)?.settings;
const ddpgWarmup = rows.find((r) => r.settings && isDdpg(r.agent))?.settings?.warmup;
const failed = rows.filter((r) => r.status === 'failed').length;
writeResults(
  out,
  'Search quality where search matters: uniform, greedy, knapsack, random search and DDPG',
  command,
  `Models ${models.join(', ')} on ${data === 'mnist' ? 'the bundled MNIST' : data}; bits ${bitBounds.join('..')}, knobs ${knobs.join('+')} (uniform: bits only, so it is exactly uniform N-bit). ` +
    (used ? `Each search ${used.episodes} episodes${ddpgWarmup === undefined ? '' : ` (ddpg: ${ddpgWarmup} random warm-up${noiseLayers ? `, exploration noise on about ${noiseLayers} layers an episode` : ''})`}, ${used.finetuneSteps} fine-tune steps per episode; ` : '') +
    `the best strategy (by validation reward, re-ranked by the final stage where the run config asks for it) is then fine-tuned ${used?.finalSteps ?? 'the default number of'} steps from the ORIGINAL weights and scored on the test split. ` +
    `Seeds ${seeds.join(',')} for ${agents.filter((a) => SEEDED.has(a)).join(', ')}${repeatDeterministic ? ' and for the deterministic planners too' : `; uniform, greedy and knapsack once (seed ${seeds[0]})`}. ` +
    'Intervals are Student-t 95% over runs (bench/stats.ts); paired differences take the same seed for both planners. ' +
    `Cost is the search's realised cost in the budget's unit (bytes of the size accounting); packed bytes are the real model.ashk file. Raw rows with every reward curve: ${rowsPath}.` +
    (failed ? `\n\n**${failed} run(s) FAILED**: see the notes below and the log.` : '') +
    `\n\n## Goal (issue 12): in the hard regimes ddpg >= random + 1 point and >= knapsack and greedy (mean test accuracy)\n\n${verdicts.length ? verdicts.join('\n') : '(no comparison could be made: ddpg or the others did not run)'}\n\n## Results\n\n${sections.join('\n\n')}`,
);
process.exitCode = failed ? 1 : 0;
