import test from 'ava';
import seedrandom from 'seedrandom';
import { ConfigError } from '../../errors.js';
import {
  type ChannelProblem,
  channelL1Norms,
  channelProblem,
  combineProblems,
  ista,
  lassoObjective,
  lassoSelect,
  leastSquares,
  relativeOutputError,
  solveSpd,
  topChannels,
} from '../../learners/channel-selection.js';

/** Seeded uniform numbers in [-1, 1). */
function uniform(n: number, seed: string): Float32Array {
  const rng = seedrandom(seed);
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
}

test('L1 norms per output channel of a [1, 1, 2, 3] kernel: |column| sums', (t) => {
  // rows (input channels) [1, -2, 3] and [-4, 5, -6]: columns 1 + 4, 2 + 5, 3 + 6
  t.deepEqual([...channelL1Norms(Float32Array.from([1, -2, 3, -4, 5, -6]), [1, 1, 2, 3], -1)], [5, 7, 9]);
  // along the input axis: 1 + 2 + 3 and 4 + 5 + 6
  t.deepEqual([...channelL1Norms(Float32Array.from([1, -2, 3, -4, 5, -6]), [1, 1, 2, 3], 2)], [6, 15]);
  t.throws(() => channelL1Norms(new Float32Array(5), [1, 1, 2, 3], -1), { instanceOf: ConfigError });
});

test('topChannels keeps the largest scores in index order; ties go to the lower index', (t) => {
  t.deepEqual([...topChannels([0.5, 3, 1, 3, 2], 3)], [1, 3, 4]);
  t.deepEqual([...topChannels([1, 1, 1, 1], 2)], [0, 1]);
  t.throws(() => topChannels([1, 2], 3), { instanceOf: ConfigError });
});

test('ISTA on an orthogonal design equals soft thresholding: G = diag(2, 4), b = (3, 1), lambda 2 gives beta = (1, 0)', (t) => {
  // per channel g beta^2 - 2 b beta + lambda |beta| is minimised at soft(2b, lambda) / 2g: (6 - 2) / 4 = 1, (2 - 2) / 8 = 0
  const p: ChannelProblem = { channels: 2, gram: Float64Array.from([2, 0, 0, 4]), b: Float64Array.from([3, 1]), yy: 10 };
  const { beta } = ista(p, 2, { tolerance: 1e-12 });
  t.true(Math.abs(beta[0] - 1) < 1e-9, `beta0 = ${beta[0]}`);
  t.is(beta[1], 0);
  // the objective there: 10 - 2*3 + 2 + 2 = 8
  t.true(Math.abs(lassoObjective(p, beta, 2) - 8) < 1e-9);
});

test('solveSpd by hand: [[4, 2], [2, 3]] x = [2, 1] gives x = [0.5, 0]', (t) => {
  const x = solveSpd(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 1]), 2, 1);
  t.true(Math.abs(x[0] - 0.5) < 1e-12 && Math.abs(x[1]) < 1e-12, `${[...x]}`);
  t.throws(() => solveSpd(Float64Array.from([1, 2, 2, 1]), Float64Array.from([1, 1]), 2, 1), { instanceOf: ConfigError });
});

test('least squares recovers the weights exactly when Y = X W', (t) => {
  const [n, d, o] = [200, 6, 3];
  const x = uniform(n * d, 'x');
  const w = uniform(d * o, 'w');
  const y = new Float32Array(n * o);
  for (let r = 0; r < n; r++) for (let j = 0; j < o; j++) for (let i = 0; i < d; i++) y[r * o + j] += x[r * d + i] * w[i * o + j];
  const all = Int32Array.from({ length: d }, (_, i) => i);
  const fit = leastSquares(x, y, { n, d, o }, all, 1e-12);
  t.true(fit.every((v, i) => Math.abs(v - w[i]) < 1e-4));
  t.true(relativeOutputError(x, y, { n, d, o }, all, fit) < 1e-9);
});

/** A conv-like consumer: 8 input channels seen through 3 positions each (d = 24), 4 outputs. */
function consumerProblem(seed: string) {
  const [n, channels, per, o] = [400, 8, 3, 4];
  const d = channels * per;
  const x = uniform(n * d, `${seed}:x`);
  const w = uniform(d * o, `${seed}:w`);
  // channels 4..7 repeat channels 0..3 with a little noise: the LASSO should need only one of each pair
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) if (Math.floor(i / per) >= 4) x[r * d + i] = x[r * d + i - 4 * per] + 0.05 * x[r * d + i];
  const channelOf = Int32Array.from({ length: d }, (_, i) => Math.floor(i / per));
  const y = new Float32Array(n * o);
  for (let r = 0; r < n; r++) for (let j = 0; j < o; j++) for (let i = 0; i < d; i++) y[r * o + j] += x[r * d + i] * w[i * o + j];
  return { x, w, y, dims: { n, d, o }, channelOf, channels };
}

