import test from 'ava';
import { parseRunConfig, parseStoredConfig } from '../../run/config.js';
import { buildEnvironment } from '../../run/environment.js';
import { rerank, rerankSplit, type StoredEpisode } from '../../run/final/rerank.js';
import { cacheTinyBaseline, TINY } from '../helpers/tiny-run.js';
import { tmpDir } from '../helpers/tmp-dir.js';

test('the re-rank scores its rows on the holdout images: with every holdout label naming no class, both rows score 0 of 1000', async (t) => {
  const workdir = tmpDir(t);
  await cacheTinyBaseline(workdir);
  const config = parseRunConfig({ ...TINY, rerankTop: 2, rerankSteps: 2 });
  const built = await buildEnvironment(config, workdir);
  t.teardown(() => {
    built.env.dispose();
    built.model.dispose();
  });
  const holdout = built.data.holdout!;
  t.is(holdout.count, 1000);
  t.is(rerankSplit(built.data).name, 'holdout');
  // class 10 of a 10-class model: no argmax ever matches, so a row scored on these images has accuracy exactly 0,
  // while the validation images (left as they are) would score far above 0
  built.data.holdout = { ...holdout, y: new Int32Array(holdout.count).fill(10) };
  const layers = (bits: number) => built.env.layers.map((l) => ({ name: l.name, bits, pruneRatio: 0, clusters: 0 }));
  const episodes: StoredEpisode[] = [
    { episode: 0, accuracy: 0.9, reward: -0.2, strategy: layers(8) },
    { episode: 1, accuracy: 0.8, reward: -0.5, strategy: layers(4) },
  ];
  const rows = await rerank(built, config, episodes);
  t.deepEqual(rows.map((r) => r.accuracy), [0, 0]);
  t.deepEqual(rows.map((r) => r.searchAccuracy).sort(), [0.8, 0.9], 'the search figures are kept beside them');
});

test('a run stored without a holdout size keeps its meaning: holdout 0, so it re-ranks on validation', (t) => {
  const stored = { ...parseRunConfig({}) } as Record<string, unknown>;
  delete stored.holdoutSize;
  t.is(parseStoredConfig(stored, 'r1').holdoutSize, 0);
  t.is(parseRunConfig({}).holdoutSize, 'auto');
  const data = { validation: { x: new Float32Array(2), y: new Int32Array(2), count: 2 }, holdout: { x: new Float32Array(0), y: new Int32Array(0), count: 0 } };
  t.is(rerankSplit(data as never).name, 'validation');
});
