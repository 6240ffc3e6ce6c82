import test from 'ava';
import { Ddpg } from '../../agent/ddpg.js';
import { imitateUntil } from '../../agent/imitate-until.js';
import { createRng } from '../../agent/rng.js';
import { bitsFromAction } from '../../env/knobs.js';

// A tiny synthetic agent: 5 layers, one knob (bits 1..8: each width owns 1/8 of [0, 1]), 4 state features.
const seedBits = [2, 8, 3, 6, 1];
const centre = (b: number) => (b - 1 + 0.5) / 8;
const rng = createRng(11);
const states = seedBits.map((_, i) => [i / 4, rng(), rng(), 1 - i / 4]);
const actions = seedBits.map((b) => [centre(b)]);

test('the actor imitates a seed of bits [2, 8, 3, 6, 1] until its noise-free action gives those widths on all 5 layers', (t) => {
  const agent = new Ddpg({ stateSize: 4, actionSize: 1, layers: 5, seed: 3, hidden: [32, 32], actorLr: 1e-3 });
  t.teardown(() => agent.dispose());
  const before = states.map((s) => bitsFromAction(agent.act(s, false)[0], [1, 8]));
  t.notDeepEqual(before, seedBits, 'an untrained actor plays about 0.5 everywhere (4 or 5 bits)');
  const r = imitateUntil(agent, states, actions, { reproduced: (i, a) => bitsFromAction(a[0], [1, 8]) === seedBits[i], chunk: 100, maxSteps: 6000 });
  t.deepEqual(r.wrong, []);
  t.log(`${r.steps} steps`);
  t.is(r.steps % 100, 0, 'whole chunks');
  t.deepEqual(states.map((s) => bitsFromAction(agent.act(s, false)[0], [1, 8])), seedBits);
});

test('imitation that cannot reproduce within its cap says which layers it misses', (t) => {
  const agent = new Ddpg({ stateSize: 4, actionSize: 1, layers: 5, seed: 3, hidden: [32, 32] });
  t.teardown(() => agent.dispose());
  const r = imitateUntil(agent, states, actions, { reproduced: (i, a) => bitsFromAction(a[0], [1, 8]) === seedBits[i], chunk: 1, maxSteps: 2 });
  t.is(r.steps, 2);
  t.true(r.wrong.length > 0);
});

test('with noise on 1 of 5 layers, every exploring episode perturbs at least one layer (no mask of 5 untouched layers)', (t) => {
  // without the redraw, (1 - 1/5)^5 = 33% of episodes would play the policy on all 5 layers
  const agent = new Ddpg({ stateSize: 4, actionSize: 1, layers: 5, seed: 9, hidden: [8], warmupEpisodes: 0, noiseLayers: 1, noiseSigma: 0.3 });
  t.teardown(() => agent.dispose());
  let untouched = 0;
  for (let episode = 0; episode < 60; episode++) {
    const moved = states.filter((s) => agent.act(s, true, episode)[0] !== agent.act(s, false, episode)[0]).length;
    if (moved === 0) untouched++;
  }
  t.is(untouched, 0);
});

test('without the redraw (a checkpoint from before it) some of 60 episodes perturb nothing: about 33% at 1 of 5', (t) => {
  const agent = new Ddpg({ stateSize: 4, actionSize: 1, layers: 5, seed: 9, hidden: [8], warmupEpisodes: 0, noiseLayers: 1, noiseSigma: 0.3, noiseRedraw: false });
  t.teardown(() => agent.dispose());
  let untouched = 0;
  for (let episode = 0; episode < 60; episode++) {
    if (states.every((s) => agent.act(s, true, episode)[0] === agent.act(s, false, episode)[0])) untouched++;
  }
  t.true(untouched > 5, `${untouched} of 60`);
});

test('critic warm-up 2: the updates ending episode 0 (warm-up) and 1 train the critic alone, so learning episodes 1 and 2 act with the first actor; episode 2 ends with actor updates', (t) => {
  const agent = new Ddpg({ stateSize: 4, actionSize: 1, layers: 5, seed: 4, hidden: [8], warmupEpisodes: 1, criticWarmupEpisodes: 2, batchSize: 4 });
  t.teardown(() => agent.dispose());
  const weights = (net: typeof agent.actor) => net.map((v) => Array.from(v.dataSync())).flat();
  const play = (reward: number) => {
    states.forEach((s, i) => agent.observe({ state: s, action: agent.act(s, true), nextState: states[Math.min(i + 1, 4)], done: i === 4 }));
    return agent.endEpisode(reward);
  };
  const actor0 = weights(agent.actor);
  const critic0 = weights(agent.critic);
  for (const [e, r] of [[0, 1], [1, 0.5]]) {
    const report = play(r);
    t.is(report.actorLoss, undefined, `episode ${e}: no actor update`);
    t.true(report.updates > 0);
  }
  t.deepEqual(weights(agent.actor), actor0);
  t.notDeepEqual(weights(agent.critic), critic0);
  const report = play(0.2);
  t.not(report.actorLoss, undefined);
  t.notDeepEqual(weights(agent.actor), actor0);
});
