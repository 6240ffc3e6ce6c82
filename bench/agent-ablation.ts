/**
 * Which agent settings make the search learn: the search's own objective (the best validation reward found after N
 * episodes, and the mean reward of the last quarter of episodes, i.e. where the agent spends its evaluations) for
 * random search and DDPG variants, over several seeds with Student-t 95% intervals and paired differences against
 * random search. No final stage: this measures the searcher, not the final fine-tune (bench/search-quality.ts does
 * the whole pipeline on the test split).
 *
 *   npx tsx bench/agent-ablation.ts [--model lenet5] [--budget size:1bits] [--knobs bits,prune] [--bits 1-8]
 *     [--episodes 100] [--finetune-steps 0] [--seeds 1,2,3,4,5] [--variants random,ddpg,...] [--workdir DIR]
 *     [--reward accuracy|cross-entropy] [--against random] [--out bench/results/agent-ablation.md]
 *
 * Variants are named run-config overrides (VARIANTS below); each runs every seed (`knapsack` is the one-episode planner:
 * its reward is its pick's, the bar a warm start must clear). Paired differences are taken against --against. The raw rewards go to a JSON file
 * beside the results (rewritten after every run; `--resume` skips runs it already holds).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../env/backend.js';
import type { RunConfig } from '../run/config.js';
import { runSearch, storePath } from '../run/search.js';
import { openStore } from '../run/store/store.js';
import { arg, table, writeResults } from './common.js';
import { confidenceInterval, mean, pairedDifference } from './stats.js';

/** Named overrides of the run config. `ddpg-amc` is AMC/HAQ's constants as they were before this bench. */
const VARIANTS: Record<string, Partial<RunConfig>> = {
  random: { agent: 'random' },
  ddpg: { agent: 'ddpg' },
  'ddpg-amc': { agent: 'ddpg', gamma: 1, updatesPerEpisode: 'per-transition', actorLr: 1e-4, policyEvery: 0 },
  'ddpg-gamma0': { agent: 'ddpg', gamma: 0 },
  'ddpg-u32': { agent: 'ddpg', updatesPerEpisode: 32 },
  'ddpg-gamma0-u32': { agent: 'ddpg', gamma: 0, updatesPerEpisode: 32 },
  'ddpg-gamma0-u32-lr1e-3': { agent: 'ddpg', gamma: 0, updatesPerEpisode: 32, actorLr: 1e-3 },
  'ddpg-noise1': { agent: 'ddpg', noiseLayers: 1 },
  'ddpg-noise2': { agent: 'ddpg', noiseLayers: 2 },
  'ddpg-noise4': { agent: 'ddpg', noiseLayers: 4 },
  knapsack: { agent: 'knapsack' },
  'ddpg+knapsack': { agent: 'ddpg', warmStart: 'knapsack' },
  'ddpg+knapsack-noise1': { agent: 'ddpg', warmStart: 'knapsack', noiseLayers: 1 },
  'ddpg+knapsack-noise2': { agent: 'ddpg', warmStart: 'knapsack', noiseLayers: 2 },
};

const given = (name: string) => process.argv.includes(`--${name}`);
const model = arg('model', 'lenet5');
const budget = arg('budget', 'size:1bits');
const knobs = arg('knobs', 'bits,prune').split(',') as RunConfig['knobs'];
const bitBounds = arg('bits', '1-8').split('-').map(Number) as [number, number];
const episodes = Number(arg('episodes', '100'));
const finetuneSteps = Number(arg('finetune-steps', '0'));
const seeds = arg('seeds', '1,2,3,4,5').split(',').map(Number);
const variants = arg('variants', 'random,ddpg').split(',');
// the recorded runs before --reward existed searched on accuracy, the default then
const reward = arg('reward', 'accuracy') as RunConfig['reward'];
const against = arg('against', 'random');
for (const v of variants) if (!VARIANTS[v]) throw new Error(`unknown variant ${v}; known: ${Object.keys(VARIANTS).join(', ')}`);
const workdir = arg('workdir', '') || mkdtempSync(join(tmpdir(), 'autoshrink-ablation-'));
const out = arg('out', 'bench/results/agent-ablation.md');
const rowsPath = out.replace(/\.md$/, '') + '.json';
const backend = (await selectBackend(arg('backend', 'auto'))).name;

const command = `npx tsx bench/agent-ablation.ts --model ${model} --budget ${budget} --knobs ${knobs.join(',')} --bits ${bitBounds.join('-')} --episodes ${episodes} --finetune-steps ${finetuneSteps} --seeds ${seeds.join(',')} --variants ${variants.join(',')}${reward === 'accuracy' ? '' : ` --reward ${reward}`}${against === 'random' ? '' : ` --against ${against}`} --out ${out}`;
process.stdout.write(`${command}\nwork directory ${workdir}\n`);

