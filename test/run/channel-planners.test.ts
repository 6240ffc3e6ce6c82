import test from 'ava';
import type { RunConfig } from '../../run/config.js';
import type { RunEvent } from '../../run/events.js';
import { runSearch } from '../../run/search.js';
import { removeDir, TINY, tinyWorkdir } from '../helpers/tiny-run.js';

let workdir = '';
test.before(async () => {
  workdir = await tinyWorkdir('channel-planners');
});
test.after.always(() => removeDir(workdir));

/**
 * The tiny mlp (fc1 784 x 300, fc2 300 x 100, fc3 100 x 10: 235,200 + 30,000 + 1,000 = 266,200 MACs) under
 * flops:0.5 (133,100 MACs), channels only, preserve ratios 0.2..1 in steps of 0.05. fc3 is the classifier: its 10
 * outputs stay.
 */
const base: Partial<RunConfig> = { ...TINY, knobs: ['channels'], budget: 'flops:0.5', rerankTop: 1 };
const finished = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'episode-finished' ? [e] : []));
const ratios = (e: { strategy: Array<{ preserveRatio?: number }> }) => e.strategy.map((l) => l.preserveRatio ?? 1);
/** Dense MACs of the mlp keeping fractions p1 of fc1's and p2 of fc2's outputs. */
const macs = (p1: number, p2: number) => 784 * 300 * p1 + 300 * p1 * 100 * p2 + 100 * p2 * 10;

test.serial('--agent plan: one ratio for all, 0.5 (125,600 MACs; 0.55 costs 138,985), then the leftover to fc2 (fc1 at 0.55 never fits) up to 0.95 (132,800; 1.0 costs 133,600)', async (t) => {
  const events: RunEvent[] = [];
  await runSearch({ ...base, agent: 'plan' }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  const [first] = finished(events);
  t.deepEqual(ratios(first), [0.5, 0.95, 1]);
  t.is(macs(0.5, 0.95), 132_800);
  t.is(first.cost, 132_800);
});

test.serial('--agent plan with --knobs bits,prune,channels under flops: the same ratios, and the other knobs at 8 bits and no pruning (a flops budget prices every prune ratio alike: the plan must not take 0.9)', async (t) => {
  const events: RunEvent[] = [];
  await runSearch({ ...base, knobs: ['bits', 'prune', 'channels'], agent: 'plan' }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  const [first] = finished(events);
  t.deepEqual(ratios(first), [0.5, 0.95, 1]);
  t.deepEqual(
    first.strategy.map((l) => [l.bits, l.pruneRatio]),
    [
      [8, 0],
      [8, 0],
      [8, 0],
    ],
  );
});

test.serial('--warm-start plan: episode 1 is the plan (the fill finds no raise that fits) and the actor reproduces it on all 3 layers; every episode fits', async (t) => {
  const events: RunEvent[] = [];
  await runSearch({ ...base, agent: 'ddpg', warmStart: 'plan', episodes: 4, warmup: 1 }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  const eps = finished(events);
  t.deepEqual(ratios(eps[0]), [0.5, 0.95, 1]);
  t.true(events.some((e) => e.type === 'log' && e.message.startsWith('warm start: the actor imitates the channel plan and reproduces it on all 3 layers')), JSON.stringify(events.filter((e) => e.type === 'log')));
  for (const e of eps) t.true(e.cost <= 133_100, `episode ${e.episode}: ${e.cost}`);
});

test.serial('--agent local with channels starts from the plan; each next episode moves one layer a rung up and another a rung down (then fills) within the wall', async (t) => {
  const events: RunEvent[] = [];
  await runSearch({ ...base, agent: 'local', episodes: 3 }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  const eps = finished(events);
  t.deepEqual(ratios(eps[0]), [0.5, 0.95, 1]);
  // from [0.5, 0.95]: fc1 up a rung needs fc2 down; fc1 0.55 with fc2 0.9: 129,360 + 165 * 90 + 900 = 145,110 > 133,100,
  // so the one move that fits is fc2 up (1.0) with fc1 down (0.45): 105,840 + 13,500 + 1,000 = 120,340, filled by
  // raising fc1 again where it fits (0.5 with fc2 1.0 costs 133,600: no), so [0.45, 1]
  t.deepEqual(ratios(eps[1]), [0.45, 1, 1]);
  for (const e of eps) t.true(e.cost <= 133_100, `episode ${e.episode}: ${e.cost}`);
});

test.serial('the channel fill spends what the wall leaves: random search episodes, filled, leave no single rung that would still fit', async (t) => {
  const events: RunEvent[] = [];
  await runSearch({ ...base, agent: 'random', episodes: 3 }, { workdir, backend: 'wasm', onEvent: (e) => events.push(e) });
  const grid = Array.from({ length: 17 }, (_, k) => Math.round((0.2 + 0.05 * k) * 100) / 100);
  for (const e of finished(events)) {
    const [p1, p2] = ratios(e);
    t.true(e.cost <= 133_100);
    const up = (p: number) => grid[grid.indexOf(p) + 1] ?? Infinity;
    t.true(up(p1) === Infinity || macs(up(p1), p2) > 133_100, `fc1 ${p1} -> ${up(p1)} with fc2 ${p2} would fit`);
    t.true(up(p2) === Infinity || macs(p1, up(p2)) > 133_100, `fc2 ${p2} -> ${up(p2)} with fc1 ${p1} would fit`);
  }
});
