/**
 * The search-quality harness's plan: flags read strictly, every planner a run config, the jobs of a cell, the
 * time-matched local search's length from measured times, and a refusal in one line per planner for fields this
 * build does not know.
 */
import test from 'ava';
import { FlagError, parseFlags, parsePerModel, parseRegime } from '../../bench/search-quality/flags.js';
import { checkConfigs, matchedEpisodes, planJobs, TIME_MATCHED, withMatchedLength } from '../../bench/search-quality/plan.js';
import { finalSeed } from '../../bench/search-quality/run-one.js';
import type { Row } from '../../bench/search-quality/rows.js';
import { matchedLength } from '../../bench/search-quality/schedule.js';

test('a regime is BUDGET:MIN-MAX: size:1.5bits:1-8 is budget size:1.5bits, bits 1..8', (t) => {
  t.deepEqual(parseRegime('size:1.5bits:1-8'), { budget: 'size:1.5bits', bits: [1, 8] });
  t.throws(() => parseRegime('size:2bits'), { instanceOf: FlagError, message: /BUDGET:MIN-MAX/ });
  t.throws(() => parseRegime('size:2bits:0-9'), { instanceOf: FlagError });
});

test('episodes are one number or one per model, and every model needs one', (t) => {
  t.deepEqual(parsePerModel('episodes', '100', ['lenet5']), { all: 100, byModel: {} });
  t.deepEqual(parsePerModel('episodes', 'lenet5=100,mobilenet-tiny=300', ['lenet5', 'mobilenet-tiny']).byModel, { lenet5: 100, 'mobilenet-tiny': 300 });
  t.throws(() => parsePerModel('episodes', 'lenet5=100', ['lenet5', 'mobilenet-tiny']), { message: /no value for mobilenet-tiny/ });
});

test('seeds are required, and an unknown flag is refused by name', (t) => {
  t.throws(() => parseFlags(['--models', 'lenet5']), { instanceOf: FlagError, message: /--seeds is required/ });
  t.throws(() => parseFlags(['--seeds', '6', '--bogus', '1']), { instanceOf: FlagError, message: /unknown flag --bogus/ });
});

test('2 models x 2 cells x 5 seeds x (7 planners + the time-matched local search) = 160 jobs, the noise probe on the first seed of each cell', (t) => {
  const o = parseFlags(['--seeds', '6,7,8,9,10', '--finals', '2', '--noise-finals', '5']);
  const jobs = planJobs(o);
  t.is(jobs.length, 2 * 2 * 5 * 8);
  const probes = jobs.filter((j) => j.finals === 5);
  t.deepEqual(probes.map((j) => `${j.model} ${j.regime} ${j.planner} ${j.seed}`), [
    'lenet5 size:1.5bits:1-8 knapsack 6',
    'lenet5 size:2bits:2-8 knapsack 6',
    'mobilenet-tiny size:1.5bits:1-8 knapsack 6',
    'mobilenet-tiny size:2bits:2-8 knapsack 6',
  ]);
  t.true(jobs.every((j) => j.counted === 2));
  const matched = jobs.find((j) => j.planner === TIME_MATCHED && j.seed === 7)!;
  t.deepEqual(matched.matches, { ddpg: 'lenet5|size:1.5bits:1-8|ddpg+knapsack|7', local: 'lenet5|size:1.5bits:1-8|local|7' });
  const uniform = jobs.find((j) => j.planner === 'uniform')!;
  t.deepEqual(uniform.input.knobs, ['bits'], 'uniform searches bits only: exactly uniform N-bit');
  t.deepEqual(jobs.find((j) => j.planner === 'ddpg+knapsack')!.input.warmStart, 'knapsack');
});

test('time-matched length: (DDPG 300 s - local overhead 20 s) / 2.5 s per episode = 112 episodes', (t) => {
  t.is(matchedEpisodes({ ddpgSeconds: 300, localOverheadSeconds: 20, localSecondsPerEpisode: 2.5 }), 112);
  const ddpg = { status: 'ok', searchSeconds: 300 } as Row;
  // local: 100 episodes whose own seconds sum to 250, in a 270 s search: 20 s overhead (the knapsack seed)
  const local = { status: 'ok', searchSeconds: 270, episodeSeconds: 250, episodesRun: 100 } as Row;
  t.deepEqual(matchedLength(ddpg, local), { ddpgSeconds: 300, localOverheadSeconds: 20, localSecondsPerEpisode: 2.5 });
  t.is(matchedLength({ status: 'failed' } as Row, local), 'its DDPG run did not finish');
  const o = parseFlags(['--seeds', '6']);
  const job = planJobs(o).find((j) => j.planner === TIME_MATCHED)!;
  t.is(withMatchedLength(job, o, matchedLength(ddpg, local) as never).episodes, 112);
  t.is(withMatchedLength(job, { timeMatch: 'time' }, matchedLength(ddpg, local) as never).time, '300s');
});

