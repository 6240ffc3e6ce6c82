/**
 * The final stage's own noise: the same strategy fine-tuned from the original weights under several seeds (the seed
 * only changes the batch order), test accuracy each time. Comparing planners over a few seeds is hopeless when this
 * noise is as large as their differences (bench/results/search-quality-round6.md), so this measures it for the constant
 * learning rate and for a cosine decay to 0 (env/finetune.ts scheduledLr), side by side on the same strategies and
 * seeds.
 *
 *   npx tsx bench/final-noise.ts [--model lenet5] [--budget size:1bits] [--bits 1-8] [--knobs bits,prune]
 *     [--strategies 3] [--seeds 1,2,3,4,5] [--steps 300] [--workdir DIR] [--out bench/results/final-noise.md]
 */
import { createRng } from '../agent/rng.js';
import { selectBackend } from '../env/backend.js';
import { evaluateModel } from '../env/evaluate.js';
import type { LrSchedule } from '../env/finetune.js';
import type { LayerSpec } from '../learners/types.js';
import { parseRunConfig, type RunConfig } from '../run/config.js';
import { buildEnvironment } from '../run/environment.js';
import { uniformAction } from '../run/planners.js';
import { arg, table, writeResults } from './common.js';
import { confidenceInterval, mean, sampleStd } from './stats.js';

const model = arg('model', 'lenet5');
const budget = arg('budget', 'size:1bits');
const [bitsLo, bitsHi] = arg('bits', '1-8').split('-').map(Number);
const knobs = arg('knobs', 'bits,prune').split(',') as RunConfig['knobs'];
const K = Number(arg('strategies', '3'));
const seeds = arg('seeds', '1,2,3,4,5').split(',').map(Number);
const steps = Number(arg('steps', '300'));
const workdir = arg('workdir', '.autoshrink');
const out = arg('out', 'bench/results/final-noise.md');
const command = `npx tsx bench/final-noise.ts --model ${model} --budget ${budget} --bits ${bitsLo}-${bitsHi} --knobs ${knobs.join(',')} --strategies ${K} --seeds ${seeds.join(',')} --steps ${steps}`;
const SCHEDULES: LrSchedule[] = ['constant', 'cosine'];

await selectBackend('auto');
const config = parseRunConfig({ model, budget, bitBounds: [bitsLo, bitsHi], knobs, seed: 1 });
const built = await buildEnvironment(config, workdir);
const { env } = built;

// uniform (the largest identical setting that fits), then random strategies through the wall
const walk = (next: () => number[]): LayerSpec[] => {
  let state: number[] | null = env.reset(0);
  while (state) state = env.step(next()).next;
  return env.finishStrategy();
};
const uniform = uniformAction(env);
const strategies: Array<{ name: string; specs: LayerSpec[] }> = [{ name: 'uniform', specs: walk(() => uniform) }];
const rng = createRng('final-noise');
for (let k = 1; k < K; k++) strategies.push({ name: `random ${k}`, specs: walk(() => Array.from({ length: env.actionSize }, () => rng())) });
const describe = (s: LayerSpec[]) => s.map((l) => `${l.bits}b${l.pruneRatio ? `/${Math.round(l.pruneRatio * 100)}%` : ''}`).join(' ');

// acc[schedule][k][seed]
const acc: Record<LrSchedule, number[][]> = { constant: strategies.map(() => []), cosine: strategies.map(() => []) };
for (const [k, s] of strategies.entries()) {
  for (const seed of seeds) {
    for (const lrSchedule of SCHEDULES) {
      env.restoreOriginal();
      await env.compressWith(s.specs, { steps, batchSize: config.finetuneBatch, learningRate: config.finetuneLr, seed: `final:${seed}`, lrSchedule });
      const test = (await evaluateModel(built.model, built.data.test, built.data.inputShape)).accuracy;
      acc[lrSchedule][k].push(test);
      process.stdout.write(`${s.name} (${describe(s.specs)}) seed ${seed} ${lrSchedule}: test ${(test * 100).toFixed(2)}%\n`);
    }
  }
}
env.dispose();
built.model.dispose();

const pts = (v: number) => (v * 100).toFixed(2);
const rows = strategies.map((s, k) => [
  `${s.name}: ${describe(s.specs)}`,
  ...SCHEDULES.flatMap((sc) => {
    const ci = confidenceInterval(acc[sc][k]);
    return [`${pts(ci.mean)}% +-${pts(ci.high - ci.mean)}`, pts(sampleStd(acc[sc][k]))];
  }),
]);
const pooled = (sc: LrSchedule) => Math.sqrt(mean(acc[sc].map((a) => sampleStd(a) ** 2)));
const body = [
  `${model} on its test split, ${budget} (bits ${bitsLo}..${bitsHi}, knobs ${knobs.join(',')}): each strategy fine-tuned ${steps} steps from the original weights (as the final stage does: batch ${config.finetuneBatch}, Adam at ${config.finetuneLr}) under seeds ${seeds.join(',')}, once with a constant learning rate and once with a cosine decay to 0.`,
  '',
  table(['strategy', 'constant: mean test (95% CI)', 'constant: sd (points)', 'cosine: mean test (95% CI)', 'cosine: sd (points)'], rows),
  '',
  `Pooled standard deviation of one final run: constant ${pts(pooled('constant'))} points, cosine ${pts(pooled('cosine'))} points.`,
].join('\n');
writeResults(out, "The final stage's own noise: one strategy, several fine-tune seeds", command, body);
