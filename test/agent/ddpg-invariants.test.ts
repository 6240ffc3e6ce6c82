import test from 'ava';
import * as tf from '../../tfjs.js';
import { Ddpg, DEFAULT_DDPG_CONFIG } from '../../agent/ddpg.js';
import { softUpdate, type Mlp } from '../../agent/mlp.js';
import { createRng } from '../../agent/rng.js';
import { ConfigError } from '../../errors.js';
import { playToyEpisode } from './toy-problem.js';

const snapshot = (net: Mlp) => net.map((v) => Array.from(v.dataSync()));
const fill = (net: Mlp, value: number) => net.forEach((v) => v.assign(tf.fill(v.shape, value)));

test('defaults are the AMC/HAQ constants (warm-up HAQ\'s 20; no policy episodes)', (t) => {
  t.deepEqual(DEFAULT_DDPG_CONFIG.hidden, [300, 300]);
  t.is(DEFAULT_DDPG_CONFIG.actorLr, 1e-4);
  t.is(DEFAULT_DDPG_CONFIG.criticLr, 1e-3);
  t.is(DEFAULT_DDPG_CONFIG.tau, 0.01);
  t.is(DEFAULT_DDPG_CONFIG.gamma, 1);
  t.is(DEFAULT_DDPG_CONFIG.batchSize, 64);
  t.is(DEFAULT_DDPG_CONFIG.warmupEpisodes, 20);
  t.is(DEFAULT_DDPG_CONFIG.policyEvery, 0);
  t.is(DEFAULT_DDPG_CONFIG.noiseSigma, 0.5);
  t.is(DEFAULT_DDPG_CONFIG.noiseDecay, 0.99);
  const agent = new Ddpg({ stateSize: 3, actionSize: 2, layers: 7, seed: 0, hidden: [4] });
  t.is(agent.replay.capacity, 700);
  agent.dispose();
});

test('soft update moves the target by tau: 0.25 * 10 + 0.75 * 2 = 4, then 0.25 * 10 + 0.75 * 4 = 5.5', (t) => {
  const agent = new Ddpg({ stateSize: 1, actionSize: 1, layers: 1, seed: 0, hidden: [2], tau: 0.25 });
  fill(agent.actor, 10);
  fill(agent.targetActor, 2);
  fill(agent.critic, -4);
  fill(agent.targetCritic, 0);
  agent.softUpdateTargets();
  t.true(snapshot(agent.targetActor).flat().every((x) => x === 4));
  t.true(snapshot(agent.targetCritic).flat().every((x) => x === -1));
  agent.softUpdateTargets();
  t.true(snapshot(agent.targetActor).flat().every((x) => x === 5.5));
  t.true(snapshot(agent.targetCritic).flat().every((x) => x === -1.75));
  t.true(snapshot(agent.actor).flat().every((x) => x === 10), 'the online network is untouched');
  agent.dispose();
});

test('soft update with tau 0.01 from 0 towards 1 gives 0.01 then 0.0199', (t) => {
  const target = [tf.variable(tf.zeros([3]))];
  const online = [tf.variable(tf.ones([3]))];
  softUpdate(target, online, 0.01);
  t.true(Array.from(target[0].dataSync()).every((x) => Math.abs(x - 0.01) < 1e-7));
  softUpdate(target, online, 0.01);
  t.true(Array.from(target[0].dataSync()).every((x) => Math.abs(x - 0.0199) < 1e-7));
  tf.dispose([...target, ...online]);
});

test('target networks start as exact copies of the online networks', (t) => {
  const agent = new Ddpg({ stateSize: 4, actionSize: 2, layers: 3, seed: 3, hidden: [8, 8] });
  t.deepEqual(snapshot(agent.targetActor), snapshot(agent.actor));
  t.deepEqual(snapshot(agent.targetCritic), snapshot(agent.critic));
  agent.dispose();
});

function agentWithReplay() {
  // 3 episodes of the toy problem stored, no updates run yet
  const agent = new Ddpg({ stateSize: 5, actionSize: 1, layers: 4, seed: 4, hidden: [16, 16], warmupEpisodes: 3, updatesPerEpisode: 0 });
  for (let e = 0; e < 3; e++) playToyEpisode(agent);
  return { agent, batch: agent.replay.sample(16, createRng(0)) };
}

