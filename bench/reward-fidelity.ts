/**
 * Does an episode's reward predict what the user gets? A search can only find strategies that are good after the
 * final fine-tune if its per-episode reward ranks strategies the way the final stage does. K strategies are drawn the
 * way random search draws them (uniform actions through the budget wall); each is scored as a search episode would
 * score it with several per-episode fine-tune lengths (0 = AMC's no-fine-tune reward), and then as the final stage
 * scores it: a long fine-tune from the original weights, TEST accuracy. The file reports the rank correlation
 * (Spearman) and the linear correlation (Pearson) between each reward and the final test accuracy, and how much of
 * the final spread the reward's top pick captures (the final accuracy of the reward's best strategy against the best
 * and the mean final accuracy of all K).
 *
 * With the channels knob the first two strategies are the hand rules (the channel plan, run/planners/channel-plan.ts,
 * and the uniform preserve ratio), the rest drawn as random search draws them, and `--channel-method` (l1 or lasso)
 * chooses which channels a ratio keeps.
 *
 *   npx tsx bench/reward-fidelity.ts [--model lenet5] [--budget size:1bits] [--bits 1-8] [--knobs bits,prune]
 *     [--strategies 16] [--steps 0,30,60,120] [--final-steps 300] [--channel-method l1] [--workdir DIR] [--out FILE]
 */
import { createRng } from '../agent/rng.js';
import { selectBackend } from '../env/backend.js';
import type { LayerSpec } from '../learners/types.js';
import { parseRunConfig, type RunConfig } from '../run/config.js';
import { buildEnvironment } from '../run/environment.js';
import { uniformStrategies } from '../run/planners.js';
import { channelPlan } from '../run/planners/channel-plan.js';
import { arg, table, writeResults } from './common.js';
import { mean, pearson, spearman } from './stats.js';

const model = arg('model', 'lenet5');
const budget = arg('budget', 'size:1bits');
const [bitsLo, bitsHi] = arg('bits', '1-8').split('-').map(Number);
const knobs = arg('knobs', 'bits,prune').split(',') as RunConfig['knobs'];
const K = Number(arg('strategies', '16'));
const stepsList = arg('steps', '0,30,60,120').split(',').map(Number);
const finalSteps = Number(arg('final-steps', '300'));
const channelMethod = arg('channel-method', 'l1') as RunConfig['channelMethod'];
const workdir = arg('workdir', '.autoshrink');
const out = arg('out', 'bench/results/reward-fidelity.md');
const command = `npx tsx bench/reward-fidelity.ts --model ${model} --budget ${budget} --bits ${bitsLo}-${bitsHi} --knobs ${knobs.join(',')} --strategies ${K} --steps ${stepsList.join(',')} --final-steps ${finalSteps}${knobs.includes('channels') ? ` --channel-method ${channelMethod}` : ''}`;

await selectBackend('auto');
const built = await buildEnvironment(parseRunConfig({ model, budget, bitBounds: [bitsLo, bitsHi], knobs, channelMethod, seed: 1 }), workdir);
const { env } = built;
const rng = createRng('reward-fidelity');
const strategies: LayerSpec[][] = knobs.includes('channels') ? [channelPlan(env), ...uniformStrategies(env, 1)] : [];
for (let k = strategies.length; k < K; k++) {
  let state: number[] | null = env.reset(k);
  while (state) state = env.step(Array.from({ length: env.actionSize }, () => rng())).next;
  strategies.push(env.finishStrategy());
}
const describe = (s: LayerSpec[]) =>
  knobs.includes('channels') && knobs.length === 1 ? s.map((l) => (l.preserveRatio ?? 1).toFixed(2)).join(' ') : s.map((l) => `${l.bits}b${l.pruneRatio ? `/${Math.round(l.pruneRatio * 100)}%` : ''}${l.preserveRatio !== undefined && l.preserveRatio < 1 ? `/keep ${l.preserveRatio}` : ''}`).join(' ');

// rewards[steps][k] (validation accuracy, all images); finals[k] (test accuracy after the final fine-tune)
const rewards: number[][] = stepsList.map(() => []);
const losses: number[][] = stepsList.map(() => []);
const finals: number[] = [];
const started = performance.now();
for (let k = 0; k < K; k++) {
  for (let j = 0; j < stepsList.length; j++) {
    const m = await env.measure(strategies[k], { steps: stepsList[j], all: true });
    rewards[j].push(m.accuracy);
    losses[j].push(m.loss);
  }
  // scored by the env on the test split: with channels the measured model is a smaller one, not built.model
  finals.push((await env.measure(strategies[k], { steps: finalSteps, on: built.data.test })).accuracy);
  const eta = ((performance.now() - started) / (k + 1)) * (K - k - 1) / 1000;
  process.stdout.write(`strategy ${k + 1}/${K} ${describe(strategies[k])}: rewards ${rewards.map((r) => (r[k] * 100).toFixed(2)).join(' / ')}, final test ${(finals[k] * 100).toFixed(2)}%  (ETA ${eta.toFixed(0)} s)\n`);
}
env.dispose();
built.model.dispose();

const pct = (v: number) => (v * 100).toFixed(2);
const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));
const argmin = (xs: number[]) => xs.indexOf(Math.min(...xs));

const body = [
  `${K} strategies of ${model} under ${budget} (bits ${bitsLo}..${bitsHi}, knobs ${knobs.join(',')}), drawn as random search draws them${knobs.includes('channels') ? ' (the first two: the channel plan and the uniform ratio)' : ''}. Each is scored as a search episode scores it (validation accuracy on all validation images after a per-episode fine-tune of N steps from the original weights, common random numbers) and as the final stage does (${finalSteps}-step fine-tune from the original weights, accuracy on the TEST split). Final test accuracy over the K: best ${pct(Math.max(...finals))}%, mean ${pct(mean(finals))}%, worst ${pct(Math.min(...finals))}%.`,
  '',
  table(
    ['per-episode reward', 'Spearman with final test', 'Pearson with final test', "final test of the reward's pick", 'reward spread (max - min, points)'],
    [
      ...stepsList.map((s, j) => [`accuracy after ${s} steps`, spearman(rewards[j], finals).toFixed(2), pearson(rewards[j], finals).toFixed(2), `${pct(finals[argmax(rewards[j])])}%`, pct(Math.max(...rewards[j]) - Math.min(...rewards[j]))]),
      ...stepsList.map((s, j) => [`-cross-entropy after ${s} steps`, spearman(losses[j].map((l) => -l), finals).toFixed(2), pearson(losses[j].map((l) => -l), finals).toFixed(2), `${pct(finals[argmin(losses[j])])}%`, '-']),
    ],
  ),
  '',
  '## Strategies',
  '',
  table(['#', knobs.includes('channels') && knobs.length === 1 ? 'preserve ratio per layer' : 'bits/prune per layer', ...stepsList.map((s) => `acc after ${s} (%)`), 'final test (%)'], strategies.map((s, k) => [k + 1, describe(s), ...stepsList.map((_, j) => pct(rewards[j][k])), pct(finals[k])])),
].join('\n');
writeResults(out, 'Reward fidelity: does the per-episode reward rank strategies as the final stage does?', command, body);
