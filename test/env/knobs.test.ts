import test from 'ava';
import { ConfigError } from '../../errors.js';
import {
  actionToSpec,
  bitsFromAction,
  candidateSpecs,
  clustersFromAction,
  DEFAULT_BOUNDS,
  type KnobBounds,
  pruneFromAction,
  type SearchSpace,
  specToAction,
  validateSpace,
} from '../../env/knobs.js';
import { layerSpec } from '../../learners/types.js';

const base = layerSpec({ bits: 32, pruneRatio: 0, clusters: 0, bucket: 'channel' });
const space = (knobs: SearchSpace['knobs'], bounds: Partial<KnobBounds> = {}): SearchSpace => ({ knobs, bounds: { ...DEFAULT_BOUNDS, ...bounds }, base });

test('bits [2, 8]: a = 0 gives 2, a = 1 gives 8, and each of the 7 widths owns 1/7 of [0, 1]', (t) => {
  t.is(bitsFromAction(0, [2, 8]), 2);
  t.is(bitsFromAction(1, [2, 8]), 8);
  // slice k (bits 2 + k) is [k/7, (k+1)/7): just inside each edge
  for (let k = 0; k < 7; k++) {
    t.is(bitsFromAction(k / 7 + 1e-9, [2, 8]), 2 + k, `just above ${k}/7`);
    if (k > 0) t.is(bitsFromAction(k / 7 - 1e-9, [2, 8]), 1 + k, `just below ${k}/7`);
  }
  // centres: 0.5/7 -> 2, 3.5/7 = 0.5 -> 5, 6.5/7 -> 8
  t.is(bitsFromAction(0.5 / 7, [2, 8]), 2);
  t.is(bitsFromAction(0.5, [2, 8]), 5);
  t.is(bitsFromAction(6.5 / 7, [2, 8]), 8);
});

test('actions outside [0, 1] or not finite are clamped, never extrapolated', (t) => {
  t.is(bitsFromAction(-3, [2, 8]), 2);
  t.is(bitsFromAction(7, [2, 8]), 8);
  t.is(bitsFromAction(Number.NaN, [2, 8]), 2);
  t.is(pruneFromAction(2, [0, 0.9], 0.05), 0.9);
  t.is(clustersFromAction(-1, [4, 64]), 4);
});

test('specToAction returns the centre of the bit slice: 2 bits -> 0.5/7, 8 bits -> 6.5/7', (t) => {
  const s = space(['bits']);
  t.is(specToAction({ ...base, bits: 2 }, s)[0], 0.5 / 7);
  t.is(specToAction({ ...base, bits: 5 }, s)[0], 3.5 / 7);
  t.is(specToAction({ ...base, bits: 8 }, s)[0], 6.5 / 7);
});

test('prune ratio is linear in [0, 0.9] and snaps to the 0.05 grid', (t) => {
  t.is(pruneFromAction(0, [0, 0.9], 0.05), 0);
  t.is(pruneFromAction(1, [0, 0.9], 0.05), 0.9);
  t.is(pruneFromAction(0.5, [0, 0.9], 0.05), 0.45);
  // 0.3 * 0.9 = 0.27 -> nearest multiple of 0.05 is 0.25; 0.32 * 0.9 = 0.288 -> 0.3
  t.is(pruneFromAction(0.3, [0, 0.9], 0.05), 0.25);
  t.is(pruneFromAction(0.32, [0, 0.9], 0.05), 0.3);
  // values are clean decimals (no 0.15000000000000002) so identical strategies share a cache key
  t.is(pruneFromAction(1 / 6, [0, 0.9], 0.05), 0.15);
  // a lower bound off the grid is itself the smallest value: [0.12, 0.9] starts at 0.12, then 0.15
  t.is(pruneFromAction(0, [0.12, 0.9], 0.05), 0.12);
  t.is(pruneFromAction(0.04, [0.12, 0.9], 0.05), 0.15);
});

test('the prune grid of [0, 0.9] step 0.05 has the 19 values 0, 0.05, ..., 0.9', (t) => {
  const values = candidateSpecs(space(['prune'])).map((s) => s.pruneRatio);
  t.deepEqual(values, Array.from({ length: 19 }, (_, i) => Number((i * 0.05).toFixed(2))));
});

