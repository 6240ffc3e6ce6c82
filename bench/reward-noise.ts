/**
 * Reward noise against the signal a critic must learn: is the difference between two strategies
 * larger than the difference between two measurements of one strategy?
 *
 * K strategies are drawn the way random search draws them (uniform actions through the env's budget wall), each is
 * evaluated under S fine-tune seeds (the run seed changes the batch sequence; with common random numbers every
 * strategy of one seed sees the same batches). Per score (accuracy on the reward images, accuracy on every validation
 * image, cross-entropy on the reward images) the file reports:
 * - noise: the pooled within-strategy standard deviation (one strategy, other seeds);
 * - spread: the standard deviation of the strategies' mean scores (what tells them apart);
 * - ranking agreement under common random numbers: the share of strategy pairs ordered the same way by two seeds;
 * - the noise of a DIFFERENCE between two strategies measured with one seed (common random numbers) against the
 *   difference of two independent draws (std(a_s - b_s) vs sqrt(var a + var b)).
 *
 *   npx tsx bench/reward-noise.ts [--model lenet5] [--budget size:1.5bits] [--bits 1-8] [--knobs bits] [--strategies 8]
 *     [--seeds 4] [--finetune-steps 60] [--eval-size 1000] [--validation-size 2000] [--workdir DIR] [--out FILE]
 */
import { selectBackend } from '../env/backend.js';
import { rewardSplit } from '../env/compression-env.js';
import { evaluateModel } from '../env/evaluate.js';
import type { LayerSpec } from '../learners/types.js';
import { parseRunConfig, type RunConfig } from '../run/config.js';
import { buildEnvironment } from '../run/environment.js';
import { createRng } from '../agent/rng.js';
import { arg, table, writeResults } from './common.js';
import { mean, sampleStd } from './stats.js';

const model = arg('model', 'lenet5');
const budget = arg('budget', 'size:1.5bits');
const [bitsLo, bitsHi] = arg('bits', '1-8').split('-').map(Number);
const knobs = arg('knobs', 'bits').split(',') as RunConfig['knobs'];
const K = Number(arg('strategies', '8'));
const S = Number(arg('seeds', '4'));
const finetuneSteps = Number(arg('finetune-steps', '60'));
const evalSize = Number(arg('eval-size', '1000'));
const validationSize = Number(arg('validation-size', '2000'));
const workdir = arg('workdir', '.autoshrink');
const out = arg('out', 'bench/results/reward-noise.md');
const command = `npx tsx bench/reward-noise.ts --model ${model} --budget ${budget} --bits ${bitsLo}-${bitsHi} --knobs ${knobs.join(',')} --strategies ${K} --seeds ${S} --finetune-steps ${finetuneSteps} --eval-size ${evalSize} --validation-size ${validationSize}`;

await selectBackend('auto');
const base = { model, budget, bitBounds: [bitsLo, bitsHi] as [number, number], knobs, finetuneSteps, evalSize, validationSize };

// the strategies: random actions through the wall, as random search makes them
const first = await buildEnvironment(parseRunConfig({ ...base, seed: 1 }), workdir);
const rng = createRng('reward-noise');
const strategies: LayerSpec[][] = [];
for (let k = 0; k < K; k++) {
  let state: number[] | null = first.env.reset(k);
  while (state) state = first.env.step(Array.from({ length: first.env.actionSize }, () => rng())).next;
  strategies.push(first.env.finishStrategy());
}
const describe = (s: LayerSpec[]) => s.map((l) => `${l.bits}b${l.pruneRatio ? `/${Math.round(l.pruneRatio * 100)}%` : ''}`).join(' ');
first.env.dispose();
first.model.dispose();

