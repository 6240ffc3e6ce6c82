import test from 'ava';
import { createAgent } from '../../agent/create-agent.js';
import { DEFAULT_DDPG_CONFIG, type Ddpg } from '../../agent/ddpg.js';
import { ConfigError } from '../../errors.js';
import { agentOptions } from '../../run/agent-options.js';
import { CONFIG_FIELDS, DEFAULT_CONFIG, flagOf, migrateStoredConfig, parseRunConfig, rerankStepsOf, rolloutBatchOf, RunConfigFields } from '../../run/config.js';
import { playToyEpisode } from '../agent/toy-problem.js';

test('every field has a one-line doc and its own flag', (t) => {
  t.is(CONFIG_FIELDS.length, Object.keys(RunConfigFields.shape).length);
  for (const f of CONFIG_FIELDS) {
    t.true(f.doc.length > 10 && !f.doc.includes('\n'), f.key);
    t.regex(f.flag, /^[a-z][a-z0-9-]*$/, f.key);
    t.true(f.defaultText.length > 0, `${f.key} shows a default`);
  }
  t.is(new Set(CONFIG_FIELDS.map((f) => f.flag)).size, CONFIG_FIELDS.length, 'flags are unique');
  t.is(flagOf('bitBounds'), 'bits');
  t.is(flagOf('finetuneSteps'), 'finetune-steps');
});

test('the DDPG fields default to DEFAULT_DDPG_CONFIG: one value each', (t) => {
  const d = DEFAULT_CONFIG;
  t.is(d.warmup, DEFAULT_DDPG_CONFIG.warmupEpisodes);
  t.deepEqual(d.hidden, DEFAULT_DDPG_CONFIG.hidden);
  for (const k of ['actorLr', 'criticLr', 'tau', 'gamma', 'batchSize', 'replayEpisodes', 'updatesPerEpisode', 'noiseSigma'] as const) {
    t.is(d[k], DEFAULT_DDPG_CONFIG[k], k);
  }
  t.is(d.warmup, 20);
  t.is(d.noiseDecay, undefined, 'planned from noiseFinal unless given');
  t.is(d.noiseFinal, 0.05);
  t.is(d.policyEvery, 5);
});

test('the new fields: rerank, workers, rollout batch, queue, knapsack', (t) => {
  const d = DEFAULT_CONFIG;
  t.is(d.rerankTop, 3);
  t.is(rerankStepsOf(d), 60, 'the default episodes do not fine-tune: the re-rank gives each candidate 60 steps');
  t.is(rerankStepsOf(parseRunConfig({ finetuneSteps: 60 })), 180, '3 x 60 fine-tune steps');
  t.is(rerankStepsOf(parseRunConfig({ finetuneSteps: 10 })), 30);
  t.is(rerankStepsOf(parseRunConfig({ rerankSteps: 500 })), 500);
  t.is(rerankStepsOf(parseRunConfig({ finetuneSteps: 0 })), 60, 'episodes without fine-tune: the re-rank measures recovery');
  t.is(d.workers, 1);
  t.is(rolloutBatchOf(parseRunConfig({ workers: 4 })), 4);
  t.is(rolloutBatchOf(parseRunConfig({ workers: 4, rolloutBatch: 0 })), 4, '0 = workers');
  t.is(rolloutBatchOf(parseRunConfig({ workers: 4, rolloutBatch: 8 })), 8);
  t.is(d.queue, undefined);
  t.is(parseRunConfig({ queue: 'redis://127.0.0.1:6379' }).queue, 'redis://127.0.0.1:6379');
  t.throws(() => parseRunConfig({ queue: 'http://127.0.0.1:6379' }), { instanceOf: ConfigError, message: /redis:\/\/HOST:PORT/ });
  t.throws(() => parseRunConfig({ queue: 'redis://localhost' }), { instanceOf: ConfigError, message: /redis:\/\/HOST:PORT/ });
  t.is(parseRunConfig({ agent: 'knapsack' }).agent, 'knapsack');
  t.is(parseRunConfig({ updatesPerEpisode: 8 }).updatesPerEpisode, 8);
});

