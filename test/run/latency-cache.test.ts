import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import test from 'ava';
import { selectBackend } from '../../env/backend.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { parseRunConfig } from '../../run/config.js';
import { searchSpace } from '../../run/environment.js';
import { latencyTableFor, machineKey, modelKey } from '../../run/latency.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { twoDenseLayers } from '../helpers/two-dense.js';

const data = loadDataset('mnist', { seed: 1 });

test.before(async () => {
  await selectBackend('wasm');
});

const twoLayers = () => twoDenseLayers(data.inputShape);

test.serial('a table cached by the earlier timing method is not read; one cached by this method is, whole-model time and all', async (t) => {
  const model = twoLayers();
  t.teardown(() => model.dispose());
  const workdir = tmpDir(t);
  const config = parseRunConfig({ model: 'two', budget: 'latency:0.9', knobs: ['channels'], channelBounds: [0.5, 1], channelStep: 0.5 });
  // the earlier method's file name: the key and the batch, without the method's version; 999 ms would show if read
  const key = { model: modelKey(config, model), backend: 'wasm', machine: machineKey() };
  const old = join(workdir, 'latency', `${createHash('sha256').update(JSON.stringify([key, config.latencyBatch])).digest('hex').slice(0, 16)}.json`);
  mkdirSync(join(workdir, 'latency'), { recursive: true });
  writeFileSync(old, JSON.stringify({ ...key, batch: 1, fullMs: 999, constantMs: 0, layers: { fc1: { '784x6': 1, '784x3': 0.5 }, fc2: { '6x3': 1, '3x3': 0.5 } } }));
  const first = (await latencyTableFor(config, searchSpace(config), model, workdir, 'wasm'))!;
  t.not(first.fullMs, 999);
  t.true(first.scale! > 0);
  t.is(readdirSync(join(workdir, 'latency')).length, 2, 'the old file left, a new one beside it');
  t.not(first.source, old);
  t.true(existsSync(first.source!));
  const second = (await latencyTableFor(config, searchSpace(config), model, workdir, 'wasm'))!;
  t.is(second.fullMs, first.fullMs);
  t.is(second.scale, first.scale);
  t.deepEqual(second.layers, first.layers);
});
