import test from 'ava';
import type { AgentCheckpoint, Transition } from '../../agent/agent.js';
import type { AgentOptions } from '../../agent/create-agent.js';
import { Ddpg } from '../../agent/ddpg.js';
import { RunNotFoundError } from '../../errors.js';
import { NetworkJournal } from '../../run/planners/network-journal.js';
import { CheckpointLog } from '../../run/store/checkpoint-log.js';
import { openStore, type Store } from '../../run/store/store.js';
import { toyReward, toyState, TOY_TARGETS } from '../agent/toy-problem.js';

// the toy's 4 layers; replay of 3 episodes (12 transitions): the ring wraps after episode 3, so a resume from the
// networks of episode 4 needs transitions that the last checkpoint's own replay no longer holds
const options: AgentOptions = { stateSize: 5, actionSize: 1, layers: 4, seed: 7, hidden: [16, 16], warmupEpisodes: 2, replayEpisodes: 3, batchSize: 8 };
// networks: actor 5x16+16 + 16x16+16 + 16x1+1 = 385 floats, critic 6x16+16 + 272 + 17 = 401; each with its target
// and two Adam moments: 4 x (385 + 401) = 3,144 floats = 12,576 bytes
const NETWORK_BYTES = 12_576;

function newRun(t: { teardown: (f: () => void) => void }): { store: Store; runId: string } {
  const store = openStore(':memory:');
  t.teardown(() => store.close());
  const run = store.createRun({ seed: 7, backend: 'cpu', model: 'toy', dataset: 'toy', budget: { kind: 'size', limit: 1 }, agent: 'ddpg', episodesPlanned: 100, config: {}, versions: { autoshrink: 'test', tfjs: 'test', node: 'test' } as never });
  return { store, runId: run.id };
}

/** One toy episode as the agent planner plays it: act on every layer, then the journal, observe, learn, checkpoint. */
async function episode(agent: Ddpg, journal: NetworkJournal) {
  const e = agent.episodes();
  const actions: number[] = [];
  const transitions: Transition[] = [];
  let prev = 0;
  for (let i = 0; i < TOY_TARGETS.length; i++) {
    const state = toyState(i, TOY_TARGETS.length, prev);
    const [a] = agent.act(state, true);
    actions.push(a);
    transitions.push({ state, action: [a], nextState: i + 1 < TOY_TARGETS.length ? toyState(i + 1, TOY_TARGETS.length, a) : state, done: i + 1 === TOY_TARGETS.length });
    prev = a;
  }
  const reward = toyReward(actions);
  journal.beforeLearn();
  for (const t of transitions) agent.observe(t);
  const report = agent.endEpisode(reward);
  return { e, actions, report, checkpoint: await journal.checkpoint(e, reward, transitions) };
}

async function playAndStore(agent: Ddpg, journal: NetworkJournal, n: number, at: { store: Store; runId: string; log: CheckpointLog }) {
  const actions: number[][] = [];
  const bytes: number[] = [];
  for (let i = 0; i < n; i++) {
    const played = await episode(agent, journal);
    actions.push(played.actions);
    const { criticLoss = null, actorLoss = null, meanQ = null } = played.report;
    const row = { episode: played.e, phase: 'learning' as const, strategy: [], accuracy: 0.5, cost: 1, reward: 0, cached: false, seconds: 1, timings: {}, criticLoss, actorLoss, meanQ };
    bytes.push(at.store.recordEpisode(at.runId, row as never, at.log.split(played.checkpoint, { cache: [], pending: [] })).bytes);
    at.log.committed();
  }
  return { actions, bytes };
}

const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

