import test from 'ava';
import type { Agent, AgentCheckpoint } from '../../agent/agent.js';
import { createAgent, type AgentOptions } from '../../agent/create-agent.js';
import { Ddpg } from '../../agent/ddpg.js';
import { ConfigError } from '../../errors.js';
import { playToyEpisode } from './toy-problem.js';

// Small nets; warm-up 3 so the checkpoint at episode 6 falls in the learning phase; replay of 2 episodes (8
// transitions) so the ring buffer has wrapped by then; batch 8.
const options: AgentOptions = {
  stateSize: 5, actionSize: 1, layers: 4, seed: 7, hidden: [16, 16], warmupEpisodes: 3, replayEpisodes: 2, batchSize: 8,
};
const N = 6;
const M = 5;

/** What a store does to a checkpoint: the JSON half through text, the blobs through fresh buffers. */
function storeAndLoad(cp: AgentCheckpoint): AgentCheckpoint {
  const blobs: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(cp.blobs)) blobs[k] = new Float32Array(new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice().buffer);
  return { ...(JSON.parse(JSON.stringify({ ...cp, blobs: {} })) as AgentCheckpoint), blobs };
}

function play(agent: Agent, episodes: number): number[][] {
  return Array.from({ length: episodes }, () => playToyEpisode(agent).actions);
}

for (const kind of ['ddpg', 'random'] as const) {
  test(`${kind}: N episodes, checkpoint, restore into a fresh agent, M more gives the same actions as N + M uninterrupted`, async (t) => {
    const uninterrupted = createAgent(kind, options);
    const all = play(uninterrupted, N + M);

    const first = createAgent(kind, options);
    t.deepEqual(play(first, N), all.slice(0, N));
    const cp = storeAndLoad(await first.checkpoint());
    first.dispose();

    // a different seed: everything that matters must come from the checkpoint
    const resumed = createAgent(kind, { ...options, seed: 12345 });
    resumed.restore(cp);
    t.is(resumed.episodes(), N);
    t.deepEqual(play(resumed, M), all.slice(N));

    // and the whole state agrees at the end, weights, Adam moments and replay included
    const [a, b] = [await resumed.checkpoint(), await uninterrupted.checkpoint()];
    t.deepEqual(a.state, b.state);
    t.deepEqual(Object.keys(a.blobs), Object.keys(b.blobs));
    t.true(Object.keys(a.blobs).every((k) => Buffer.from(a.blobs[k].buffer).equals(Buffer.from(b.blobs[k].buffer))), 'every blob bit-identical');
    uninterrupted.dispose();
    resumed.dispose();
  });
}

test('a DDPG checkpoint holds networks, targets, Adam state, replay, RNG, sigma, episode and baseline', async (t) => {
  const agent = new Ddpg(options);
  play(agent, N);
  const cp = await agent.checkpoint();
  t.is(cp.format, 'autoshrink-agent');
  t.is(cp.version, 1);
  t.is(cp.kind, 'ddpg');
  const names = Object.keys(cp.blobs);
  for (const group of ['actor', 'critic', 'targetActor', 'targetCritic', 'actorAdam/m', 'actorAdam/v', 'criticAdam/m', 'criticAdam/v']) {
    t.deepEqual(names.filter((n) => n.startsWith(`${group}/`) && /\/\d+$/.test(n.slice(group.length))).length, 6, group);
  }
  t.is(cp.blobs['actor/0'].length, 5 * 16);
  t.is(cp.blobs['replay/rewards'].length, 8, 'replay holds its capacity of 2 episodes x 4 layers');
  t.true(Object.values(cp.blobs).every((b) => b instanceof Float32Array));
  const st = cp.state as Record<string, unknown>;
  t.is(st.episode, N);
  t.true(Math.abs((st.sigma as number) - 0.5 * 0.99 ** (N - 3)) < 1e-12, 'sigma decayed once per learning episode');
  t.is(agent.phase(), 'learning');
  t.is(typeof st.baseline, 'number');
  t.is(st.actorAdamStep, 4 * (N - 2), 'one update per step from the end of the last warm-up episode');
  t.deepEqual(JSON.parse(JSON.stringify(st)), st, 'the JSON half round-trips exactly');
  agent.dispose();
});

test('restore refuses a checkpoint from a different config or kind', async (t) => {
  const agent = new Ddpg(options);
  const cp = await agent.checkpoint();
  const wider = new Ddpg({ ...options, hidden: [32, 16] });
  t.throws(() => wider.restore(cp), { instanceOf: ConfigError, message: /hidden/ });
  const random = createAgent('random', options);
  t.throws(() => random.restore(cp), { instanceOf: ConfigError });
  agent.dispose();
  wider.dispose();
});

test('a checkpoint made before policy episodes existed resumes without them', async (t) => {
  const old = new Ddpg(options);
  play(old, N);
  const cp = storeAndLoad(await old.checkpoint());
  const config = (cp.state as { config: Record<string, unknown> }).config;
  delete config.plannedEpisodes;
  delete config.policyEvery;
  // today's run would ask for policy episodes every 2 (episode 6 is the 4th after warm-up 3: a policy one)
  const resumed = new Ddpg({ ...options, plannedEpisodes: 12, policyEvery: 2 });
  t.is(resumed.phase(N), 'policy');
  resumed.restore(cp);
  t.is(resumed.phase(), 'learning');
  t.deepEqual([resumed.config.plannedEpisodes, resumed.config.policyEvery], [0, 0]);
  old.dispose();
  resumed.dispose();
});