test('warm-up at or above the episodes is refused for ddpg in one line naming both flags', (t) => {
  t.throws(() => parseRunConfig({ warmup: 50, episodes: 5 }, 'flags'), {
    instanceOf: ConfigError,
    message: '--warmup 50 must be below --episodes 5: DDPG would never learn (lower --warmup or raise --episodes)',
  });
  // the default warm-up is a fifth of the episodes, at most 20: --episodes 10 gets 2, the default 100 gets 20
  t.is(parseRunConfig({ episodes: 10 }, 'flags').warmup, 2);
  t.is(parseRunConfig({}).warmup, 20);
  t.is(parseRunConfig({ episodes: 300 }).warmup, 20);
  t.throws(() => parseRunConfig({ warmup: 5, episodes: 5 }, 'config (run.json + flags)'), { message: /^config \(run\.json \+ flags\): --warmup 5 must be below --episodes 5/ });
  t.is(parseRunConfig({ warmup: 4, episodes: 5 }).warmup, 4);
  t.is(parseRunConfig({ agent: 'random', warmup: 50, episodes: 5 }).episodes, 5, 'other agents have no warm-up to refuse');
});

test('noise-final above noise-sigma is refused', (t) => {
  t.throws(() => parseRunConfig({ noiseFinal: 0.6 }, 'flags'), { instanceOf: ConfigError, message: /^--noise-final 0.6 must not exceed --noise-sigma 0.5/ });
});

test('a problem names the flag as typed, or the field of the config source', (t) => {
  t.throws(() => parseRunConfig({ bitBounds: [9, 2] }, 'flags', { bitBounds: '9-2' }), { instanceOf: ConfigError, message: '--bits 9-2: min must not exceed max' });
  t.throws(() => parseRunConfig({ bitBounds: [9, 2] }, 'config (c.json + flags)'), { message: 'config (c.json + flags): field bitBounds: min must not exceed max' });
  t.throws(() => parseRunConfig({ bogus: 1 }), { message: 'config: field (top level): unknown field(s) bogus' });
});

test('agentOptions, plain DDPG (--warm-start none): 30 episodes, warm-up 10: sigma is 0.5 until the first learning episode and 0.05 at the last (within 1e-9)', (t) => {
  const config = parseRunConfig({ warmStart: 'none', episodes: 30, warmup: 10, hidden: [4], updatesPerEpisode: 0 });
  const options = agentOptions(config);
  t.true(Math.abs(options.noiseDecay! - 0.1 ** (1 / 19)) < 1e-15, 'decay = (0.05 / 0.5)^(1 / (20 - 1))');
  t.is(options.plannedEpisodes, 30);
  t.is(options.warmupEpisodes, 10);
  t.is(options.policyEvery, 5);
  const agent = createAgent('ddpg', { stateSize: 5, actionSize: 1, layers: 4, ...options }) as Ddpg;
  const sigmas: number[] = [];
  const phases: string[] = [];
  for (let e = 0; e < 30; e++) {
    sigmas.push(agent.sigma);
    phases.push(agent.phase());
    playToyEpisode(agent);
  }
  t.is(sigmas[10], 0.5);
  t.true(Math.abs(sigmas[29] - 0.05) < 1e-9, `sigma at the last episode ${sigmas[29]}`);
  t.deepEqual(phases.flatMap((p, e) => (p === 'policy' ? [e] : [])), [14, 19, 24, 29]);
  agent.dispose();
});

test('agentOptions: an explicit noise decay wins; every DDPG field is passed through', (t) => {
  const config = parseRunConfig({ warmStart: 'none', noiseDecay: 0.95, gamma: 0.9, replayEpisodes: 7, updatesPerEpisode: 3, batchSize: 16, tau: 0.05, actorLr: 0.01, criticLr: 0.02, hidden: [8, 4], seed: 9 });
  t.like(agentOptions(config), { noiseDecay: 0.95, gamma: 0.9, replayEpisodes: 7, updatesPerEpisode: 3, batchSize: 16, tau: 0.05, actorLr: 0.01, criticLr: 0.02, hidden: [8, 4], seed: 9, noiseSigma: 0.5 });
});