interface Row {
  variant: string;
  seed: number;
  rewards: number[];
  phases: string[];
  minutes: number;
}

const rows: Row[] = given('resume') && existsSync(rowsPath) ? JSON.parse(readFileSync(rowsPath, 'utf8')) : [];
for (const variant of variants) {
  for (const seed of seeds) {
    if (rows.some((r) => r.variant === variant && r.seed === seed)) continue;
    const t0 = performance.now();
    const run = await runSearch(
      { model, budget, knobs, bitBounds, episodes, finetuneSteps, finalSteps: 0, seed, reward, ...VARIANTS[variant] },
      { workdir, backend },
    );
    const store = openStore(storePath(workdir), { readonly: true });
    const eps = store.episodes(run.runId);
    store.close();
    const row: Row = { variant, seed, rewards: eps.map((e) => e.reward), phases: eps.map((e) => e.phase), minutes: (performance.now() - t0) / 60000 };
    rows.push(row);
    writeFileSync(rowsPath, JSON.stringify(rows));
    process.stdout.write(`${variant} seed ${seed}: best ${Math.max(...row.rewards).toFixed(4)}, last quarter ${lastQuarter(row).toFixed(4)}, ${row.minutes.toFixed(1)} min\n`);
  }
}

/** Best reward within the first n episodes (a one-episode planner's only reward, whatever n). */
function bestAt(r: Row, n: number): number {
  return Math.max(...r.rewards.slice(0, Math.max(1, n)));
}
function lastQuarter(r: Row): number {
  return mean(r.rewards.slice(Math.floor(r.rewards.length * 0.75)));
}
function policyMean(r: Row): number {
  const p = r.rewards.filter((_, i) => r.phases[i] === 'policy');
  return p.length ? mean(p) : NaN;
}

// accuracy rewards in points; loss rewards (cross-entropy: minus the validation loss) as they are
const lossReward = reward === 'cross-entropy';
const pts = (x: number) => (lossReward ? x.toFixed(4) : (x * 100).toFixed(2));
const unit = lossReward ? '-loss' : 'val %';
const ci = (xs: number[]) => {
  const i = confidenceInterval(xs);
  return `${pts(i.mean)} [${pts(i.low)}, ${pts(i.high)}]`;
};
const bySeed = (v: string) => seeds.map((s) => rows.find((r) => r.variant === v && r.seed === s)).filter((r): r is Row => !!r);
const checkpoints = [Math.round(episodes / 4), Math.round(episodes / 2), episodes];

const summary = table(
  ['variant', 'runs', ...checkpoints.map((n) => `best after ${n} (${unit}, 95% CI)`), 'last quarter mean', 'policy episodes mean', 'minutes / run'],
  variants.map((v) => {
    const rs = bySeed(v);
    return [v, rs.length, ...checkpoints.map((n) => ci(rs.map((r) => bestAt(r, n)))), ci(rs.map(lastQuarter)), rs.some((r) => r.phases.includes('policy')) ? ci(rs.map(policyMean)) : '-', mean(rs.map((r) => r.minutes)).toFixed(1)];
  }),
);
const base = bySeed(against);
const diffs = variants
  .filter((v) => v !== against && base.length > 1)
  .map((v) => {
    const rs = bySeed(v);
    const paired = (f: (r: Row) => number) => {
      const d = pairedDifference(rs.map(f), base.map(f));
      return `${d.mean >= 0 ? '+' : ''}${pts(d.mean)} [${pts(d.low)}, ${pts(d.high)}]`;
    };
    return [v, paired((r) => bestAt(r, episodes)), paired(lastQuarter)];
  });

const body = [
  `Model ${model}, budget ${budget}, knobs ${knobs.join(',')}, bits ${bitBounds.join('..')}, ${episodes} episodes, ${finetuneSteps} fine-tune steps per episode, seeds ${seeds.join(',')}. Rewards: ${lossReward ? 'minus the validation loss (cross-entropy)' : `${reward} (validation accuracy unless a cost term is named)`}. Variants:`,
  '',
  ...variants.map((v) => `- ${v}: ${JSON.stringify(VARIANTS[v])}`),
  '',
  summary,
  '',
  `Paired differences against ${against} (same seed; ${lossReward ? 'reward' : 'points'}, 95% CI):`,
  '',
  table(['variant', `best after ${episodes}`, 'last quarter mean'], diffs),
].join('\n');
writeResults(out, 'Agent ablation: which settings make the search learn', command, body);
