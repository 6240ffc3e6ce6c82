import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import * as tf from '../../tfjs.js';
import { selectBackend } from '../../env/backend.js';
import { ChannelSpace } from '../../env/channel-space.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { compressibleLayers } from '../../env/layers.js';
import { calibrationRatios, fitScale } from '../../env/latency-calibration.js';
import { predictLatency } from '../../env/latency-table.js';
import { measureLatencyTable } from '../../env/latency-timing.js';
import { readLatencyTable } from '../../run/latency.js';
import { twoDenseLayers } from '../helpers/two-dense.js';

const data = loadDataset('mnist', { seed: 1 });

test.before(async () => {
  await selectBackend('wasm');
});

test('the scale is the least-squares slope through the full model: table 1.0 -> 2.0 ms, cuts 0.5 -> 1.2 and 0.25 -> 0.8 ms give (0.8*0.5 + 1.2*0.75) / (0.5^2 + 0.75^2) = 1.6', (t) => {
  const full = { tableMs: 1, measuredMs: 2 };
  const scale = fitScale(full, [
    { tableMs: 0.5, measuredMs: 1.2 },
    { tableMs: 0.25, measuredMs: 0.8 },
  ]);
  t.true(Math.abs(scale - 1.3 / 0.8125) < 1e-12);
  t.true(Math.abs(scale - 1.6) < 1e-12);
});

test('a cut the table times exactly gives scale 1: table 0.6 -> 0.3 ms, measured 0.9 -> 0.6 ms (0.3 ms less on both)', (t) => {
  t.true(Math.abs(fitScale({ tableMs: 0.6, measuredMs: 0.9 }, [{ tableMs: 0.3, measuredMs: 0.6 }]) - 1) < 1e-12);
});

test('no cut that moves the table, or a cut measured slower than the full model, leaves the table as it is (scale 1)', (t) => {
  const full = { tableMs: 1, measuredMs: 2 };
  t.is(fitScale(full, []), 1);
  t.is(fitScale(full, [{ tableMs: 1, measuredMs: 1.5 }]), 1);
  t.is(fitScale(full, [{ tableMs: 0.5, measuredMs: 2.5 }]), 1);
});

test('the calibration cuts at up to three ratios below 1, from the smallest: 0.2..0.95 step 0.05 gives 0.2, 0.45, 0.7; [0.5, 1] gives 0.5', (t) => {
  const grid = Array.from({ length: 17 }, (_, k) => Math.round((0.2 + 0.05 * k) * 100) / 100);
  t.deepEqual(calibrationRatios(grid), [0.2, 0.45, 0.7]);
  t.deepEqual(calibrationRatios([0.5, 1]), [0.5]);
  t.deepEqual(calibrationRatios([1]), []);
});

const twoLayers = () => twoDenseLayers(data.inputShape);

test.serial('a measured table is calibrated: a positive scale, and still the full model predicts its measured time', async (t) => {
  const model = twoLayers();
  t.teardown(() => model.dispose());
  const before = tf.memory().numTensors;
  const table = await measureLatencyTable({ model, space: new ChannelSpace(model, compressibleLayers(model)), ratios: [0.5, 1], batch: 1, key: { model: 'two', backend: 'wasm', machine: 'here' } });
  t.is(tf.memory().numTensors, before, 'no tensor left behind (the cut model of the calibration disposed)');
  t.true(table.scale! > 0);
  t.true(Math.abs(predictLatency(table, compressibleLayers(model)) - table.fullMs) < 1e-12);
});

test.serial('a cached table keeps its entries and its scale; only the missing pairs are timed: fc1 as cached (1 and 0.5 ms), fc2 timed', async (t) => {
  const model = twoLayers();
  t.teardown(() => model.dispose());
  const known = { fc1: { '784x6': 1, '784x3': 0.5 } };
  const table = await measureLatencyTable({ model, space: new ChannelSpace(model, compressibleLayers(model)), ratios: [0.5, 1], batch: 1, key: { model: 'two', backend: 'wasm', machine: 'here' }, known, knownScale: 2 });
  t.deepEqual(table.layers.fc1, known.fc1);
  t.deepEqual(Object.keys(table.layers.fc2).sort(), ['3x3', '6x3']);
  t.is(table.scale, 2);
  t.true(Math.abs(table.constantMs - (table.fullMs - 1 - table.layers.fc2['6x3'])) < 1e-12);
});

test('a table file with a scale and one without (measured elsewhere, docs/latency.md) both read', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'latency-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = { model: 'm', backend: 'webgl', machine: 'phone', batch: 1, fullMs: 2, constantMs: 0.5, layers: { fc1: { '784x6': 1.5 } } };
  writeFileSync(join(dir, 'a.json'), JSON.stringify({ format: 'autoshrink-latency-table', version: 1, ...base }));
  writeFileSync(join(dir, 'b.json'), JSON.stringify({ ...base, scale: 1.25 }));
  t.is(readLatencyTable(join(dir, 'a.json')).scale, undefined);
  t.is(readLatencyTable(join(dir, 'b.json')).scale, 1.25);
  t.throws(() => readLatencyTable((writeFileSync(join(dir, 'c.json'), JSON.stringify({ ...base, scale: -1 })), join(dir, 'c.json'))), { message: /field scale/ });
});
