import test from 'ava';
import seedrandom from 'seedrandom';
import { BudgetError, ConfigError } from '../../errors.js';
import { selectBackend } from '../../env/backend.js';
import { bitsAround, type BudgetKind, type BudgetSpec, enforceAfter, layerCost, parseBudget, planBudget, wall } from '../../env/budget.js';
import { formatBytes } from '../../units.js';
import { CompressionEnv, type LayerOrder } from '../../env/compression-env.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { actionToSpec, candidateSpecs, type Knob, specToAction } from '../../env/knobs.js';
import type { LayerInfo } from '../../env/layers.js';
import { buildModel } from '../../env/models/zoo.js';
import type { LayerSpec } from '../../learners/types.js';
import { BASE, dense, envConfig, space } from '../helpers/env-config.js';

test.before(async () => {
  await selectBackend('wasm');
});

const data = loadDataset('mnist', { seed: 1 });

// ---------------------------------------------------------------------------------------------------------------
// parseBudget

test('parseBudget reads size in bits per weight, kB, a ratio, and flops / bitops fractions or percentages', (t) => {
  t.deepEqual(parseBudget('size:3bits'), { kind: 'size', value: 3, unit: 'bits' });
  t.deepEqual(parseBudget('size:20kB'), { kind: 'size', value: 20000, unit: 'bytes' });
  t.deepEqual(parseBudget('size:1.5MB'), { kind: 'size', value: 1.5e6, unit: 'bytes' });
  t.deepEqual(parseBudget('size:512B'), { kind: 'size', value: 512, unit: 'bytes' });
  t.deepEqual(parseBudget('size:12x'), { kind: 'size', value: 12, unit: 'ratio' });
  t.deepEqual(parseBudget('size:25%'), { kind: 'size', value: 4, unit: 'ratio' });
  t.deepEqual(parseBudget('flops:0.5'), { kind: 'flops', value: 0.5, unit: 'fraction' });
  t.deepEqual(parseBudget('sparse-flops:50%'), { kind: 'flops', value: 0.5, unit: 'fraction', sparse: true });
  t.deepEqual(parseBudget('bitops:25%'), { kind: 'bitops', value: 0.25, unit: 'fraction' });
  t.deepEqual(parseBudget(' FLOPS:1 '), { kind: 'flops', value: 1, unit: 'fraction' });
  // average bits per weight between stored widths: mixed precision lives there
  t.deepEqual(parseBudget('size:1.5bits'), { kind: 'size', value: 1.5, unit: 'bits' });
  t.deepEqual(parseBudget('size:12bits'), { kind: 'size', value: 12, unit: 'bits' });
});

test('a fractional bit budget is the size halfway between the uniform sizes around it: a 10x10 dense layer, 2.5 bits', (t) => {
  const layers = [dense(0, 10, 10)];
  const plan = (value: number) => handPlan('size', layers, ['bits'], { kind: 'size', value, unit: 'bits' }).limit;
  // uniform b bits per output channel: 100 x b bits of codes + 10 fp32 (alpha, beta) pairs = 12.5 b + 80 bytes
  t.is(plan(2), 25 + 80);
  t.is(plan(3), 37.5 + 80);
  t.is(plan(2.5), 31.25 + 80);
  // 12 bits lies halfway between the 8-bit and the fp16 sizes: 8 bits 100 + 80 = 180 bytes, fp16 200 bytes (no scales)
  t.is(plan(12), 180 + 0.5 * (200 - 180));
  t.deepEqual(bitsAround(1.5), [1, 2]);
  t.deepEqual(bitsAround(3), [3, 3]);
  t.deepEqual(bitsAround(20), [16, 32]);
});

