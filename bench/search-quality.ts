/**
 * Search quality: on the cached lenet5 / bundled MNIST (or --data idx:DIR), size budgets equal to uniform N-bit; for
 * each, the final (fine-tuned from the original weights, TEST split) accuracy of uniform N-bit, random search and
 * DDPG, the last two with the same number of episodes, over several seeds (mean and spread).
 *   npx tsx bench/search-quality.ts [--budgets 2,3,4] [--seeds 1,2,3] [--episodes 30] [--agents uniform,random,ddpg]
 *                                   [--data mnist] [--workdir .autoshrink] [--final-steps 600]
 */
import { selectBackend } from '../env/backend.js';
import { finishRun } from '../run/final.js';
import { runSearch } from '../run/search.js';
import { arg, table, writeResults } from './common.js';

const budgets = arg('budgets', '2,3,4').split(',').map(Number);
const seeds = arg('seeds', '1,2,3').split(',').map(Number);
const agents = arg('agents', 'uniform,random,ddpg').split(',') as Array<'uniform' | 'random' | 'ddpg'>;
const episodes = Number(arg('episodes', '30'));
const data = arg('data', 'mnist');
const workdir = arg('workdir', '.autoshrink');
const finalSteps = Number(arg('final-steps', '600'));
const knobs = arg('knobs', 'bits,prune').split(',') as Array<'bits' | 'prune' | 'clusters'>;
const backend = (await selectBackend('auto')).name;

interface Result {
  budget: number;
  agent: string;
  seed: number;
  val: number;
  test: number;
  bytes: number;
  minutes: number;
  runId: string;
}
const results: Result[] = [];
for (const budget of budgets) {
  for (const agent of agents) {
    // uniform is deterministic: one seed; it searches bits only, so it is exactly "uniform N-bit"
    for (const seed of agent === 'uniform' ? [seeds[0]] : seeds) {
      const t0 = performance.now();
      const run = await runSearch(
        { model: 'lenet5', data, seed, agent, episodes, budget: `size:${budget}bits`, knobs: agent === 'uniform' ? ['bits'] : knobs, finalSteps },
        { workdir, backend },
      );
      const final = await finishRun(run.runId, { workdir, backend });
      const r = { budget, agent, seed, val: run.best?.accuracy ?? 0, test: final.testAccuracy, bytes: final.sizes.packedBytes, minutes: (performance.now() - t0) / 60000, runId: run.runId };
      results.push(r);
      process.stdout.write(`${JSON.stringify(r)}\n`);
    }
  }
}

const pct = (v: number) => (v * 100).toFixed(2);
const rows: Array<Array<string | number>> = [];
for (const budget of budgets) {
  for (const agent of agents) {
    const rs = results.filter((r) => r.budget === budget && r.agent === agent);
    const tests = rs.map((r) => r.test);
    const mean = tests.reduce((a, b) => a + b, 0) / tests.length;
    const spread = tests.length > 1 ? `${pct(Math.min(...tests))}..${pct(Math.max(...tests))}` : '-';
    rows.push([`${budget}-bit size`, agent, rs.length, `${pct(mean)}%`, spread, `${pct(rs.reduce((a, r) => a + r.val, 0) / rs.length)}%`, Math.round(rs.reduce((a, r) => a + r.bytes, 0) / rs.length), rs.map((r) => r.runId).join(' ')]);
  }
}
writeResults(
  'bench/results/search-quality.md',
  'Search quality on lenet5 under size budgets',
  `npx tsx bench/search-quality.ts --budgets ${budgets.join(',')} --seeds ${seeds.join(',')} --episodes ${episodes} --agents ${agents.join(',')} --data ${data} --final-steps ${finalSteps}`,
  `Each search: ${episodes} episodes (DDPG: 10 random warm-up), knobs ${knobs.join('+')} (uniform: bits only, so it is exactly uniform N-bit), ` +
    `fine-tune 60 steps per episode; the best strategy (by validation reward) is then fine-tuned ${finalSteps} steps from the ORIGINAL weights and ` +
    'evaluated on the 2000-image test split. Packed bytes are the real model.ashk file (header included).\n\n' +
    table(['budget', 'agent', 'runs', 'test acc (mean)', 'test spread (min..max)', 'best val acc (mean)', 'packed bytes', 'runs'], rows),
);