test('networks every 4 episodes: stopped after episode 6, a fresh agent learns 5 and 6 again from the networks of 4 and plays 7-10 as the uninterrupted one, bit for bit', async (t) => {
  const uninterrupted = new Ddpg(options);
  const plain = new NetworkJournal(uninterrupted, 4);
  const all: number[][] = [];
  for (let i = 0; i < 11; i++) all.push((await episode(uninterrupted, plain)).actions);

  const run = newRun(t);
  const first = new Ddpg(options);
  const { bytes } = await playAndStore(first, new NetworkJournal(first, 4), 7, { ...run, log: new CheckpointLog() });
  first.dispose();
  // networks stored after episodes 0 and 4 (0, 0 + 4); 1-3 and 5-6 carry a journal entry instead
  const light = [1, 2, 3, 5, 6].map((e) => bytes[e]);
  t.true(Math.min(bytes[0], bytes[4]) - Math.max(...light) > NETWORK_BYTES, `bytes per episode: ${bytes.join(', ')}`);

  const stored = run.store.lastCheckpoint(run.runId)!;
  t.deepEqual(stored.rows.networks.map((r) => r.index), [4], 'only the last networks are kept');
  t.deepEqual(stored.rows.learn.map((r) => r.index), [5, 6]);
  // episode 4's replay began at transition 20 - 12 = 8 (5 episodes of 4 pushed, 12 kept); the last holds 16..27
  t.is(stored.rows.replay[0].index, 8, 'the replay rows are kept back to the networks own replay');

  const log = new CheckpointLog();
  const joined = log.join(stored);
  const resumed = new Ddpg({ ...options, seed: 12345 });
  const journal = new NetworkJournal(resumed, 4);
  await journal.restore(joined.agent as unknown as AgentCheckpoint, run.store.episodes(run.runId));
  t.is(resumed.episodes(), 7);
  const next = await playAndStore(resumed, journal, 4, { ...run, log });
  t.deepEqual(next.actions, all.slice(7));
  const [a, b] = [await resumed.checkpoint(), await uninterrupted.checkpoint()];
  t.true(Object.keys(b.blobs).every((k) => same(a.blobs[k], b.blobs[k])), 'networks, Adam and replay bit-identical');
  t.deepEqual(a.state, b.state);
  // the networks stored again after episode 8 (4 + 4): the rows of 4 and the entries up to 8 are gone
  const last = run.store.lastCheckpoint(run.runId)!;
  t.deepEqual(last.rows.networks.map((r) => r.index), [8]);
  t.deepEqual(last.rows.learn.map((r) => r.index), [9, 10]);
  uninterrupted.dispose();
  resumed.dispose();
});

test('a journal entry that does not lead to the stored state is refused in one line, not resumed differently', async (t) => {
  const run = newRun(t);
  const agent = new Ddpg(options);
  await playAndStore(agent, new NetworkJournal(agent, 10), 4, { ...run, log: new CheckpointLog() });
  agent.dispose();
  const joined = new CheckpointLog().join(run.store.lastCheckpoint(run.runId)!).agent as unknown as AgentCheckpoint & { journal: { relearn: Array<{ reward: number }> } };
  joined.journal.relearn[2].reward += 0.5;
  const fresh = new Ddpg(options);
  // an InputError: the CLI prints the one line and exits 2
  const err = await t.throwsAsync(new NetworkJournal(fresh, 10).restore(joined, run.store.episodes(run.runId)), { instanceOf: RunNotFoundError });
  t.is((err as RunNotFoundError).exitCode, 2);
  t.regex(
    err!.message,
    /^cannot resume: learning episodes 1 to 3 again from the stored networks of episode 0 did not give the stored \w+, so the run would not go on as it ran; resume it with the autoshrink version it ran with \(autoshrink runs show <run> --json lists them\), or start a new run with autoshrink search; the run's stored episodes are kept$/,
  );
  fresh.dispose();
});

test('networks that learn differently from the run are refused in one line: the stored critic loss of episode 3 changed by 1e-9, the relearning of 1-3 from the networks of episode 0 does not give it', async (t) => {
  const run = newRun(t);
  const agent = new Ddpg(options);
  await playAndStore(agent, new NetworkJournal(agent, 10), 4, { ...run, log: new CheckpointLog() });
  agent.dispose();
  const joined = () => new CheckpointLog().join(run.store.lastCheckpoint(run.runId)!).agent as unknown as AgentCheckpoint;
  const episodes = run.store.episodes(run.runId);
  // warm-up of 2: episode 3 learns, so it has a critic loss
  const loss = episodes[3].criticLoss!;
  t.is(typeof loss, 'number');
  const tampered = episodes.map((e) => (e.episode === 3 ? { ...e, criticLoss: loss + 1e-9 } : e));
  const fresh = new Ddpg(options);
  const err = await t.throwsAsync(new NetworkJournal(fresh, 10).restore(joined(), tampered), { instanceOf: RunNotFoundError });
  t.is(
    err!.message,
    `cannot resume: learning episode 3 again from the stored networks of episode 0 gave critic loss ${loss} where the run stored ${loss + 1e-9}; ` +
      'the networks differ from the run\'s, most likely another tfjs backend or version than it ran with (autoshrink runs shows them), or a changed runs.db',
  );
  fresh.dispose();
  // the stored reports as they are: the same agent resumes
  const again = new Ddpg(options);
  await new NetworkJournal(again, 10).restore(joined(), episodes);
  t.is(again.episodes(), 4);
  again.dispose();
});
