import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { migrateStoredConfig, parseRunConfig, parseStoredConfig } from '../../run/config.js';
import { agentOptions } from '../../run/agent-options.js';
import { plannedEpisodes } from '../../run/planners.js';
import { ConfigError } from '../../errors.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

test('--agent knapsack with the channels knob is refused in one line that says what to use instead; local takes channels (from the plan)', (t) => {
  const e = t.throws(() => parseRunConfig({ agent: 'knapsack', knobs: ['bits', 'channels'] }, 'flags'), { instanceOf: ConfigError });
  t.is(e!.message, "--agent knapsack cannot search --knobs channels: a layer's channels change its neighbours' costs, which the knapsack needs separate (use ddpg, random, uniform, greedy, plan or local)");
  t.throws(() => parseRunConfig({ agent: 'local', pin: { first: { preserveRatio: 0.5 } } }, 'flags'), { instanceOf: ConfigError, message: /--agent local cannot take --pin first=preserve:0.5/ });
  t.is(parseRunConfig({ agent: 'local', knobs: ['channels'], budget: 'flops:0.5' }).agent, 'local');
  t.throws(() => parseRunConfig({ agent: 'plan', knobs: ['bits'] }, 'flags'), { instanceOf: ConfigError, message: /^--agent plan plans channels: add channels to --knobs/ });
  t.throws(() => parseRunConfig({ warmStart: 'plan', knobs: ['bits'] }, 'flags'), { instanceOf: ConfigError, message: /^--warm-start plan starts from the channel plan/ });
});

test('the CLI exits 2 with one error line for --agent knapsack --knobs channels', async (t) => {
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'search', '--agent', 'knapsack', '--knobs', 'channels', '--budget', 'flops:0.5'], { cwd: repo, env: { ...process.env, FORCE_COLOR: '0' } }, (err, _out, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr });
    });
  });
  t.is(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('backend: '));
  t.is(lines.length, 1, r.stderr);
  t.regex(lines[0], /^error: --agent knapsack cannot search --knobs channels/);
});

test('--warm-start auto is the knapsack where it can plan the knobs (bits, prune), the channel plan with channels and one budget, else none; stored resolved', (t) => {
  t.is(parseRunConfig({ warmStart: 'auto' }).warmStart, 'knapsack');
  t.is(parseRunConfig({ warmStart: 'auto', knobs: ['bits', 'channels'] }).warmStart, 'plan');
  t.is(parseRunConfig({ warmStart: 'auto', knobs: ['channels'], budget: 'flops:0.5,size:2bits' }).warmStart, 'none', 'two budgets: none');
  t.is(parseRunConfig({ warmStart: 'auto', pin: { last: { preserveRatio: 0.5 } } }).warmStart, 'none');
  t.is(parseRunConfig({}).warmStart, 'knapsack', 'the default is auto: the knapsack where it can plan');
  t.is(parseRunConfig({ budget: 'size:2bits,bitops:0.5' }).warmStart, 'none', 'auto with two budgets: the knapsack plans one');
});

test('a warm-started run lets the critic learn alone for min(10, episodes / 10) learning episodes: 10 of 100, 3 of 30; plain DDPG 0', (t) => {
  t.is(parseRunConfig({ warmStart: 'knapsack' }).criticWarmup, 10);
  t.is(parseRunConfig({ warmStart: 'knapsack', episodes: 30, warmup: 6 }).criticWarmup, 3);
  t.is(parseRunConfig({ warmStart: 'none' }).criticWarmup, 0);
  t.is(parseRunConfig({ criticWarmup: 4 }).criticWarmup, 4, 'an explicit --critic-warmup wins');
  t.like(agentOptions(parseRunConfig({ warmStart: 'knapsack' })), { criticWarmupEpisodes: 10, noiseRedraw: true });
});

test('a config stored before the fill pass and the critic warm-up keeps its meaning: fill off, critic warm-up 0, no warm start', (t) => {
  const old = { ...parseRunConfig({}) } as Record<string, unknown>;
  delete old.fill;
  delete old.criticWarmup;
  delete old.warmStart;
  const migrated = migrateStoredConfig(old) as Record<string, unknown>;
  t.like(migrated, { fill: false, criticWarmup: 0, warmStart: 'none' });
  t.like(parseStoredConfig(old, 'r1'), { fill: false, criticWarmup: 0, warmStart: 'none' });
  t.true(parseRunConfig({}).fill, 'new runs fill');
  const beforeChannelFill = { ...parseRunConfig({ knobs: ['channels'], budget: 'flops:0.5' }) } as Record<string, unknown>;
  delete beforeChannelFill.channelFill;
  t.like(parseStoredConfig(beforeChannelFill, 'r2'), { fill: true, channelFill: false }, 'a channel run stored before the channel fill keeps none');
  t.true(parseRunConfig({}).channelFill);
});

test('planned episodes: --rerank-top for uniform, greedy, knapsack and plan (3; 1 when the re-rank is off), --episodes for ddpg, random and local', (t) => {
  t.is(plannedEpisodes(parseRunConfig({ agent: 'knapsack' })), 3);
  t.is(plannedEpisodes(parseRunConfig({ agent: 'uniform', rerankTop: 0 })), 1);
  t.is(plannedEpisodes(parseRunConfig({ agent: 'greedy', rerankTop: 5 })), 5);
  t.is(plannedEpisodes(parseRunConfig({ agent: 'plan', knobs: ['channels'], budget: 'flops:0.5' })), 3);
  t.is(plannedEpisodes(parseRunConfig({ agent: 'local', episodes: 40 })), 40);
  t.is(plannedEpisodes(parseRunConfig({ agent: 'ddpg', episodes: 40 })), 40);
});