test('a critic step changes the critic and leaves the actor and both targets unchanged', (t) => {
  const { agent, batch } = agentWithReplay();
  const before = { actor: snapshot(agent.actor), critic: snapshot(agent.critic), ta: snapshot(agent.targetActor), tc: snapshot(agent.targetCritic) };
  agent.updateCritic(batch);
  t.deepEqual(snapshot(agent.actor), before.actor);
  t.deepEqual(snapshot(agent.targetActor), before.ta);
  t.deepEqual(snapshot(agent.targetCritic), before.tc);
  t.notDeepEqual(snapshot(agent.critic), before.critic);
  agent.dispose();
});

test('an actor step changes the actor and leaves the critic and both targets unchanged', (t) => {
  const { agent, batch } = agentWithReplay();
  const before = { actor: snapshot(agent.actor), critic: snapshot(agent.critic), ta: snapshot(agent.targetActor), tc: snapshot(agent.targetCritic) };
  agent.updateActor(batch);
  t.deepEqual(snapshot(agent.critic), before.critic);
  t.deepEqual(snapshot(agent.targetActor), before.ta);
  t.deepEqual(snapshot(agent.targetCritic), before.tc);
  t.notDeepEqual(snapshot(agent.actor), before.actor);
  agent.dispose();
});

test('repeated critic steps on one batch lower its loss', (t) => {
  const { agent, batch } = agentWithReplay();
  const first = agent.updateCritic(batch).loss;
  let last = first;
  for (let i = 0; i < 50; i++) last = agent.updateCritic(batch).loss;
  t.true(last < first / 2, `loss ${first} -> ${last}`);
  agent.dispose();
});

test('warm-up lasts warmupEpisodes episodes; training starts at the end of the last one, one update per step', (t) => {
  const agent = new Ddpg({ stateSize: 5, actionSize: 1, layers: 4, seed: 1, hidden: [8], warmupEpisodes: 2, noiseDecay: 0.5, batchSize: 4 });
  const reports = [];
  for (let e = 0; e < 4; e++) reports.push(playToyEpisode(agent).report);
  t.deepEqual(reports.map((r) => r.phase), ['warmup', 'warmup', 'learning', 'learning']);
  t.deepEqual(reports.map((r) => r.updates), [0, 4, 4, 4]);
  t.deepEqual(reports.map((r) => r.sigma), [0.5, 0.5, 0.25, 0.125], 'sigma halves after each learning episode');
  t.is(reports[0].criticLoss, undefined);
  t.true(Number.isFinite(reports[1].criticLoss) && Number.isFinite(reports[1].actorLoss));
  t.is(agent.phase(), 'learning');
  t.is(agent.episodes(), 4);
  agent.dispose();
});

test('bad config, bad states and out-of-range actions throw ConfigError', (t) => {
  t.throws(() => new Ddpg({ stateSize: 3, actionSize: 1, layers: 2, seed: 0, tau: 0 }), { instanceOf: ConfigError, message: /tau/ });
  t.throws(() => new Ddpg({ stateSize: 0, actionSize: 1, layers: 2, seed: 0 }), { instanceOf: ConfigError, message: /stateSize/ });
  t.throws(() => new Ddpg({ stateSize: 3, actionSize: 1, layers: 2, seed: 0, hidden: [] }), { instanceOf: ConfigError, message: /hidden/ });
  const agent = new Ddpg({ stateSize: 3, actionSize: 1, layers: 2, seed: 0, hidden: [4] });
  t.throws(() => agent.act([1, 2], true), { instanceOf: ConfigError });
  t.throws(() => agent.observe({ state: [0, 0, 0], action: [1.5], nextState: [0, 0, 0], done: false }), { instanceOf: ConfigError });
  t.throws(() => agent.endEpisode(Number.NaN), { instanceOf: ConfigError });
  agent.dispose();
});

