/**
 * How much of a channel budget the walls leave unspent: random walks through the channel wall (the walk holds every
 * undecided layer at its fewest channels), their budget share with and without the channel fill pass
 * (run/planners/channel-fill.ts). No fine-tune: only the strategies' costs matter here.
 *   npx tsx bench/channel-wall-share.ts [--models lenet5,mobilenet-tiny] [--budgets flops:0.5,flops:0.3]
 *     [--episodes 10] [--seed 6] [--workdir DIR]
 */
import { runSearch } from '../run/search.js';
import { arg } from './common.js';
import { mean } from './stats.js';

const models = arg('models', 'lenet5,mobilenet-tiny').split(',');
const budgets = arg('budgets', 'flops:0.5,flops:0.3').split(',');
const episodes = Number(arg('episodes', '10'));
const seed = Number(arg('seed', '6'));
const workdir = arg('workdir', '.autoshrink');
process.stdout.write(`npx tsx bench/channel-wall-share.ts --models ${models.join(',')} --budgets ${budgets.join(',')} --episodes ${episodes} --seed ${seed}\n`);
for (const model of models) {
  for (const budget of budgets) {
    for (const channelFill of [false, true]) {
      const shares: number[] = [];
      await runSearch(
        { model, knobs: ['channels'], budget, agent: 'random', episodes, finetuneSteps: 0, rerankTop: 1, seed, channelFill },
        { workdir, backend: 'wasm', onEvent: (e) => e.type === 'episode-finished' && shares.push(e.budgetShare ?? Number.NaN) },
      );
      const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
      process.stdout.write(`| ${model} | ${budget} | ${channelFill ? 'on' : 'off'} | ${pct(mean(shares))} | ${pct(Math.min(...shares))} | ${pct(Math.max(...shares))} | ${shares.length} |\n`);
    }
  }
}
