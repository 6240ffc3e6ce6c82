/**
 * Measurements without fine-tune before and after the work saved where the answer does not change, side by side in
 * one process on the wasm backend, for mobilenet-tiny and lenet5. 'after' (the default): the layers before the first
 * changed one reused (env/prefix-cache.ts), batch-norm re-estimation stopping at the last batch norm without tfjs's
 * momentum update (env/batch-norm.ts); 'before': neither (`prefixBytes: 0`, `setRecalibrationShortcuts(false)`).
 * - 'sensitivities': what run/planners/sensitivities.ts measures, one layer compressed with the others at fp32, layer
 *   after layer (here each searched layer at `--bits`, 1,2,4,8 by default, half of them also 50% pruned);
 * - 'episodes': DDPG-like episodes, every layer compressed at seeded random settings, the first layer set as in the
 *   episode before with probability 0.3 (as 77 of 259 fresh episodes of three default lenet5 searches did): those
 *   start after the first layer.
 * Each measurement is env/measure.ts's: restore, compress, batch-norm re-estimation (16 batches of 64), scoring the
 * 2,000 validation images. Per round the two sets run back to back, in turn (interleaved, so the load falls on both);
 * a ratio is the median of the rounds' own ratios. Every loss and accuracy of the two sets is compared bit for bit.
 *   npx tsx bench/episode-work.ts [--models mobilenet-tiny,lenet5] [--rounds 3] [--episodes 20] [--workdir .autoshrink]
 */
import { loadavg } from 'node:os';
import { selectBackend } from '../env/backend.js';
import { BN_RECALIBRATION_BATCHES, setRecalibrationShortcuts } from '../env/batch-norm.js';
import { compressibleLayers } from '../env/layers.js';
import { StrategyMeasurer } from '../env/measure.js';
import { FULL_PRECISION, layerSpec, type LayerSpec } from '../learners/types.js';
import { DEFAULT_CONFIG } from '../run/config.js';
import { prepare } from '../run/setup.js';
import { arg, table, writeResults } from './common.js';

const models = arg('models', 'mobilenet-tiny,lenet5').split(',');
const rounds = Number(arg('rounds', '3'));
const workdir = arg('workdir', '.autoshrink');
const bits = arg('bits', '1,2,4,8').split(',').map(Number);
const loadStart = loadavg()[0];
await selectBackend('wasm');

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const rows: Array<Array<string | number>> = [];
let mismatches = 0;
for (const name of models) {
  const { model, data } = await prepare({ model: name, data: 'mnist', dataSeed: 1, workdir });
  const layers = compressibleLayers(model);
  const config = { finetune: { steps: 0, batchSize: DEFAULT_CONFIG.finetuneBatch, learningRate: DEFAULT_CONFIG.finetuneLr, bnBatches: BN_RECALIBRATION_BATCHES, distill: false }, evalSize: 0, seed: 1 };
  const make = (prefixBytes?: number) => new StrategyMeasurer({ model, data, allLayers: layers, layers, channels: null, config, prefixBytes });
  const sets = { after: make(), before: make(0) };
  const sensitivities: LayerSpec[][] = layers.flatMap((_, i) =>
    bits.map((b, k) => layers.map((__, j) => (j === i ? layerSpec({ bits: b, pruneRatio: k % 2 ? 0.5 : 0 }) : FULL_PRECISION))),
  );
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  // DDPG-like: seeded random settings, the first layer set as in the episode before with probability 0.3 (77 of 259
  // fresh episodes of three default lenet5 searches did)
  const setting = () => layerSpec({ bits: 1 + Math.floor(random() * 8), pruneRatio: Math.round(random() * 9) / 10 });
  const episodes: LayerSpec[][] = [];
  for (let e = 0; e < Number(arg('episodes', '20')); e++) {
    const s = layers.map(setting);
    if (e > 0 && random() < 0.3) s[0] = episodes[e - 1][0];
    episodes.push(s);
  }
  for (const [kind, strategies] of [['sensitivities', sensitivities], ['episodes', episodes]] as const) {
    const seconds = { after: [] as number[], before: [] as number[] };
    const ratios: number[] = [];
    const scores = { after: [] as string[], before: [] as string[] };
    await sets.before.measure(strategies[0], null); // warm-up
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
      for (const set of order) {
        setRecalibrationShortcuts(set === 'after');
        const t0 = performance.now();
        for (const s of strategies) {
          const m = await sets[set].measure(s, null);
          if (r === 0) scores[set].push(`${m.accuracy}|${m.loss}`);
        }
        seconds[set].push((performance.now() - t0) / 1000);
      }
      ratios.push(seconds.before[r] / seconds.after[r]);
    }
    const differ = scores.after.filter((s, i) => s !== scores.before[i]).length;
    mismatches += differ;
    const per = (v: number[]) => ((1000 * median(v)) / strategies.length).toFixed(0);
    rows.push([name, kind, strategies.length, per(seconds.before), per(seconds.after), `${median(ratios).toFixed(2)}x`, ratios.map((x) => x.toFixed(2)).join(', '), differ === 0 ? 'all equal' : `${differ} differ`]);
    process.stdout.write(`${rows.at(-1)!.join('  ')}\n`);
  }
  setRecalibrationShortcuts(true);
  sets.after.dispose();
  sets.before.dispose();
  model.dispose();
}

writeResults(
  'bench/results/episode-work.md',
  'Less work per measurement without fine-tune',
  `npx tsx bench/episode-work.ts --models ${models.join(',')} --rounds ${rounds}${workdir === '.autoshrink' ? '' : ` --workdir ${workdir}`}`,
  `Load (1-min average) ${loadStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end (2 shared cores; the two sets run in turn ` +
    `within each round, so their ratio holds under the load). A measurement: env/measure.ts without fine-tune (restore, compress, ` +
    `batch-norm re-estimation on ${BN_RECALIBRATION_BATCHES} batches of ${DEFAULT_CONFIG.finetuneBatch}, scoring the 2,000 validation images). ` +
    `'sensitivities': each searched layer alone at ${bits.join(', ')} bits (every other one also 50% pruned), layer after layer, as ` +
    "run/planners/sensitivities.ts measures; 'episodes': every layer compressed, as a DDPG episode (seeded random bits 1..8 and prune ratios 0..0.9; the first layer " +
    'as in the episode before with probability 0.3, the share of 77 of 259 fresh episodes of three default lenet5 searches). ' +
    "'before': every pass from the images through the whole model, tfjs's momentum update in the re-estimation; 'after': the layers before " +
    "the boundary (the first changed layer, or the one after a changed first layer) reused (env/prefix-cache.ts), the re-estimation up to the last batch norm, no momentum update (env/batch-norm.ts). 'scores' compares every measurement's loss and accuracy of the two sets bit for bit.\n\n" +
    table(['model', 'strategies', 'measurements', 'ms each, before', 'ms each, after', 'speed-up (median)', 'per round', 'scores'], rows) +
    (mismatches ? `\n\n${mismatches} measurements differ between the sets.` : ''),
);
