/**
 * How well the latency table predicts (docs/latency.md): on a zoo model's architecture (times do not depend on the
 * weights, so the untrained model is timed), the table is timed as a run times it, then for a few channel strategies
 * (uniform preserve ratios, and seeded random ratios per layer) the model is built by the channel surgery (L1) and
 * timed side by side with the original, as the final stage times it: predicted against measured (median and fastest
 * block of the rounds). Beside it, the measurement's own noise: the original timed against itself, the two medians'
 * difference, a few times.
 *   npx tsx bench/latency-prediction.ts [--model mobilenet-tiny] [--batch 1] [--random 4] [--rounds 41]
 *     [--out bench/results/latency-prediction.md]
 */
import { loadavg } from 'node:os';
import { selectBackend } from '../env/backend.js';
import { ChannelSpace, pruneForCounts } from '../env/channel-space.js';
import { loadDataset } from '../env/data/load-dataset.js';
import { candidateSpecs, preserveOf } from '../env/knobs.js';
import { compressibleLayers } from '../env/layers.js';
import { predictLatency } from '../env/latency-table.js';
import { median, MODEL_REPEATS, timeModels } from '../env/latency-clock.js';
import { calibrationRatios } from '../env/latency-calibration.js';
import { measureLatencyTable } from '../env/latency-timing.js';
import { buildModel } from '../env/models/zoo.js';
import { FULL_PRECISION, type LayerSpec } from '../learners/types.js';
import { createRng } from '../agent/rng.js';
import { DEFAULT_BOUNDS } from '../env/knobs.js';
import { arg, table, writeResults } from './common.js';

const name = arg('model', 'mobilenet-tiny');
const batch = Number(arg('batch', '1'));
const randomCount = Number(arg('random', '4'));
const rounds = Number(arg('rounds', String(MODEL_REPEATS)));
const out = arg('out', 'bench/results/latency-prediction.md');
const command = `npx tsx bench/latency-prediction.ts ${process.argv.slice(2).join(' ')}`.trim();

const backend = (await selectBackend('wasm')).name;
const loadBefore = loadavg()[0];
const data = loadDataset('mnist', { seed: 1 });
const model = buildModel(name as 'mobilenet-tiny', data.inputShape, data.numClasses, 1);
const units = compressibleLayers(model);
const space = new ChannelSpace(model, units);
const ratios = [...new Set(candidateSpecs({ knobs: ['channels'], bounds: DEFAULT_BOUNDS, base: FULL_PRECISION }).map(preserveOf))];
const t0 = performance.now();
const lookup = await measureLatencyTable({ model, space, ratios, batch, key: { model: name, backend, machine: 'bench' } });
const tableSeconds = (performance.now() - t0) / 1000;
const entries = Object.values(lookup.layers).reduce((n, r) => n + Object.keys(r).length, 0);

const keep = (r: number): LayerSpec => (r < 1 ? { ...FULL_PRECISION, preserveRatio: r } : { ...FULL_PRECISION });
const grid = ratios.filter((r) => r >= 0.2);
const rng = createRng(7);
const strategies: Array<{ label: string; specs: LayerSpec[] }> = [
  ...[1, 0.75, 0.5, 0.3].map((r) => ({ label: `uniform ${r}`, specs: units.map(() => keep(r)) })),
  ...Array.from({ length: randomCount }, (_, k) => {
    const picks = units.map(() => grid[Math.floor(rng() * grid.length)]);
    return { label: `random ${k + 1}`, specs: picks.map(keep) };
  }),
];