type Score = 'accuracy' | 'accuracyAll' | 'loss';
const SCORES: Score[] = ['accuracy', 'accuracyAll', 'loss'];
// scores[score][k][s]
const scores: Record<Score, number[][]> = { accuracy: [], accuracyAll: [], loss: [] };
for (const sc of SCORES) for (let k = 0; k < K; k++) scores[sc].push([]);
const started = performance.now();
for (let s = 1; s <= S; s++) {
  const built = await buildEnvironment(parseRunConfig({ ...base, seed: s }), workdir);
  const all = rewardSplit(built.data, 0).validation;
  for (let k = 0; k < K; k++) {
    const m = await built.env.measure(strategies[k]);
    const whole = await evaluateModel(built.model, all, built.data.inputShape);
    scores.accuracy[k].push(m.accuracy);
    scores.loss[k].push(m.loss);
    scores.accuracyAll[k].push(whole.accuracy);
    const done = (s - 1) * K + k + 1;
    const eta = ((performance.now() - started) / done) * (S * K - done) / 1000;
    process.stdout.write(`seed ${s} strategy ${k + 1}/${K}: accuracy ${(m.accuracy * 100).toFixed(2)}%, all ${(whole.accuracy * 100).toFixed(2)}%, loss ${m.loss.toFixed(4)}  (ETA ${eta.toFixed(0)} s)\n`);
  }
  built.env.dispose();
  built.model.dispose();
}

function stats(sc: Score) {
  const rows = scores[sc];
  const noise = Math.sqrt(mean(rows.map((r) => sampleStd(r) ** 2)));
  const spread = sampleStd(rows.map(mean));
  // pairs ordered the same way by seed pairs (common random numbers within a seed)
  let agree = 0;
  let pairs = 0;
  const diffSd: number[] = [];
  for (let a = 0; a < K; a++) {
    for (let b = a + 1; b < K; b++) {
      const d = rows[a].map((v, s) => v - rows[b][s]);
      diffSd.push(sampleStd(d) / Math.sqrt(sampleStd(rows[a]) ** 2 + sampleStd(rows[b]) ** 2 || 1));
      for (let s = 0; s < S; s++) {
        for (let t = s + 1; t < S; t++) {
          if (d[s] === 0 || d[t] === 0) continue;
          pairs++;
          if (Math.sign(d[s]) === Math.sign(d[t])) agree++;
        }
      }
    }
  }
  return { noise, spread, ratio: spread / noise, agree: pairs ? agree / pairs : NaN, crn: mean(diffSd) };
}

const pct = (v: number) => `${(v * 100).toFixed(2)}`;
const body = [
  `${K} strategies of ${model} under ${budget} (bits ${bitsLo}..${bitsHi}, knobs ${knobs.join(',')}), each fine-tuned ${finetuneSteps} steps under ${S} seeds; reward images: the first ${evalSize} of ${validationSize} validation images.`,
  '',
  table(
    ['score', 'noise (sd, one strategy)', 'spread (sd of strategy means)', 'spread / noise', 'pairs ordered alike by two seeds', 'sd of a paired difference / independent'],
    SCORES.map((sc) => {
      const r = stats(sc);
      const f = sc === 'loss' ? (v: number) => v.toFixed(4) : pct;
      return [sc === 'accuracy' ? `accuracy, ${evalSize} images (points)` : sc === 'accuracyAll' ? `accuracy, all ${validationSize} (points)` : `cross-entropy, ${evalSize} images`, f(r.noise), f(r.spread), r.ratio.toFixed(2), `${(r.agree * 100).toFixed(0)}%`, r.crn.toFixed(2)];
    }),
  ),
  '',
  '## Strategies (mean over seeds)',
  '',
  table(['#', 'bits per layer', 'accuracy %', 'all %', 'loss'], strategies.map((s, k) => [k + 1, describe(s), pct(mean(scores.accuracy[k])), pct(mean(scores.accuracyAll[k])), mean(scores.loss[k]).toFixed(4)])),
].join('\n');
writeResults(out, 'Reward noise against the spread between strategies', command, body);
