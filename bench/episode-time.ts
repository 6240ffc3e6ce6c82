/**
 * Seconds for a fixed list of measurements without fine-tune (env/measure.ts: restore, compress, batch-norm
 * re-estimation on 16 batches of 64, scoring the 2,000 validation images), and a digest of their losses and
 * accuracies, as one JSON line. Made to run in two checkouts in turn (before and after a change): the same digest says
 * the change gives the same answers bit for bit, the times give the ratio.
 * - `--kind episodes`: DDPG-like episodes, every layer compressed at seeded random bits (1..8) and prune ratios (0..0.9);
 * - `--kind sensitivities`: each searched layer alone at 1, 2, 4 and 8 bits, layer after layer (as the sensitivities).
 *   npx tsx bench/episode-time.ts [--model mobilenet-tiny] [--kind episodes] [--count 12] [--workdir .autoshrink]
 */
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { selectBackend } from '../env/backend.js';
import { compressibleLayers } from '../env/layers.js';
import { StrategyMeasurer } from '../env/measure.js';
import { FULL_PRECISION, layerSpec, type LayerSpec } from '../learners/types.js';
import { prepare } from '../run/setup.js';
import { arg } from './common.js';

const name = arg('model', 'mobilenet-tiny');
const kind = arg('kind', 'episodes');
const count = Number(arg('count', '12'));
const workdir = arg('workdir', '.autoshrink');
await selectBackend('wasm');
const { model, data } = await prepare({ model: name, data: 'mnist', dataSeed: 1, workdir });
const layers = compressibleLayers(model);
const config = { finetune: { steps: 0, batchSize: 64, learningRate: 5e-4, bnBatches: 16, distill: false }, evalSize: 0, seed: 1 };
const measurer = new StrategyMeasurer({ model, data, allLayers: layers, layers, channels: null, config });
let s = 12345;
const random = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const strategies: LayerSpec[][] =
  kind === 'episodes'
    ? Array.from({ length: count }, () => layers.map(() => layerSpec({ bits: 1 + Math.floor(random() * 8), pruneRatio: Math.round(random() * 9) / 10 })))
    : layers.flatMap((_, i) => [1, 2, 4, 8].map((b) => layers.map((__, j) => (j === i ? layerSpec({ bits: b }) : FULL_PRECISION))));
await measurer.measure(strategies[0], null); // warm-up
const t0 = performance.now();
const scores: string[] = [];
for (const strategy of strategies) {
  const m = await measurer.measure(strategy, null);
  scores.push(`${m.accuracy}|${m.loss}`);
}
const seconds = (performance.now() - t0) / 1000;
const digest = createHash('sha256').update(scores.join('\n')).digest('hex').slice(0, 16);
process.stdout.write(`${JSON.stringify({ model: name, kind, measurements: strategies.length, seconds: +seconds.toFixed(3), digest, load: +loadavg()[0].toFixed(2) })}\n`);
measurer.dispose();
model.dispose();