test('final j of a run with seed s uses seed 1000 s + j; final 0 is the run\'s own seed', (t) => {
  t.deepEqual([0, 1, 2].map((j) => finalSeed(7, j)), [7, 7001, 7002]);
});

test('a planner or a field this build does not know stops the harness, one line per planner naming it', (t) => {
  const o = parseFlags(['--seeds', '6', '--models', 'lenet5', '--planners', 'knapsack,ddpg', '--holdout-size', '500']);
  const jobs = planJobs(o);
  t.notThrows(() => checkConfigs(jobs, o), 'holdoutSize and every planner are known to this build');
  // a field from a branch not merged yet, on the knapsack's job only: one line, naming that planner
  const future = jobs.map((j) => (j.planner === 'knapsack' ? { ...j, input: { ...j.input, futureField: 1 } } : j));
  const e = t.throws(() => checkConfigs(future, o), { instanceOf: FlagError });
  const lines = e!.message.split('\n');
  t.is(lines.length, 1);
  t.regex(lines[0], /^planner knapsack: .*futureField.*merge the branch that adds it, or leave it out$/);
});

test('channel cells (bench/channel-search.ts): uniform keeps the channels knob, plan and ddpg+plan are run configs, the selection is in every job', (t) => {
  const o = { ...parseFlags(['--seeds', '6', '--models', 'lenet5', '--regimes', 'flops:0.5:1-8', '--planners', 'uniform,plan,local,ddpg+plan,ddpg', '--knobs', 'channels', '--time-match', 'off']), channelMethod: 'lasso' as const };
  const jobs = planJobs(o);
  const input = (p: string) => jobs.find((j) => j.planner === p)!.input;
  t.deepEqual(input('uniform').knobs, ['channels']);
  t.like(input('plan'), { agent: 'plan', knobs: ['channels'], channelMethod: 'lasso' });
  t.like(input('ddpg+plan'), { agent: 'ddpg', warmStart: 'plan' });
  t.like(input('ddpg'), { agent: 'ddpg', warmStart: 'none' });
  t.true(jobs.every((j) => j.input.channelMethod === 'lasso'));
  t.notThrows(() => checkConfigs(jobs, o));
});

test('a planner label @bN is the same planner proposing N strategies per policy (--rollout-batch N), as its own row', (t) => {
  const o = parseFlags(['--seeds', '6', '--models', 'lenet5', '--regimes', 'size:1.5bits:1-8', '--planners', 'ddpg+knapsack,ddpg+knapsack@b4', '--time-match', 'off']);
  const [one, four] = planJobs(o);
  t.deepEqual([one.planner, four.planner], ['ddpg+knapsack', 'ddpg+knapsack@b4']);
  t.is(one.input.rolloutBatch, undefined);
  t.is(four.input.rolloutBatch, 4);
  t.is(four.input.warmStart, 'knapsack');
  t.not(one.id, four.id);
  t.throws(() => planJobs(parseFlags(['--seeds', '6', '--planners', 'ddpg@b0'])), { instanceOf: FlagError, message: /unknown planner 'ddpg@b0'/ });
});

test("DDPG's learner as its own row: @h64x64 hidden layers, @u1 one update an episode, combinable; not for planners without a learner", (t) => {
  const o = parseFlags(['--seeds', '6', '--models', 'lenet5', '--regimes', 'size:1.5bits:1-8', '--planners', 'ddpg+knapsack@h64x64@u1,ddpg@b2@u3', '--time-match', 'off']);
  const [small, plain] = planJobs(o);
  t.deepEqual([small.input.hidden, small.input.updatesPerEpisode, small.input.warmStart], [[64, 64], 1, 'knapsack']);
  t.deepEqual([plain.input.rolloutBatch, plain.input.updatesPerEpisode, plain.input.warmStart], [2, 3, 'none']);
  t.throws(() => planJobs(parseFlags(['--seeds', '6', '--planners', 'knapsack@h64x64'])), { instanceOf: FlagError, message: /unknown planner 'knapsack@h64x64'/ });
});
