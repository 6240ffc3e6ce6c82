/**
 * The smallest packed lenet5 within one point of the baseline's accuracy: a combined prune + cluster + quantize search
 * (reward within-drop) under a loose size budget, then the final fine-tune and the real file sizes. Deep Compression
 * (prune + share + Huffman, hand-set) reached 39x on LeNet-5 with no loss.
 *   npx tsx bench/compression.ts [--episodes 60] [--seeds 1] [--budget size:40x] [--workdir .autoshrink]
 */
import { selectBackend } from '../env/backend.js';
import { finishRun } from '../run/final.js';
import { runSearch } from '../run/search.js';
import { arg, table, writeResults } from './common.js';

const episodes = Number(arg('episodes', '60'));
const seeds = arg('seeds', '1').split(',').map(Number);
const budget = arg('budget', 'size:40x');
const workdir = arg('workdir', '.autoshrink');
const prune = arg('prune', '0.5-0.95').split('-').map(Number) as [number, number];
const clusters = arg('clusters', '4-32').split('-').map(Number) as [number, number];
const finetuneSteps = Number(arg('finetune-steps', '60'));
const backend = (await selectBackend('auto')).name;
const rows: Array<Array<string | number>> = [];
for (const seed of seeds) {
  const run = await runSearch(
    { model: 'lenet5', seed, episodes, warmup: Math.round(episodes / 3), budget, knobs: ['bits', 'prune', 'clusters'], reward: 'within-drop', maxDrop: 0.01, bitBounds: [2, 8], pruneBounds: prune, clusterBounds: clusters, finetuneSteps },
    { workdir, backend },
  );
  const r = await finishRun(run.runId, { workdir, backend });
  const s = r.sizes;
  rows.push([
    seed,
    run.runId,
    `${(r.baselineTestAccuracy * 100).toFixed(2)}%`,
    `${(r.testAccuracy * 100).toFixed(2)}%`,
    `${((r.testAccuracy - r.baselineTestAccuracy) * 100).toFixed(2)}`,
    s.packedBytes,
    s.headerBytes,
    s.gzipBytes,
    s.fp32Bytes,
    `${s.ratio.toFixed(1)}x`,
    `${(s.fp32Bytes / s.gzipBytes).toFixed(1)}x`,
    (run.best?.strategy ?? []).map((l) => `${l.name} ${l.bits}b/${Math.round(l.pruneRatio * 100)}%/${l.clusters}c`).join(', '),
  ]);
  process.stdout.write(`${rows[rows.length - 1].join('  ')}\n`);
}
writeResults(
  'bench/results/compression.md',
  'Smallest lenet5 within 1 point of the baseline (prune + cluster + quantize)',
  `npx tsx bench/compression.ts --episodes ${episodes} --seeds ${seeds.join(',')} --budget ${budget} --prune ${prune.join('-')} --clusters ${clusters.join('-')} --finetune-steps ${finetuneSteps}`,
  `Search: ${episodes} episodes of DDPG over bits (2-8), prune ratio (${prune.map((p) => Math.round(p * 100)).join('-')}%) and clusters (${clusters.join('-')}) per layer, ${finetuneSteps} fine-tune steps per episode, reward within-drop (1 point), ` +
    `hard budget ${budget}; then 600 fine-tune steps of the best strategy from the original weights, test split (2000 images). ` +
    'Sizes are real files: model.ashk (header included), its gzip, and the fp32 weights.\n\n' +
    table(['seed', 'run', 'baseline test', 'test', 'change (points)', 'packed bytes', 'of which header', 'gzip of packed', 'fp32 bytes', 'fp32 / packed', 'fp32 / gzip', 'strategy (bits/prune/clusters)'], rows),
);