test('imitate pulls the actor to the given actions (0.2 and 0.9 from a start near 0.5) and the target actor copies it', (t) => {
  const agent = new Ddpg({ stateSize: 2, actionSize: 1, layers: 2, seed: 3, hidden: [16], actorLr: 1e-2 });
  t.teardown(() => agent.dispose());
  const states = [[0, 1], [1, 0]];
  const before = states.map((s) => agent.act(s, false)[0]);
  t.true(before.every((a) => Math.abs(a - 0.5) < 0.05));
  const loss = agent.imitate(states, [[0.2], [0.9]], 300);
  const after = states.map((s) => agent.act(s, false)[0]);
  t.true(Math.abs(after[0] - 0.2) < 0.02 && Math.abs(after[1] - 0.9) < 0.02, `${after}`);
  t.true(loss < 1e-3);
  t.deepEqual(snapshot(agent.targetActor), snapshot(agent.actor));
});

test('warmupSigma 0.02: warm-up acts within 0.1 of the imitated policy (0.2, 0.9); warmupSigma 0: uniform, spread over [0, 1]', (t) => {
  const states = [[0, 1], [1, 0]];
  const draws = (warmupSigma: number) => {
    const agent = new Ddpg({ stateSize: 2, actionSize: 1, layers: 2, seed: 3, hidden: [16], actorLr: 1e-2, warmupSigma, warmupEpisodes: 5 });
    agent.imitate(states, [[0.2], [0.9]], 300);
    const out = Array.from({ length: 50 }, (_, i) => agent.act(states[i % 2], true)[0]);
    t.is(agent.phase(), 'warmup');
    agent.dispose();
    return out;
  };
  const near = draws(0.02);
  t.true(near.every((a, i) => Math.abs(a - (i % 2 === 0 ? 0.2 : 0.9)) < 0.1), `${near}`);
  t.true(new Set(near).size > 1, 'still noisy');
  const uniform = draws(0);
  t.true(Math.min(...uniform) < 0.15 && Math.max(...uniform) > 0.85, `${uniform}`);
  t.throws(() => new Ddpg({ stateSize: 2, actionSize: 1, layers: 2, seed: 3, warmupSigma: -1 }), { instanceOf: ConfigError, message: /warmupSigma/ });
});

test('noiseLayers 1 of 4 layers: each episode of 4 actions perturbs at least one, 400 x 0.25 / (1 - 0.75^4) = 146 of 400 on average; without the redraw a quarter (100); 0 perturbs every action', (t) => {
  const state = [0.5, 0.5];
  const perturbed = (noiseLayers: number, noiseRedraw = true) => {
    const agent = new Ddpg({ stateSize: 2, actionSize: 1, layers: 4, seed: 5, hidden: [8], warmupEpisodes: 0, noiseSigma: 0.3, noiseLayers, noiseRedraw });
    const mu = agent.policy(state)[0];
    // one episode = 4 consecutive actions of the same episode number
    const flags = Array.from({ length: 400 }, () => agent.act(state, true)[0] !== mu);
    agent.dispose();
    return flags;
  };
  const moved = (noiseLayers: number, noiseRedraw = true) => perturbed(noiseLayers, noiseRedraw).filter(Boolean).length;
  const redrawn = perturbed(1);
  const episodes = Array.from({ length: 100 }, (_, e) => redrawn.slice(4 * e, 4 * e + 4));
  t.true(episodes.every((ep) => ep.some(Boolean)), 'no episode leaves every layer at the policy');
  const sparse = redrawn.filter(Boolean).length;
  // a mean of 146 over 100 episodes, sd about 6.5: [110, 185] is far beyond 3 sd either way
  t.true(sparse >= 110 && sparse <= 185, `${sparse} of 400 perturbed`);
  const plain = moved(1, false);
  // a Binomial(400, 1/4) count: mean 100, sd 8.7; [70, 130] is beyond 3 sd either way
  t.true(plain >= 70 && plain <= 130, `${plain} of 400 perturbed without the redraw`);
  t.is(moved(0), 400);
  t.is(moved(4), 400, 'as many as the walk has layers: all of them');
  t.throws(() => new Ddpg({ stateSize: 2, actionSize: 1, layers: 4, seed: 3, noiseLayers: -1 }), { instanceOf: ConfigError, message: /noiseLayers/ });
});
