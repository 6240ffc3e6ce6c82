/**
 * Is there anything above the knapsack on a search's own objective? The knapsack (run/planners.ts) solves a model of
 * the objective: per-layer loss increases measured one layer at a time, assumed to add up. Any searcher that scores
 * whole strategies (DDPG, random search) can only beat it where that model is wrong: where layers interact. This bench
 * measures how much room that leaves. From the knapsack's pick it runs a first-improvement local search on the true
 * objective (the validation loss of the whole strategy without fine-tune, as `--reward cross-entropy
 * --finetune-steps 0` episodes score it): each move raises one layer by one step (one bit more, or one prune step
 * less) and pays for it with the smallest step down of another layer that keeps the budget; moves are tried in a
 * seeded random order, the first that lowers the loss is taken, and the search stops after --evaluations strategies or
 * when no move helps. Then both picks are fine-tuned --final-steps from the original weights on the same batches
 * (common random numbers, so the pair differs by its strategies only) and scored on the TEST split.
 *
 *   npx tsx bench/knapsack-headroom.ts [--model mobilenet-tiny] [--budget size:1.5bits] [--bits 1-8]
 *     [--seeds 1,2,3] [--evaluations 300] [--final-steps 300] [--workdir DIR] [--out FILE]
 *
 * The loss gained over the knapsack is the headroom a whole-strategy searcher has on this objective at this many
 * evaluations; compare DDPG's best-so-far reward in bench/results/search-quality-*.json (reward = minus this loss).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '../agent/rng.js';
import { selectBackend } from '../env/backend.js';
import { evaluateModel } from '../env/evaluate.js';
import type { LayerSpec } from '../learners/types.js';
import { parseRunConfig, type RunConfig } from '../run/config.js';
import { buildEnvironment } from '../run/environment.js';
import { runSearch, storePath } from '../run/search.js';
import { openStore } from '../run/store/store.js';
import { arg, table, writeResults } from './common.js';
import { confidenceInterval, mean, pairedDifference } from './stats.js';

const model = arg('model', 'mobilenet-tiny');
const budget = arg('budget', 'size:1.5bits');
const bitBounds = arg('bits', '1-8').split('-').map(Number) as [number, number];
const seeds = arg('seeds', '1,2,3').split(',').map(Number);
const evaluations = Number(arg('evaluations', '300'));
const finalSteps = Number(arg('final-steps', '300'));
const workdir = arg('workdir', '') || mkdtempSync(join(tmpdir(), 'autoshrink-headroom-'));
const out = arg('out', `bench/results/knapsack-headroom-${model}-${budget.replace(/[:]/g, '-')}.md`);
const command = `npx tsx bench/knapsack-headroom.ts --model ${model} --budget ${budget} --bits ${bitBounds.join('-')} --seeds ${seeds.join(',')} --evaluations ${evaluations} --final-steps ${finalSteps} --out ${out}`;
const say = (line: string) => process.stdout.write(`${line}\n`);
say(`${command}\nwork directory ${workdir}`);
const backend = (await selectBackend(arg('backend', 'auto'))).name;

const base: Partial<RunConfig> = { model, budget, bitBounds, knobs: ['bits', 'prune'], finetuneSteps: 0, reward: 'cross-entropy', finalSteps: 0, rerankTop: 0 };
const keyOf = (s: LayerSpec[]) => s.map((l) => `${l.bits}/${l.pruneRatio}/${l.clusters}`).join(' ');
const describe = (s: LayerSpec[]) => s.map((l) => `${l.bits}b${l.pruneRatio ? `/${Math.round(l.pruneRatio * 100)}%` : ''}`).join(' ');

interface Row {
  seed: number;
  knapsackLoss: number;
  localLoss: number;
  evaluations: number;
  moves: number;
  knapsackTest: number;
  localTest: number;
  knapsack: string;
  local: string;
  curve: number[];
}
const rows: Row[] = [];

for (const seed of seeds) {
  // the knapsack's pick, exactly as `--agent knapsack` makes it (its sensitivities depend on the seed's batch-norm batches)
  const run = await runSearch({ ...base, agent: 'knapsack', seed }, { workdir, backend });
  const store = openStore(storePath(workdir), { readonly: true });
  const stored = store.episodes(run.runId)[0].strategy;
  store.close();

  const built = await buildEnvironment(parseRunConfig({ ...base, seed }), workdir);
  const { env } = built;
  const specs = env.plan.candidates.map((c) => c.specs);
  // the stored choices back into the grid's own settings
  const knapsack = stored.map((c, i) => {
    const spec = specs[i].find((s) => s.bits === c.bits && s.pruneRatio === c.pruneRatio && s.clusters === c.clusters);
    if (!spec) throw new Error(`layer ${i}: the knapsack's ${c.bits} bits, ${c.pruneRatio} pruned is not on the grid`);
    return spec;
  });
  const seen = new Map<string, number>();
  const lossOf = async (s: LayerSpec[]) => {
    const k = keyOf(s);
    if (!seen.has(k)) seen.set(k, (await env.measure(s, { steps: 0, all: true })).loss);
    return seen.get(k)!;
  };
  // one step of a layer: the neighbouring bit width at the same prune ratio, or the neighbouring prune ratio at the same bits
  const steps = (i: number, s: LayerSpec, dir: 1 | -1): LayerSpec[] => {
    const bits = [...new Set(specs[i].map((c) => c.bits))].sort((a, b) => a - b);
    const prunes = [...new Set(specs[i].map((c) => c.pruneRatio))].sort((a, b) => a - b);
    const nb = bits[bits.indexOf(s.bits) + dir];
    const np = prunes[prunes.indexOf(s.pruneRatio) - dir];
    return specs[i].filter((c) => c.clusters === s.clusters && ((c.bits === nb && c.pruneRatio === s.pruneRatio) || (c.pruneRatio === np && c.bits === s.bits)));
  };
  const fits = (s: LayerSpec[]) => env.cost(s) <= env.plan.limit;
  const rng = createRng(`headroom:${seed}`);

  let current = knapsack.map((l) => ({ ...l }));
  let currentLoss = await lossOf(current);
  const knapsackLoss = currentLoss;
  const curve = [currentLoss];
  let moves = 0;
  let improved = true;
  while (improved && seen.size < evaluations + 1) {
    improved = false;
    // every move from here: one layer a step up, paid by another layer's smallest step down that fits (or none)
    const candidates: LayerSpec[][] = [];
    current.forEach((s, i) => {
      for (const up of steps(i, s, 1)) {
        const raised = current.map((l, k) => (k === i ? up : l));
        if (fits(raised)) candidates.push(raised);
        else {
          current.forEach((t, j) => {
            if (j === i) return;
            const downs = steps(j, t, -1).map((d) => raised.map((l, k) => (k === j ? d : l))).filter(fits);
            downs.sort((a, b) => env.cost(b) - env.cost(a));
            if (downs.length) candidates.push(downs[0]);
          });
        }
      }
    });
    for (let k = candidates.length - 1; k > 0; k--) {
      const r = Math.floor(rng() * (k + 1));
      [candidates[k], candidates[r]] = [candidates[r], candidates[k]];
    }
    for (const c of candidates) {
      if (seen.size >= evaluations + 1) break;
      const fresh = !seen.has(keyOf(c));
      const loss = await lossOf(c);
      if (fresh) curve.push(Math.min(curve[curve.length - 1], loss));
      if (loss < currentLoss) {
        current = c;
        currentLoss = loss;
        moves++;
        improved = true;
        say(`seed ${seed}: move ${moves} after ${seen.size - 1} evaluations: loss ${loss.toFixed(4)} (knapsack ${knapsackLoss.toFixed(4)})`);
        break;
      }
    }
  }

  // both picks: the same final fine-tune (same batches), then the test split
  const test = async (s: LayerSpec[]) => {
    await env.measure(s, { steps: finalSteps, all: true });
    return (await evaluateModel(built.model, built.data.test, built.data.inputShape)).accuracy;
  };
  const knapsackTest = await test(knapsack);
  const localTest = await test(current);
  env.dispose();
  built.model.dispose();
  rows.push({ seed, knapsackLoss, localLoss: currentLoss, evaluations: seen.size - 1, moves, knapsackTest, localTest, knapsack: describe(knapsack), local: describe(current), curve });
  say(`seed ${seed}: knapsack loss ${knapsackLoss.toFixed(4)} test ${(knapsackTest * 100).toFixed(2)}%; local search loss ${currentLoss.toFixed(4)} (${moves} moves, ${seen.size - 1} evaluations) test ${(localTest * 100).toFixed(2)}%`);
}

const pct = (v: number) => (v * 100).toFixed(2);
const ci = (xs: number[], scale = 1) => {
  const c = confidenceInterval(xs.map((x) => x * scale));
  return Number.isNaN(c.halfWidth) ? `${c.mean.toFixed(scale === 100 ? 2 : 4)}` : `${c.mean.toFixed(scale === 100 ? 2 : 4)} +-${c.halfWidth.toFixed(scale === 100 ? 2 : 4)}`;
};
const dLoss = pairedDifference(rows.map((r) => r.localLoss), rows.map((r) => r.knapsackLoss));
const dTest = pairedDifference(rows.map((r) => r.localTest * 100), rows.map((r) => r.knapsackTest * 100));
const at = (n: number) => mean(rows.map((r) => r.curve[Math.min(n, r.curve.length - 1)]));
const body = [
  `${model} under ${budget}, bits ${bitBounds.join('..')} and pruning, seeds ${seeds.join(',')}. Objective: the validation loss (2000 images) of the whole strategy without fine-tune, with batch-norm statistics re-estimated, as \`--reward cross-entropy --finetune-steps 0\` episodes score it (reward = minus the loss). Local search from the knapsack's pick, at most ${evaluations} evaluations; then both picks get the same ${finalSteps}-step fine-tune from the original weights and the test split. Intervals are Student-t 95% over seeds (bench/stats.ts).`,
  '',
  table(
    ['', 'knapsack', 'knapsack + local search', 'local - knapsack (paired, 95% CI)'],
    [
      ['validation loss, no fine-tune (lower is better)', ci(rows.map((r) => r.knapsackLoss)), ci(rows.map((r) => r.localLoss)), `${dLoss.mean.toFixed(4)} [${dLoss.low.toFixed(4)}, ${dLoss.high.toFixed(4)}]`],
      [`test accuracy after ${finalSteps} steps (%)`, ci(rows.map((r) => r.knapsackTest), 100), ci(rows.map((r) => r.localTest), 100), `${dTest.mean >= 0 ? '+' : ''}${dTest.mean.toFixed(2)} [${dTest.low.toFixed(2)}, ${dTest.high.toFixed(2)}]`],
    ],
  ),
  '',
  `Best loss so far by local-search evaluation (mean over seeds): ${[0, 25, 50, 100, 200, evaluations].filter((n, i, a) => n <= evaluations && a.indexOf(n) === i).map((n) => `${n}: ${at(n).toFixed(4)}`).join(', ')}.`,
  '',
  table(
    ['seed', 'knapsack loss', 'local loss', 'moves', 'evaluations', 'knapsack test (%)', 'local test (%)', 'knapsack pick', 'local pick'],
    rows.map((r) => [r.seed, r.knapsackLoss.toFixed(4), r.localLoss.toFixed(4), r.moves, r.evaluations, pct(r.knapsackTest), pct(r.localTest), r.knapsack, r.local]),
  ),
].join('\n');
writeResults(out, 'Headroom above the knapsack: a local search on the whole-strategy objective', command, body);