const rows: Array<Array<string | number>> = [];
const errors: number[] = [];
const shareErrors: number[] = [];
const fastestErrors: number[] = [];
// the predicted share over the measured one (fastest blocks of the same rounds): the error in ms once the original's
// measured time in those rounds stands for the table's, so a machine slower or faster than when the table was timed
// moves both alike (what a fraction budget checks)
const shareRatios: number[] = [];
const pairedRatios: number[] = [];
for (const s of strategies) {
  const counts = space.counts(s.specs);
  const built = space.prunes(counts) ? await pruneForCounts(model, space, counts, 'l1') : { model, layers: units };
  const predicted = predictLatency(lookup, built.layers);
  const [fp32, mine] = await timeModels([model, built.model], batch, rounds);
  const error = (predicted - mine.medianMs) / mine.medianMs;
  errors.push(error);
  fastestErrors.push((predicted - mine.minMs) / mine.minMs);
  // what a fraction budget compares: the share of the original, predicted against the fastest blocks' share
  const predictedShare = predicted / lookup.fullMs;
  const fastestShare = mine.minMs / fp32.minMs;
  // each round's built block over the original's block just before it (a few ms apart, so in the same state of the
  // machine), the median over the rounds
  const pairedShare = median(mine.calls.map((c, r) => c / fp32.calls[r]));
  pairedRatios.push(predictedShare / pairedShare - 1);
  shareErrors.push(predictedShare - fastestShare);
  shareRatios.push(predictedShare / fastestShare - 1);
  const kept = space.prunable().map((n) => {
    const i = units.findIndex((u) => u.name === n);
    return `${space.channelsOf(i, counts)[0]}`;
  });
  const pc = (x: number) => `${(100 * x).toFixed(1)}%`;
  rows.push([s.label, kept.join('/'), predicted.toFixed(3), mine.medianMs.toFixed(3), pc(error), mine.minMs.toFixed(3), pc((predicted - mine.minMs) / mine.minMs), `${fp32.medianMs.toFixed(3)} / ${fp32.minMs.toFixed(3)}`, pc(predictedShare), pc(mine.medianMs / fp32.medianMs), pc(fastestShare), pc(predictedShare / fastestShare - 1), pc(pairedShare), pc(predictedShare / pairedShare - 1)]);
  if (built.model !== model) built.model.dispose();
}

// the measurement's own noise: the same model in both slots of the side-by-side rounds
const noise: Array<Array<string | number>> = [];
for (let k = 0; k < 3; k++) {
  const [a, b] = await timeModels([model, model], batch, rounds);
  const paired = median(b.calls.map((c, r) => c / a.calls[r]));
  noise.push([k + 1, a.medianMs.toFixed(3), b.medianMs.toFixed(3), `${(100 * (b.medianMs / a.medianMs - 1)).toFixed(1)}%`, a.minMs.toFixed(3), b.minMs.toFixed(3), `${(100 * (b.minMs / a.minMs - 1)).toFixed(1)}%`, `${(100 * (paired - 1)).toFixed(1)}%`]);
}
const loadAfter = loadavg()[0];
const within = errors.filter((e) => Math.abs(e) <= 0.1).length;
const withinFastest = fastestErrors.filter((e) => Math.abs(e) <= 0.1).length;

const body = [
  `Model: ${name} (untrained architecture, MNIST input), backend ${backend}, batch ${batch}. Load average (1 min) ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after, on 2 cores shared with other work: NOT idle cores.`,
  `The table: ${entries} entries over ${Object.keys(lookup.layers).length} units (preserve ratios 0.2-1 step 0.05), timed in interleaved rounds and calibrated on the whole model and its uniform cuts at ${calibrationRatios(ratios).join(', ')} (env/latency-calibration.ts), in ${tableSeconds.toFixed(0)} s all told; whole model ${lookup.fullMs.toFixed(3)} ms, scale ${lookup.scale?.toFixed(3)}, constant ${lookup.constantMs.toFixed(3)} ms.`,
  `Each strategy: built by the channel surgery (L1), then ${rounds} rounds timing a block of the original and a block of the built model in turn; measured = median of the rounds (fastest block beside it). Error = (predicted - measured median) / measured median.`,
  '',
  table(['strategy', `kept channels (${space.prunable().join('/')})`, 'predicted ms', 'measured median ms', 'error vs median', 'fastest block ms', 'error vs fastest', 'original median / fastest ms', 'predicted share of fp32', 'measured share (medians)', 'measured share (fastest)', 'error of the share (fastest)', 'measured share (per-round ratios)', 'error of the share (per-round)'], rows),
  '',
  `Predicted within 10% of the measured median: ${within} of ${errors.length} strategies; of the fastest block: ${withinFastest} of ${errors.length}. Predicted share of the fp32 time within 5 points of the fastest blocks' share: ${shareErrors.filter((e) => Math.abs(e) <= 0.05).length} of ${shareErrors.length}; within 10% of it (predicted share / measured share - 1, the ms error with the original's time of the same rounds standing for the table's): ${shareRatios.filter((e) => Math.abs(e) <= 0.1).length} of ${shareRatios.length}; within 10% of the median per-round ratio: ${pairedRatios.filter((e) => Math.abs(e) <= 0.1).length} of ${pairedRatios.length}.`,
  '',
  'The noise of the measurement: the original timed against itself in the same side-by-side rounds (3 repetitions).',
  '',
  table(['repetition', 'slot A median ms', 'slot B median ms', 'B / A - 1 (medians)', 'slot A fastest', 'slot B fastest', 'B / A - 1 (fastest)', 'median per-round B / A - 1'], noise),
].join('\n');
writeResults(out, `Latency prediction: the lookup table against the measured built model (${name})`, command, body);
model.dispose();