test('clusters are on a log scale: [4, 64] gives 4 at a = 0, 16 at a = 0.5, 64 at a = 1, 8 at a = 0.25', (t) => {
  t.is(clustersFromAction(0, [4, 64]), 4);
  t.is(clustersFromAction(0.25, [4, 64]), 8);
  t.is(clustersFromAction(0.5, [4, 64]), 16);
  t.is(clustersFromAction(0.75, [4, 64]), 32);
  t.is(clustersFromAction(1, [4, 64]), 64);
  // so the lower half of the actions covers 4..16 and the upper half 16..64
  const values = candidateSpecs(space(['clusters'])).map((s) => s.clusters);
  t.deepEqual(values, Array.from({ length: 61 }, (_, i) => 4 + i));
});

test('every grid point round-trips: actionToSpec(specToAction(spec)) = spec, for bits, prune and clusters together', (t) => {
  const s = space(['bits', 'prune', 'clusters']);
  const grid = candidateSpecs(s);
  t.is(grid.length, 7 * 19 * 61);
  for (const spec of grid) {
    const a = specToAction(spec, s);
    t.true(a.every((v) => v >= 0 && v <= 1));
    const back = actionToSpec(a, s);
    if (back.bits !== spec.bits || back.pruneRatio !== spec.pruneRatio || back.clusters !== spec.clusters) {
      t.fail(`${spec.bits}/${spec.pruneRatio}/${spec.clusters} came back as ${back.bits}/${back.pruneRatio}/${back.clusters}`);
      return;
    }
  }
  t.pass();
});

test('every action lands on a grid point, also with a fine prune step and wide cluster bounds', (t) => {
  for (const bounds of [{}, { pruneStep: 0.0001 }, { clusters: [2, 65536] as [number, number] }, { prune: [0.12, 0.93] as [number, number], pruneStep: 0.05 }]) {
    const s = space(['prune', 'clusters'], bounds);
    const grid = new Set(candidateSpecs(s).map((g) => `${g.pruneRatio}/${g.clusters}`));
    for (let i = 0; i <= 2000; i++) {
      const a = [(i * 0.618034) % 1, (i * 0.414214) % 1];
      const spec = actionToSpec(a, s);
      if (!grid.has(`${spec.pruneRatio}/${spec.clusters}`)) {
        t.fail(`bounds ${JSON.stringify(bounds)}: action ${a} gives ${spec.pruneRatio}/${spec.clusters}, not in the grid`);
        return;
      }
      const back = actionToSpec(specToAction(spec, s), s);
      if (back.pruneRatio !== spec.pruneRatio || back.clusters !== spec.clusters) {
        t.fail(`bounds ${JSON.stringify(bounds)}: ${spec.pruneRatio}/${spec.clusters} does not round-trip`);
        return;
      }
    }
  }
  t.pass();
});

test('a knob with equal bounds maps every action to that value and reports action 0.5', (t) => {
  const s = space(['bits', 'prune', 'clusters'], { bits: [4, 4], prune: [0.5, 0.5], clusters: [16, 16] });
  t.deepEqual(actionToSpec([0, 0.3, 1], s), { ...base, bits: 4, pruneRatio: 0.5, clusters: 16 });
  t.deepEqual(specToAction({ ...base, bits: 4, pruneRatio: 0.5, clusters: 16 }, s), [0.5, 0.5, 0.5]);
});

test('unsearched knobs keep the base value; the grid varies only the searched ones', (t) => {
  const s = space(['bits']);
  t.deepEqual(actionToSpec([1], s), { ...base, bits: 8 });
  t.deepEqual(
    candidateSpecs(s).map((g) => [g.bits, g.pruneRatio, g.clusters]),
    [2, 3, 4, 5, 6, 7, 8].map((b) => [b, 0, 0]),
  );
});

test('validateSpace refuses bad bounds with a one-line ConfigError', (t) => {
  const bad: Array<Partial<KnobBounds>> = [{ bits: [0, 8] }, { bits: [6, 4] }, { prune: [0, 1] }, { clusters: [1, 64] }, { pruneStep: 0 }];
  for (const b of bad) {
    const e = t.throws(() => validateSpace(space(['bits'], b)), { instanceOf: ConfigError });
    t.false(e!.message.includes('\n'));
  }
  t.throws(() => validateSpace(space([])), { instanceOf: ConfigError });
  t.throws(() => validateSpace(space(['depth' as never])), { instanceOf: ConfigError, message: /unknown knob 'depth'/ });
});
