import test from 'ava';
import * as tf from '../../tfjs.js';
import { Ddpg } from '../../agent/ddpg.js';
import { plannedNoiseDecay } from '../../agent/noise.js';
import { playToyEpisode, TOY_TARGETS, toyState } from './toy-problem.js';

const small = { stateSize: 5, actionSize: 1, layers: 4, hidden: [8], batchSize: 4 };

test('planned decay takes sigma from 0.5 to 0.05 over 20 learning episodes: 0.5 * 0.1^(19/19) = 0.05', (t) => {
  const decay = plannedNoiseDecay(0.5, 0.05, 20);
  t.true(Math.abs(decay - 0.1 ** (1 / 19)) < 1e-15);
  t.true(Math.abs(0.5 * decay ** 19 - 0.05) < 1e-12);
});

test('planned decay is 1 with one learning episode or no noise, and never raises sigma', (t) => {
  t.is(plannedNoiseDecay(0.5, 0.05, 1), 1);
  t.is(plannedNoiseDecay(0, 0.05, 20), 1);
  t.is(plannedNoiseDecay(0.5, 0.8, 20), 1);
});

test('sigma schedule of 30 episodes with warm-up 10: 0.5 through warm-up, 0.05 at the last episode (within 1e-9)', (t) => {
  const agent = new Ddpg({ ...small, seed: 1, warmupEpisodes: 10, plannedEpisodes: 30, policyEvery: 5, updatesPerEpisode: 0, noiseDecay: plannedNoiseDecay(0.5, 0.05, 20) });
  const sigmas: number[] = [];
  for (let e = 0; e < 30; e++) {
    sigmas.push(agent.sigma); // the sigma episode e plays with
    playToyEpisode(agent);
  }
  t.deepEqual(sigmas.slice(0, 11), new Array(11).fill(0.5), 'no decay during warm-up; the first learning episode uses sigma_0');
  t.true(Math.abs(sigmas[29] - 0.05) < 1e-9, `last episode sigma ${sigmas[29]}`);
  t.true(sigmas.every((s, i) => i === 0 || s <= sigmas[i - 1]), 'never rises');
  agent.dispose();
});

test('policy episodes: 12 planned, warm-up 2, every 4: episodes 5 and 9 (4th and 8th after warm-up) and the last, 11', (t) => {
  const agent = new Ddpg({ ...small, seed: 2, warmupEpisodes: 2, plannedEpisodes: 12, policyEvery: 4, updatesPerEpisode: 0 });
  const [W, L, P] = ['warmup', 'learning', 'policy'];
  const planned = [W, W, L, L, L, P, L, L, L, P, L, P];
  t.deepEqual(Array.from({ length: 12 }, (_, e) => agent.phase(e)), planned, 'phase(episode) plans any episode ahead (batched rollouts)');
  const phases = [];
  for (let e = 0; e < 12; e++) {
    const phase = agent.phase();
    phases.push(phase);
    t.is(playToyEpisode(agent).report.phase, phase);
  }
  t.deepEqual(phases, planned, 'and phase() is the next episode\'s, as endEpisode reports it');
  agent.dispose();
});

test('policyEvery 0 plays no policy episode, not even the last', (t) => {
  const agent = new Ddpg({ ...small, seed: 2, warmupEpisodes: 1, plannedEpisodes: 4, policyEvery: 0, updatesPerEpisode: 0 });
  const phases = [];
  for (let e = 0; e < 4; e++) phases.push(playToyEpisode(agent).report.phase);
  t.deepEqual(phases, ['warmup', 'learning', 'learning', 'learning']);
  agent.dispose();
});

test('a policy episode, played with act(state, false), takes the actor output and still stores and trains', (t) => {
  const agent = new Ddpg({ ...small, seed: 3, warmupEpisodes: 1, plannedEpisodes: 3, policyEvery: 2, noiseSigma: 0.5 });
  playToyEpisode(agent); // warm-up
  playToyEpisode(agent); // learning, noisy
  t.is(agent.phase(), 'policy');
  const state = toyState(0, 4, 0);
  t.deepEqual(agent.act(state, false), agent.policy(state), 'no noise');
  const stored = agent.replay.size;
  const { report } = playToyEpisode(agent, TOY_TARGETS, false);
  t.is(report.phase, 'policy');
  t.is(agent.replay.size, stored + 4, 'its 4 transitions are stored');
  t.is(report.updates, 4, 'and trained on: one update per step');
  agent.dispose();
});

test('meanQ is the critic value before each step: a critic that outputs 0.7 everywhere reports 0.7', (t) => {
  const agent = new Ddpg({ ...small, seed: 4, warmupEpisodes: 1, updatesPerEpisode: 1 });
  agent.critic.forEach((v, i) => v.assign(tf.fill(v.shape, i === agent.critic.length - 1 ? 0.7 : 0)));
  const { report } = playToyEpisode(agent);
  t.is(report.updates, 1);
  t.true(Math.abs(report.meanQ! - 0.7) < 1e-6, `meanQ ${report.meanQ}`);
  t.true(Number.isFinite(report.criticLoss));
  agent.dispose();
});

test('no updates, no meanQ', (t) => {
  const agent = new Ddpg({ ...small, seed: 5, warmupEpisodes: 2 });
  t.is(playToyEpisode(agent).report.meanQ, undefined);
  agent.dispose();
});
