import test from 'ava';
import type { AgentCheckpoint } from '../../agent/agent.js';
import type { AgentOptions } from '../../agent/create-agent.js';
import { Ddpg } from '../../agent/ddpg.js';
import { CheckpointLog } from '../../run/store/checkpoint-log.js';
import { encodeCheckpoint } from '../../run/store/checkpoint-codec.js';
import { openStore, type Store } from '../../run/store/store.js';
import { playToyEpisode } from '../agent/toy-problem.js';

// the toy's 4 layers; replay of 3 episodes (12 transitions), so it has wrapped after episode 3
const options: AgentOptions = { stateSize: 5, actionSize: 1, layers: 4, seed: 7, hidden: [16, 16], warmupEpisodes: 2, replayEpisodes: 3, batchSize: 8 };

function newRun(t: { teardown: (f: () => void) => void }): { store: Store; runId: string } {
  const store = openStore(':memory:');
  t.teardown(() => store.close());
  const run = store.createRun({ seed: 7, backend: 'cpu', model: 'toy', dataset: 'toy', budget: { kind: 'size', limit: 1 }, agent: 'ddpg', episodesPlanned: 100, config: {}, versions: { autoshrink: 'test', tfjs: 'test', node: 'test' } as never });
  return { store, runId: run.id };
}

/** Play `n` episodes from where the agent is, storing each through the log; an env part whose cache grows by one a
 * episode. Returns the actions and the bytes each checkpoint wrote. */
async function playAndStore(agent: Ddpg, n: number, at: { store: Store; runId: string; log: CheckpointLog; cache: Array<[string, number, number]> }) {
  const actions: number[][] = [];
  const bytes: number[] = [];
  for (let i = 0; i < n; i++) {
    const e = agent.episodes();
    actions.push(playToyEpisode(agent).actions);
    at.cache.push([`strategy-${e}`, 0.5 + e / 1000, Number.NaN]);
    const episode = { episode: e, phase: 'learning' as const, strategy: [], accuracy: 0.5, cost: 1, reward: 0, cached: false, seconds: 1, timings: {} };
    const recorded = at.store.recordEpisode(at.runId, episode as never, at.log.split(await agent.checkpoint(), { cache: at.cache, pending: [] }));
    at.log.committed();
    bytes.push(recorded.bytes);
  }
  return { actions, bytes };
}

const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

test('replay and cache stored as rows: 6 episodes (the ring wrapped), joined back, a fresh agent plays the next 4 as the uninterrupted one, bit for bit', async (t) => {
  const uninterrupted = new Ddpg(options);
  const all = Array.from({ length: 10 }, () => playToyEpisode(uninterrupted).actions);

  const run = newRun(t);
  const first = new Ddpg(options);
  const cache: Array<[string, number, number]> = [];
  await playAndStore(first, 6, { ...run, log: new CheckpointLog(), cache });
  const before = await first.checkpoint();
  first.dispose();

  const stored = run.store.lastCheckpoint(run.runId)!;
  t.is(stored.rows.replay.length, 12, 'the rows kept: the last 3 episodes x 4 layers, older ones deleted');
  t.deepEqual(stored.rows.replay.map((r) => r.index), Array.from({ length: 12 }, (_, i) => 12 + i), 'transitions 12..23 of the 24 pushed');
  t.false(Object.keys((stored.agent as unknown as AgentCheckpoint).blobs).some((k) => k.startsWith('replay/')), 'the checkpoint blob holds no transition');

  const log = new CheckpointLog();
  const joined = log.join(stored);
  const agent = joined.agent as unknown as AgentCheckpoint;
  t.deepEqual(agent.state, before.state);
  t.deepEqual(Object.keys(agent.blobs).sort(), Object.keys(before.blobs).sort());
  t.true(Object.keys(before.blobs).every((k) => same(agent.blobs[k], before.blobs[k])), 'every blob bit-identical, the replay ring in its slots');
  const env = joined.env as { cache: Array<[string, number, number]> };
  t.deepEqual(env.cache.map((c) => c[0]), cache.map((c) => c[0]));
  t.true(Number.isNaN(env.cache[5][2]), 'a NaN loss stays NaN');

  const resumed = new Ddpg({ ...options, seed: 12345 });
  resumed.restore(agent);
  const next = await playAndStore(resumed, 4, { ...run, log, cache: env.cache });
  t.deepEqual(next.actions, all.slice(6));
  const [a, b] = [await resumed.checkpoint(), await uninterrupted.checkpoint()];
  t.true(Object.keys(b.blobs).every((k) => same(a.blobs[k], b.blobs[k])));
  t.deepEqual(run.store.lastCheckpoint(run.runId)!.rows.cache.map((r) => r.index), Array.from({ length: 10 }, (_, i) => i), 'each cache entry stored once');
  uninterrupted.dispose();
  resumed.dispose();
});

