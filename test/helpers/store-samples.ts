/** Sample runs, episodes and checkpoints for the store tests and their child-process fixtures. */
import type { CheckpointInput, EpisodeInput, RunInit } from '../../run/store/store.js';

export function sampleRun(overrides: Partial<RunInit> = {}): RunInit {
  return {
    seed: 7,
    backend: 'cpu',
    model: 'lenet5',
    dataset: 'mnist',
    budget: { kind: 'size', limit: 16_000 },
    agent: 'ddpg',
    episodesPlanned: 100,
    config: { episodes: 100, warmup: 2, seed: 7 },
    versions: { autoshrink: '0.1.0', tfjs: '4.22.0', node: process.version },
    ...overrides,
  };
}

/** Episode `i`: reward (i % 5) / 10, so the best is episode 4 among 0..9 (rewards 0, .1, .2, .3, .4, 0, .1, ...). */
export function sampleEpisode(i: number): EpisodeInput {
  const reward = (i % 5) / 10;
  return {
    episode: i,
    phase: i < 2 ? 'warmup' : 'learning',
    strategy: [
      { name: 'conv2d_1', bits: 8 - (i % 4), pruneRatio: 0.25, clusters: 0 },
      { name: 'dense_1', bits: 4, pruneRatio: 0.5, clusters: 16, preserveRatio: 1 },
    ],
    accuracy: reward,
    cost: 1000 + i,
    reward,
    cached: i % 3 === 0,
    seconds: 1.5,
    timings: { agent: 0.1, compress: 0.2, finetune: 1, evaluate: 0.2, other: 0 },
  };
}

/** The checkpoint after episode `i`: every weight equals i, so a reader can tell which episode it belongs to. */
export function sampleCheckpoint(i: number, floats = 64): CheckpointInput {
  return {
    agent: { episode: i, actor: { weights: new Float32Array(floats).fill(i) }, sigma: 0.5 },
    env: { rng: { i, j: 3, S: [1, 2, 3] } },
  };
}