test('the LASSO search lands on exactly c-prime non-zero betas for every c-prime from 1 to 8', (t) => {
  const c = consumerProblem('exact');
  const p = channelProblem(c.x, c.w, c.y, c.dims, c.channelOf, c.channels);
  const exact: number[] = [];
  for (let keep = 1; keep <= 8; keep++) {
    const s = lassoSelect(p, keep);
    t.is(s.kept.length, keep);
    t.true(s.kept.every((ch, i) => i === 0 || ch > s.kept[i - 1]), 'ascending');
    if (s.exact) {
      exact.push(keep);
      t.is(s.beta.filter((b) => b !== 0).length, keep);
      t.deepEqual([...s.kept], [...s.beta.keys()].filter((i) => s.beta[i] !== 0));
    }
  }
  t.log(`exact lambda found for c' in [${exact}]`);
  t.deepEqual(exact, [1, 2, 3, 4, 5, 6, 7, 8]);
  t.throws(() => lassoSelect(p, 0), { instanceOf: ConfigError });
});

test('when no lambda gives exactly c-prime (dead channels), the largest |beta| are kept, ties to the lower index, and exact is false', (t) => {
  // channels 1 and 3 never carry anything: their beta is 0 at every lambda, so 3 non-zeros are never reached
  const gram = Float64Array.from([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
  const p: ChannelProblem = { channels: 4, gram, b: Float64Array.from([3, 0, 1, 0]), yy: 10 };
  const s = lassoSelect(p, 3);
  t.deepEqual([...s.kept], [0, 1, 2]);
  t.false(s.exact);
  t.is(s.nonZero, 2);
  // one channel: lambda between 2 b_2 = 2 and 2 b_0 = 6 keeps only channel 0
  const one = lassoSelect(p, 1);
  t.deepEqual([...one.kept], [0]);
  t.true(one.exact && one.lambda > 2 && one.lambda < 6, `lambda ${one.lambda}`);
});

test('LASSO + reconstruction on redundant channels beats L1 selection of the consumer weights', (t) => {
  const c = consumerProblem('recon');
  const p = channelProblem(c.x, c.w, c.y, c.dims, c.channelOf, c.channels);
  const keep = 4;
  const cols = (kept: Int32Array) => Int32Array.from([...c.channelOf.keys()].filter((i) => kept.includes(c.channelOf[i])));
  const slice = (cs: Int32Array) => {
    const out = new Float32Array(cs.length * c.dims.o);
    cs.forEach((col, s) => out.set(c.w.subarray(col * c.dims.o, (col + 1) * c.dims.o), s * c.dims.o));
    return out;
  };
  // L1 of each channel's consumer weights, no refit
  const l1Scores = new Float64Array(c.channels);
  c.w.forEach((v, i) => (l1Scores[c.channelOf[Math.floor(i / c.dims.o)]] += Math.abs(v)));
  const l1Cols = cols(topChannels(l1Scores, keep));
  const errL1 = relativeOutputError(c.x, c.y, c.dims, l1Cols, slice(l1Cols));
  const chosen = lassoSelect(p, keep).kept;
  const lassoCols = cols(chosen);
  const errLasso = relativeOutputError(c.x, c.y, c.dims, lassoCols, leastSquares(c.x, c.y, c.dims, lassoCols));
  const report = `relative output error: L1 alone ${errL1.toFixed(4)}, LASSO [${[...chosen]}] + least squares ${errLasso.toFixed(4)}`;
  t.log(report);
  t.true(errLasso < 0.75 * errL1, report);
});

test('the fixed positions are taken out of the target: a group of one channel plus fixed inputs', (t) => {
  // x = [channel 0, fixed]; y = x0 * 2 + x1 * 3 -> Z_0 = 2 x0, target = 2 x0, so b = ||Z_0||^2 = G
  const n = 50;
  const x = uniform(n * 2, 'fixed');
  const y = Float32Array.from({ length: n }, (_, r) => 2 * x[r * 2] + 3 * x[r * 2 + 1]);
  const p = channelProblem(x, Float32Array.from([2, 3]), y, { n, d: 2, o: 1 }, Int32Array.from([0, -1]), 1);
  // y is float32: equal to float32 rounding
  t.true(Math.abs(p.b[0] - p.gram[0]) < 1e-5 * p.gram[0]);
  t.true(Math.abs(p.yy - p.gram[0]) < 1e-5 * p.gram[0]);
  const both = combineProblems([p, p]);
  t.true(Math.abs(both.gram[0] - (2 * p.gram[0]) / p.yy) < 1e-9);
});