test('the bytes a checkpoint writes stay flat as episodes grow: episode 40 writes what episode 4 wrote, give or take its header numbers, while the whole checkpoint grows', async (t) => {
  const run = newRun(t);
  const agent = new Ddpg({ ...options, replayEpisodes: 30 });
  const cache: Array<[string, number, number]> = [];
  const { bytes } = await playAndStore(agent, 40, { ...run, log: new CheckpointLog(), cache });
  const whole = async () => encodeCheckpoint(await agent.checkpoint()).byteLength + encodeCheckpoint({ cache, pending: [] }).byteLength;
  // header numbers (episode, sigma, the RNG state, counters) change length by a few digits
  t.true(Math.abs(bytes[39] - bytes[4]) <= 64, `episode 4 wrote ${bytes[4]} bytes, episode 40 ${bytes[39]}`);
  t.true(Math.max(...bytes.slice(1)) - Math.min(...bytes.slice(1)) <= 64, 'every checkpoint after the first within 64 bytes');
  // whole, the 30 episodes x 4 transitions of 2 x 5 + 1 + 2 floats and the 40 cache entries would be written every time
  t.true((await whole()) > bytes[39] + 30 * 4 * 13 * 4, `whole: ${await whole()} bytes`);
  agent.dispose();
});

test('a checkpoint stored whole (before schema v5) is read as it is; the next checkpoint writes every transition and entry it keeps', async (t) => {
  const run = newRun(t);
  const agent = new Ddpg(options);
  for (let i = 0; i < 5; i++) playToyEpisode(agent);
  const cache: Array<[string, number, number]> = [['a', 0.5, 0.1], ['b', 0.6, 0.2]];
  const episode = (e: number) => ({ episode: e, phase: 'learning' as const, strategy: [], accuracy: 0.5, cost: 1, reward: 0, cached: false, seconds: 1, timings: {} }) as never;
  // what schema v4 stored: the checkpoint as the agent and the run wrote it, no rows
  run.store.recordEpisode(run.runId, episode(0), { agent: await agent.checkpoint(), env: { cache, pending: [] } });
  const log = new CheckpointLog();
  const stored = run.store.lastCheckpoint(run.runId)!;
  t.deepEqual(stored.rows, {});
  const joined = log.join(stored);
  t.is(joined.agent, stored.agent);
  t.is(joined.env, stored.env);
  const next = log.split(await agent.checkpoint(), { cache, pending: [] });
  t.deepEqual(next.rows!.append.map((a) => [a.stream, a.from, a.values.length]), [['replay', 8, 12], ['cache', 0, 2]], '20 pushed, the last 12 kept; both cache entries');
  agent.dispose();
});

test('an empty cache and an empty replay (before any transition is pushed) go through rows and come back empty', async (t) => {
  const run = newRun(t);
  const agent = new Ddpg(options);
  const episode = { episode: 0, phase: 'warmup' as const, strategy: [], accuracy: 0.5, cost: 1, reward: 0, cached: false, seconds: 1, timings: {} } as never;
  const before = await agent.checkpoint();
  run.store.recordEpisode(run.runId, episode, new CheckpointLog().split(before, { cache: [], pending: [] }));
  const joined = new CheckpointLog().join(run.store.lastCheckpoint(run.runId)!);
  t.deepEqual((joined.env as { cache: unknown[] }).cache, []);
  const restored = joined.agent as unknown as AgentCheckpoint;
  t.deepEqual(restored.state, before.state);
  t.deepEqual(restored.blobs['replay/states'], new Float32Array(0));
  agent.dispose();
});
