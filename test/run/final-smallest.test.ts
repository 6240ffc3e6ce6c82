import test from 'ava';
import { smallestLines } from '../../cli/smallest-lines.js';
import { selectBackend } from '../../env/backend.js';
import type { DataSplit } from '../../env/data/dataset.js';
import { parseRunConfig } from '../../run/config.js';
import { buildEnvironment } from '../../run/environment.js';
import { finishRun } from '../../run/final/final.js';
import type { StoredEpisode } from '../../run/final/rerank.js';
import { chooseSmallest } from '../../run/final/smallest.js';
import type { RunEvent } from '../../run/events.js';
import { runSearch, storePath } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import { cacheTinyBaseline, TINY } from '../helpers/tiny-run.js';
import { tmpDir } from '../helpers/tmp-dir.js';

/** Each image of a split as text, to compare splits by content rather than by index. */
function images(split: DataSplit): Set<string> {
  const d = split.x.length / split.count;
  return new Set(Array.from({ length: split.count }, (_, i) => split.x.subarray(i * d, (i + 1) * d).join(',')));
}

test.before(async () => {
  await selectBackend('wasm');
});

test.serial('--goal smallest judges on the holdout images, none of which an episode trained on or was scored on: with every holdout label naming no class, the baseline and every re-scored strategy score 0 there, and the smallest (2 bits) is picked', async (t) => {
  const workdir = tmpDir(t);
  await cacheTinyBaseline(workdir);
  const config = parseRunConfig({ ...TINY, goal: 'smallest', maxDrop: 0.5, rerankSteps: 2 });
  const built = await buildEnvironment(config, workdir);
  t.teardown(() => {
    built.env.dispose();
    built.model.dispose();
  });
  const holdout = built.data.holdout!;
  t.is(holdout.count, 1000);
  const seen = new Set([...images(built.data.train), ...images(built.data.validation)]);
  t.is([...images(holdout)].filter((x) => seen.has(x)).length, 0, 'no holdout image is a training or validation image');
  // class 10 of a 10-class model: no argmax ever matches, so a strategy scored on these images has accuracy exactly 0,
  // while the episodes' validation images (left as they are) score far above 0
  built.data.holdout = { ...holdout, y: new Int32Array(holdout.count).fill(10) };
  const layers = (bits: number) => built.env.layers.map((l) => ({ name: l.name, bits, pruneRatio: 0, clusters: 0 }));
  const episodes: StoredEpisode[] = [
    { episode: 0, accuracy: 0.9, reward: 1.9, strategy: layers(8) },
    { episode: 1, accuracy: 0.9, reward: 1.95, strategy: layers(4) },
    { episode: 2, accuracy: 0.9, reward: 1.97, strategy: layers(2) },
  ];
  // the bar: at most ceil(log2(3 + 1)) = 2 re-scores of 2 steps; the bisection takes both (4 bits within, then 2 bits)
  const bar = { total: 0, steps: [] as number[], finished: 0 };
  const progress = (total: number) => ((bar.total = total), { update: (step: number) => void bar.steps.push(step), finish: () => void bar.finished++ });
  const choice = await chooseSmallest(built, config, episodes, progress);
  t.deepEqual(bar, { total: 4, steps: [1, 2, 3, 4], finished: 1 });
  t.is(choice.heldOut.split, 'holdout');
  t.is(choice.heldOut.baseline, 0);
  // the baseline scores 0 too, so 0 is within 0.5 points of it: every strategy meets the drop, and the smallest wins
  t.true(choice.met);
  t.deepEqual(choice.rows.map((r) => r.heldOutAccuracy), choice.rows.map(() => 0));
  t.is(choice.rows.find((r) => r.chosen)?.episode, 2, 'the 2-bit strategy is the smallest');
});

test.serial('a drop that cannot be met (0 points, 1 bit, 98% pruned, 4 clusters) finishes the closest strategy, says so, and the test does not confirm it', async (t) => {
  const workdir = tmpDir(t);
  await cacheTinyBaseline(workdir);
  const events: RunEvent[] = [];
  const run = await runSearch(
    { ...TINY, goal: 'smallest', agent: 'random', episodes: 3, maxDrop: 0, bitBounds: [1, 1], pruneBounds: [0.98, 0.98], clusterBounds: [4, 4], rerankSteps: 2, finalSteps: 3 },
    { workdir, backend: 'wasm', onEvent: (e) => events.push(e) },
  );
  // the views' inputs: run-started names the drops (0 asked, the episodes aim within 0 + 30), the store the baseline
  const started = events.find((e) => e.type === 'run-started');
  if (started?.type !== 'run-started') throw new Error('no run-started');
  // TINY's --budget size:4bits caps the size: the views name it
  t.deepEqual(started.smallest, { maxDrop: 0, episodeDrop: 30, found: null, cap: started.budget.label });
  const store = openStore(storePath(workdir), { readonly: true });
  t.deepEqual(store.getRun(run.runId).baseline, { accuracy: started.baselineAccuracy, full: started.budget.full });
  store.close();
  // the three episodes are one strategy: one re-score of 2 steps (--rerank-steps), on the bar given 1 x 2 steps
  const bar = { total: 0, steps: [] as number[], finished: 0 };
  const rescoreProgress = (total: number) => ((bar.total = total), { update: (step: number) => void bar.steps.push(step), finish: () => void bar.finished++ });
  const report = await finishRun(run.runId, { workdir, backend: 'wasm', rescoreProgress });
  t.deepEqual(bar, { total: 2, steps: [1, 2], finished: 1 });
  const s = report.smallest!;
  t.false(s.met);
  t.false(s.confirmed);
  t.true(s.testDrop > 0);
  t.is(report.references, undefined, 'no references under --goal smallest');
  const chosen = s.rows.filter((r) => r.chosen);
  t.is(chosen.length, 1);
  t.is(chosen[0].heldOutAccuracy, Math.max(...s.rows.map((r) => r.heldOutAccuracy)), 'the closest: the highest held-out accuracy');
  const lines = smallestLines(s, { packedBytes: report.sizes.packedBytes, ratio: report.sizes.ratio, testAccuracy: report.testAccuracy, baselineTestAccuracy: report.baselineTestAccuracy });
  t.true(lines.some((l) => l.includes('no re-scored strategy stayed within 0 points')));
  t.true(lines.at(-1)!.includes('NOT confirmed'));
});