test('agentOptions: a run warm-started by the knapsack explores near the seed: warm-up and first learning noise 0.15, decaying to 0.05 at the last of 30 episodes', (t) => {
  const warm = agentOptions(parseRunConfig({ agent: 'ddpg', warmStart: 'knapsack', episodes: 30, warmup: 10 }));
  t.like(warm, { noiseSigma: 0.15, warmupSigma: 0.15, noiseLayers: 2 });
  t.true(Math.abs(warm.noiseDecay! - (0.05 / 0.15) ** (1 / 19)) < 1e-15, 'decay = (0.05 / 0.15)^(1 / (20 - 1))');
  // without a warm start, or with --warm-sigma 0: uniform warm-up, noise from --noise-sigma
  t.like(agentOptions(parseRunConfig({ agent: 'ddpg', warmStart: 'none', episodes: 30, warmup: 10 })), { noiseSigma: 0.5, warmupSigma: 0, noiseLayers: 0 });
  t.is(parseRunConfig({ agent: 'ddpg', warmStart: 'knapsack', noiseLayers: 0 }).noiseLayers, 0, 'an explicit --noise-layers wins');
  t.like(agentOptions(parseRunConfig({ agent: 'ddpg', warmStart: 'knapsack', warmSigma: 0, episodes: 30, warmup: 10 })), { noiseSigma: 0.5, warmupSigma: 0 });
  t.throws(() => parseRunConfig({ agent: 'ddpg', warmStart: 'knapsack', warmSigma: 0.04 }, 'flags', { warmSigma: '0.04' }), {
    message: '--noise-final 0.05 must not exceed --warm-sigma 0.04: a warm-started run\'s noise starts at --warm-sigma and only decays',
  });
});

test('a run stored before batch-norm re-estimation and the dense flops budget resumes as it was stored: bnBatches 0, flops:0.5 -> sparse-flops:0.5', (t) => {
  // a stored config is a whole parsed config; one from before those fields lacks bnBatches and channelMethod
  const { bnBatches: _bn, channelMethod: _cm, ...old } = { ...DEFAULT_CONFIG, budget: 'flops:0.5' };
  const migrated = parseRunConfig(migrateStoredConfig(old));
  t.is(migrated.bnBatches, 0);
  t.is(migrated.channelMethod, 'l1', 'stored before LASSO was the default: its channels were chosen by L1 norm');
  t.is(DEFAULT_CONFIG.channelMethod, 'lasso', 'new runs choose channels by LASSO with a least-squares refit');
  t.is(parseRunConfig(migrateStoredConfig({ ...DEFAULT_CONFIG, warmSigma: undefined })).warmSigma, 0, 'a warm start stored before --warm-sigma keeps its uniform warm-up');
  t.is(migrated.budget, 'sparse-flops:0.5');
  t.is(DEFAULT_CONFIG.reward, 'cross-entropy', 'new runs are searched on the validation loss');
  t.is(parseRunConfig(migrateStoredConfig({ ...DEFAULT_CONFIG, reward: undefined })).reward, 'accuracy', 'a config without a reward predates the cross-entropy default');
  t.is(parseRunConfig(migrateStoredConfig({ ...DEFAULT_CONFIG, reward: 'accuracy' })).reward, 'accuracy');
  t.is(parseRunConfig(migrateStoredConfig({ ...DEFAULT_CONFIG, noiseLayers: undefined })).noiseLayers, 0, 'stored before --noise-layers: noise on every layer');
  t.is(parseRunConfig(migrateStoredConfig({ ...DEFAULT_CONFIG, learnAhead: undefined })).learnAhead, false, 'stored before --learn-ahead: each batch learnt before the next is proposed');
  // a config stored today is read as it is
  const today = parseRunConfig({ budget: 'size:1.5bits', bnBatches: 4 });
  t.deepEqual(parseRunConfig(migrateStoredConfig(today)), today);
  t.is(parseRunConfig(migrateStoredConfig(DEFAULT_CONFIG)).bnBatches, 16);
});

test('--agent knapsack refuses a channel pin in one line; a preserve of 1 (nothing cut) and other pins are fine', (t) => {
  t.throws(() => parseRunConfig({ agent: 'knapsack', pin: { conv2: { preserveRatio: 0.5 } } }, 'flags', { pin: 'conv2=preserve:0.5' }), {
    instanceOf: ConfigError,
    message: "--agent knapsack cannot take --pin conv2=preserve:0.5: cutting a layer's channels changes its neighbours' costs, which the knapsack needs separate (drop the preserve pin, or use ddpg, random, uniform or greedy)",
  });
  t.notThrows(() => parseRunConfig({ agent: 'knapsack', pin: { conv2: { preserveRatio: 1, bits: 8 } } }));
  t.notThrows(() => parseRunConfig({ agent: 'ddpg', pin: { conv2: { preserveRatio: 0.5 } } }));
});
