import test from 'ava';
import type { Agent } from '../../agent/agent.js';
import { createAgent, type AgentOptions } from '../../agent/create-agent.js';
import { createRng } from '../../agent/rng.js';
import { ConfigError } from '../../errors.js';
import { playToyEpisode } from './toy-problem.js';

const inUnitBox = (a: number[], k: number) => a.length === k && a.every((x) => x >= 0 && x <= 1);

test('DDPG actions stay in [0,1]^k for wild states, explore on and off, in warm-up and learning', (t) => {
  const k = 3;
  const agent = createAgent('ddpg', { stateSize: 6, actionSize: k, layers: 4, seed: 2, hidden: [16, 16], warmupEpisodes: 3, batchSize: 8 });
  const rng = createRng(99);
  const wildState = () => Array.from({ length: 6 }, () => (rng() - 0.5) * 10 ** Math.floor(rng() * 5)); // up to +-5000
  const phases = new Set<string>();
  for (let episode = 0; episode < 8; episode++) {
    phases.add(agent.phase());
    for (let i = 0; i < 50; i++) {
      for (const explore of [true, false]) {
        const a = agent.act(wildState(), explore);
        t.true(inUnitBox(a, k), `episode ${episode} explore ${explore}: ${a}`);
      }
    }
    // an episode with extreme rewards so the networks move a lot
    for (let layer = 0; layer < 4; layer++) {
      const state = wildState();
      agent.observe({ state, action: agent.act(state, true), nextState: wildState(), done: layer === 3 });
    }
    agent.endEpisode(episode % 2 === 0 ? 1000 : -1000);
  }
  t.deepEqual([...phases], ['warmup', 'learning']);
  agent.dispose();
});

test('random search actions stay in [0,1]^k and the uniform agent replays its action for any state', (t) => {
  const random = createAgent('random', { stateSize: 2, actionSize: 4, layers: 3, seed: 1 });
  const uniform = createAgent('uniform', { stateSize: 2, actionSize: 2, layers: 3, seed: 1, action: [0.25, 1] });
  for (let i = 0; i < 200; i++) {
    t.true(inUnitBox(random.act([i, -i], i % 2 === 0), 4));
    t.deepEqual(uniform.act([i, -i], i % 2 === 0), [0.25, 1]);
  }
});

function actionsOf(agent: Agent, episodes: number): number[][] {
  return Array.from({ length: episodes }, () => playToyEpisode(agent).actions);
}

test('the same seed gives the same actions through warm-up and learning; another seed does not', (t) => {
  const options: AgentOptions = { stateSize: 5, actionSize: 1, layers: 4, seed: 5, hidden: [16, 16], warmupEpisodes: 4, batchSize: 16 };
  const a = createAgent('ddpg', options);
  const b = createAgent('ddpg', options);
  const c = createAgent('ddpg', { ...options, seed: 6 });
  const runA = actionsOf(a, 12);
  t.deepEqual(actionsOf(b, 12), runA);
  t.notDeepEqual(actionsOf(c, 12), runA);
  // the greedy policy is seeded too
  t.deepEqual(a.act([1, 0, 0, 0, 0], false), b.act([1, 0, 0, 0, 0], false));
  for (const agent of [a, b, c]) agent.dispose();
});

test('random search: same seed, same actions', (t) => {
  const options: AgentOptions = { stateSize: 5, actionSize: 1, layers: 4, seed: 5 };
  t.deepEqual(actionsOf(createAgent('random', options), 5), actionsOf(createAgent('random', options), 5));
  t.notDeepEqual(actionsOf(createAgent('random', options), 5), actionsOf(createAgent('random', { ...options, seed: 8 }), 5));
});

test('createAgent refuses a uniform agent without an action and an unknown kind', (t) => {
  const dims = { stateSize: 2, actionSize: 2, layers: 3, seed: 1 };
  t.throws(() => createAgent('uniform', dims), { instanceOf: ConfigError, message: /action/ });
  t.throws(() => createAgent('uniform', { ...dims, action: [0.5, 2] }), { instanceOf: ConfigError });
  t.throws(() => createAgent('ppo' as never, dims), { instanceOf: ConfigError, message: /unknown agent kind/ });
});