test('parseBudget refuses bad budgets with a one-line ConfigError that shows a valid form', (t) => {
  const bad = ['', 'size', 'size:', 'size:3', 'size:3 bits', 'depth:3', 'size:-2kB', 'flops:0', 'flops:1.5', 'flops:150%', 'bitops:2x', 'flops:3kB',
    // zero sizes used to pass (0x divided by zero); average widths must lie in [1, 32]
    'size:0x', 'size:0%', 'size:0kB', 'size:0bits', 'size:0.5bits', 'size:33bits'];
  for (const text of bad) {
    const e = t.throws(() => parseBudget(text), { instanceOf: ConfigError }, text);
    t.false(e!.message.includes('\n'), text);
    t.regex(e!.message, /(size|flops|bitops):[0-9]/, text);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Hand-made plans. Bit-operation costs of a dense 10x10 layer (100 MACs): 100 x (1 - prune) x bits x 8 activation
// bits, i.e. 800 per bit unpruned; at fp32 it costs 25,600.

function handPlan(kind: BudgetKind, layers: LayerInfo[], knobs: Knob[], budget: BudgetSpec) {
  const grid = candidateSpecs(space(knobs));
  const fp = { ...BASE, bits: 32 };
  return planBudget({
    kind,
    spec: budget,
    layers,
    candidates: layers.map(() => grid),
    fixedCost: 0,
    fullLayerCost: layers.reduce((s, l) => s + layerCost(kind, l, fp), 0),
    uniformSpec: (bits) => ({ ...BASE, bits }),
  });
}

const bits = (b: number, pruneRatio = 0): LayerSpec => ({ ...BASE, bits: b, pruneRatio });

test('layerCost: flops are MACs left after pruning, bitops add weight bits x 8 activation bits, size is packed bytes', (t) => {
  const l = dense(0, 10, 10);
  t.is(layerCost('sparse-flops', l, bits(4, 0.25)), 75);
  t.is(layerCost('flops', l, bits(4, 0.25)), 100); // dense MACs: pruning weights does not shorten the layer tfjs runs
  t.is(layerCost('bitops', l, bits(4, 0.25)), 75 * 4 * 8);
  // 100 weights at 3 bits + one (alpha, beta) fp32 pair per output channel: (300 + 10 x 64) / 8 bytes
  t.is(layerCost('size', l, bits(3)), (300 + 640) / 8);
  t.is(layerCost('size', l, bits(32)), 400);
});

test('flops and bitops cost 2:4 and block sparsity as what they keep, not as 1 - pruneRatio', (t) => {
  const l = dense(0, 10, 12); // 120 MACs; the input axis has 10 channels: groups of 4, 4 and a last 2
  // 2:4 keeps 2 + 2 + min(2, 2) = 6 of every 10 inputs, whatever the ratio: 120 x 6 / 10 = 72
  t.is(layerCost('sparse-flops', l, { ...bits(4, 0.9), pruneKind: '2:4' }), 72);
  t.is(layerCost('sparse-flops', l, { ...bits(4, 0.5), pruneKind: '2:4' }), 72);
  t.is(layerCost('bitops', l, { ...bits(4, 0.9), pruneKind: '2:4' }), 72 * 4 * 8);
  // 1x4 blocks over [10, 12]: 10 x 3 = 30 blocks; 75% pruned keeps roundHalfEven(7.5) = 8 blocks = 32 weights
  t.is(layerCost('sparse-flops', l, { ...bits(4, 0.75), pruneKind: 'block' }), 32);
  // clustering that does not keep the zeros fills them with centroids: every MAC stays
  t.is(layerCost('sparse-flops', l, { ...bits(4, 0.5), clusters: 4, preserveSparsity: false }), 120);
  t.is(layerCost('sparse-flops', l, { ...bits(4, 0.5), clusters: 4, preserveSparsity: true }), 60);
});

test('the wall clamps to the most expensive bit width that still leaves the cheapest setting for the rest', (t) => {
  // two layers, limit 5600 bitops = 7 bits' worth: layer 0 wants 8 bits (6400) but must leave 1600 (2 bits) for
  // layer 1, so it may spend 4000 = 5 bits; layer 1 then gets exactly 1600 = 2 bits. Nothing is left unspent.
  const layers = [dense(0, 10, 10), dense(1, 10, 10)];
  const plan = handPlan('bitops', layers, ['bits'], { kind: 'bitops', value: 5600 / 51200, unit: 'fraction' });
  t.is(plan.limit, 5600);
  t.deepEqual(plan.minCost, [1600, 1600]);
  const s = space(['bits']);
  const dist = (want: number) => (spec: LayerSpec) => (specToAction(spec, s)[0] - want) ** 2;
  const first = wall(plan, 0, 0, 1600, bits(8), dist(1));
  t.is(first.bits, 5);
  const second = wall(plan, 1, 4000, 0, bits(8), dist(1));
  t.is(second.bits, 2);
  // a wish that fits is returned as it is
  t.is(wall(plan, 0, 0, 1600, bits(4), dist(4 / 7)).bits, 4);
});

test('planBudget refuses an infeasible budget with a BudgetError naming the smallest achievable cost', (t) => {
  // two layers at their cheapest (2 bits, pruned 90%): 100 x 0.1 x 2 x 8 = 160 each, 320 of 51,200 in all
  const layers = [dense(0, 10, 10), dense(1, 10, 10)];
  const e = t.throws(() => handPlan('bitops', layers, ['bits', 'prune'], { kind: 'bitops', value: 0.005, unit: 'fraction' }), { instanceOf: BudgetError });
  t.regex(e!.message, /smallest achievable bitops, 320 \(/);
  t.false(e!.message.includes('\n'));
  t.notThrows(() => handPlan('bitops', layers, ['bits', 'prune'], { kind: 'bitops', value: 320 / 51200, unit: 'fraction' }));
});

test('a limit accepted within round-off of the minimum still admits the cheapest strategy', (t) => {
  // a size limit a hair (1e-13 relative) under the cheapest setting's 2 x 205 bytes is accepted as equal to it;
  // the plan must then allow that cheapest setting, or no strategy at all would fit
  const layers = [dense(0, 10, 10), dense(1, 10, 10)];
  const cheapest = 2 * layerCost('size', layers[0], bits(2, 0.9));
  const plan = handPlan('size', layers, ['bits', 'prune'], { kind: 'size', value: cheapest * (1 - 1e-13), unit: 'bytes' });
  const strategy = enforceAfter(plan, [bits(8), bits(8)]);
  const cost = strategy.reduce((s, spec, i) => s + layerCost('size', layers[i], spec), 0);
  t.true(cost <= plan.limit, `${cost} > ${plan.limit}`);
});

test('the after-pass takes one bit off each layer from the last one backwards and stops once the budget holds', (t) => {
  // three layers at 8 bits cost 3 x 6400 = 19,200 bitops (800 per bit and layer)
  const layers = [dense(0, 10, 10), dense(1, 10, 10), dense(2, 10, 10)];
  const full = 3 * 25600;
  const at = (limit: number) => enforceAfter(handPlan('bitops', layers, ['bits'], { kind: 'bitops', value: limit / full, unit: 'fraction' }), [bits(8), bits(8), bits(8)]).map((s) => s.bits);
  t.deepEqual(at(19200), [8, 8, 8]); // already within: untouched
  t.deepEqual(at(18400), [8, 8, 7]); // one bit off the last layer is enough
  t.deepEqual(at(17600), [8, 7, 7]);
  t.deepEqual(at(16000), [7, 7, 6]); // a full pass (16,800) is not enough: the second pass starts at the last layer again
});

test('the after-pass never steps to a setting of equal cost: under a FLOPs budget it prunes and keeps the bits', (t) => {
  // FLOPs ignore bits, so "one step cheaper" must mean pruning 5% more (100 -> 95 MACs), not dropping a bit width
  const layers = [dense(0, 10, 10), dense(1, 10, 10)];
  const plan = handPlan('flops', layers, ['bits', 'prune'], { kind: 'flops', value: 195 / 200, unit: 'fraction', sparse: true });
  const out = enforceAfter(plan, [bits(8), bits(8)]);
  t.deepEqual(out.map((s) => [s.bits, s.pruneRatio]), [[8, 0], [8, 0.05]]);
});

// ---------------------------------------------------------------------------------------------------------------
// Through CompressionEnv: random agents under many budgets.

const models = {
  mlp: buildModel('mlp', data.inputShape, data.numClasses, 1),
  lenet5: buildModel('lenet5', data.inputShape, data.numClasses, 2),
};

/** The cheapest possible cost of `env`'s model under its plan: every searched layer at its cheapest setting. */
function tightest(env: CompressionEnv): number {
  return env.minimumCost();
}

/** Budgets from loose to the tightest feasible one, for a kind and knob set. */
function budgetsFor(model: keyof typeof models, kind: BudgetKind, knobs: Knob[], sparse?: boolean): BudgetSpec[] {
  const probe = new CompressionEnv(models[model], data, envConfig({ space: space(knobs), budget: { kind, value: 1, unit: kind === 'size' ? 'ratio' : 'fraction', ...(sparse ? { sparse } : {}) } }), 0);
  const low = tightest(probe) / probe.plan.full;
  probe.dispose();
  const fractions = [low, low + (1 - low) * 0.01, low + (1 - low) * 0.2, low + (1 - low) * 0.6];
  return fractions.map((f) => (kind === 'size' ? { kind, value: 1 / f, unit: 'ratio' } : { kind, value: f, unit: 'fraction', ...(sparse ? { sparse } : {}) }));
}

/** A random agent that often pushes to the ends of [0, 1] (where the wall has the most to do). */
function randomAction(rng: () => number, k: number): number[] {
  return Array.from({ length: k }, () => {
    const u = rng();
    return u < 0.15 ? 0 : u < 0.3 ? 1 : rng();
  });
}

const cases: Array<{ model: keyof typeof models; kind: BudgetKind; knobs: Knob[]; sparse?: boolean }> = [
  { model: 'mlp', kind: 'size', knobs: ['bits'] },
  { model: 'mlp', kind: 'size', knobs: ['bits', 'prune'] },
  { model: 'lenet5', kind: 'size', knobs: ['bits', 'prune', 'clusters'] },
  { model: 'lenet5', kind: 'size', knobs: ['bits'] },
  { model: 'lenet5', kind: 'bitops', knobs: ['bits', 'prune'] },
  { model: 'mlp', kind: 'flops', knobs: ['bits', 'prune', 'clusters'], sparse: true },
  { model: 'mlp', kind: 'flops', knobs: ['channels', 'bits'] },
  { model: 'lenet5', kind: 'size', knobs: ['channels', 'bits'] },
  { model: 'lenet5', kind: 'bitops', knobs: ['bits'] },
];

test('property: random actions under any feasible budget (tightest included) end within the limit, applied actions in [0, 1]', (t) => {
  let episodes = 0;
  let clamped = 0;
  for (const c of cases) {
    for (const budget of budgetsFor(c.model, c.kind, c.knobs, c.sparse)) {
      for (const order of ['forward', 'backward', 'random'] as LayerOrder[]) {
        const env = new CompressionEnv(models[c.model], data, envConfig({ space: space(c.knobs), budget, order }), 0);
        for (let seed = 0; seed < 8; seed++) {
          const rng = seedrandom(`${c.model}:${c.kind}:${c.knobs}:${budget.value}:${order}:${seed}`);
          let state: number[] | null = env.reset(seed);
          while (state) {
            const r = env.step(randomAction(rng, env.actionSize));
            if (!r.applied.every((a) => a >= 0 && a <= 1)) t.fail(`applied action ${r.applied} outside [0, 1]`);
            if (r.clamped) clamped++;
            state = r.next;
          }
          const strategy = env.finishStrategy();
          const cost = env.cost(strategy);
          if (!(cost <= env.plan.limit)) t.fail(`${c.model} ${c.kind} ${c.knobs} ${order} seed ${seed}: cost ${cost} > limit ${env.plan.limit}`);
          episodes++;
        }
        env.dispose();
      }
    }
  }
  t.is(episodes, cases.length * 4 * 3 * 8);
  t.true(clamped > 0, 'the wall never had to act: the property was not exercised');
});

test('the wall wastes no budget: a wish that fits is applied unchanged, a clamped one is the nearest that fits', (t) => {
  let fits = 0;
  let clampedSteps = 0;
  // per-layer costs are separable only without channels (channel cuts are costed whole: test/env/channels-knob.test.ts)
  for (const c of cases.filter((x) => !x.knobs.includes('channels'))) {
    const [, tight, mid] = budgetsFor(c.model, c.kind, c.knobs, c.sparse);
    for (const budget of [tight, mid]) {
      const s = space(c.knobs);
      const env = new CompressionEnv(models[c.model], data, envConfig({ space: s, budget }), 0);
      const rng = seedrandom(`wall:${c.model}:${c.kind}:${c.knobs}`);
      for (let episode = 0; episode < 6; episode++) {
        env.reset(episode);
        let spent = 0;
        for (let i = 0; i < env.layers.length; i++) {
          const action = randomAction(rng, env.actionSize);
          const wish = actionToSpec(action, s);
          const { specs, costs } = env.plan.candidates[i];
          const costOf = (spec: LayerSpec) => costs[specs.findIndex((x) => x.bits === spec.bits && x.pruneRatio === spec.pruneRatio && x.clusters === spec.clusters)];
          const minRest = env.plan.minCost.slice(i + 1).reduce((a, b) => a + b, 0);
          const allowed = env.plan.limit - env.plan.fixed - spent - minRest;
          const r = env.step(action);
          const got = [r.spec.bits, r.spec.pruneRatio, r.spec.clusters];
          if (costOf(wish) <= allowed) {
            fits++;
            t.deepEqual(got, [wish.bits, wish.pruneRatio, wish.clusters]);
            t.false(r.clamped);
            t.deepEqual(r.applied, specToAction(wish, s));
          } else {
            clampedSteps++;
            t.true(r.clamped);
            t.true(costOf(r.spec) <= allowed);
            // no feasible setting is nearer to the agent's action
            const d = (spec: LayerSpec) => specToAction(spec, s).reduce((n, v, k) => n + (v - action[k]) ** 2, 0);
            const nearest = Math.min(...specs.filter((_, j) => costs[j] <= allowed).map(d));
            t.true(d(r.spec) <= nearest + 1e-12);
          }
          spent += costOf(r.spec);
        }
      }
      env.dispose();
    }
  }
  t.true(fits > 20 && clampedSteps > 20, `fits ${fits}, clamped ${clampedSteps}`);
});

test('an infeasible budget is refused when the env is built, before any search, naming the smallest size', (t) => {
  // mlp at 2 bits per weight with one fp32 (alpha, beta) per output channel, biases in fp32:
  //   fc1 (235,200 x 2 + 300 x 64) / 8 = 61,200 B; fc2 (30,000 x 2 + 100 x 64) / 8 = 8300 B; fc3 (1000 x 2 + 10 x 64) / 8 = 330 B;
  //   biases (300 + 100 + 10) x 4 = 1640 B; in all 71,470 B = 71.5 kB
  t.is(formatBytes(71470), '71.5 kB');
  const e = t.throws(() => new CompressionEnv(models.mlp, data, envConfig({ budget: parseBudget('size:60kB') }), 0), { instanceOf: BudgetError });
  t.regex(e!.message, /below the smallest achievable size, 71\.5 kB/);
  t.false(e!.message.includes('\n'));
  const ok = new CompressionEnv(models.mlp, data, envConfig({ budget: parseBudget('size:71470B') }), 0);
  t.is(ok.plan.limit, 71470);
  ok.dispose();
});
