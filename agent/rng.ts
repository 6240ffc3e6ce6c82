/**
 * The agent's one random source: seedrandom's Alea generator with its state readable, so a checkpoint can carry it
 * and a restored agent draws the very numbers the uninterrupted one would have.
 */
import seedrandom from 'seedrandom';

export type RngState = seedrandom.State.Alea;

/** Uniform in [0, 1); `state()` is a small JSON object. */
export interface Rng {
  (): number;
  state(): RngState;
}

/** A generator seeded by `seed`, or continuing from `state` when given (the seed is then ignored). */
export function createRng(seed: number | string, state?: RngState): Rng {
  return seedrandom.alea(String(seed), { state: state === undefined ? true : { ...state } });
}

/** A 31-bit integer seed for a tfjs initialiser, drawn from `rng`. */
export function drawSeed(rng: () => number): number {
  return Math.floor(rng() * 2 ** 31);
}
