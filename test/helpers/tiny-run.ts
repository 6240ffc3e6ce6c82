/**
 * A tiny search setup for tests: a temporary work directory holding an mlp baseline trained for one epoch (cached
 * there, so every search of the test file reuses it), and a run config small enough to take seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { selectBackend } from '../../env/backend.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { loadOrTrainBaseline } from '../../env/models/baseline-cache.js';
import type { RunConfig } from '../../run/config.js';

export const TINY: Partial<RunConfig> = {
  model: 'mlp',
  episodes: 4,
  warmup: 1,
  finetuneSteps: 4,
  finetuneBatch: 32,
  evalSize: 200,
  finalSteps: 0,
  hidden: [16, 16],
  batchSize: 8,
  budget: 'size:4bits',
  // the tests' expected values were set on bits 2..8 (the default before the quick start moved to size:20x, bits 1..8)
  bitBounds: [2, 8],
  // and on DDPG without the knapsack's warm start (the default since round 8); the warm start's tests ask for it
  warmStart: 'none',
  // and on channels chosen by L1 norm (the default before LASSO, and far faster); LASSO's own tests ask for it
  channelMethod: 'l1',
};

/** Train (once) and cache a 1-epoch mlp in `workdir`. */
export async function cacheTinyBaseline(workdir: string): Promise<void> {
  const data = loadDataset('mnist', { seed: 1 });
  const { model } = await loadOrTrainBaseline('mlp', data, { workdir, dataSeed: 1, epochs: 1 });
  model.dispose();
}

/**
 * A fresh temp work directory `autoshrink-<name>-*` with the tiny mlp cached in it, on the wasm backend. With `t` it
 * is removed when that test ends. Without, it serves a whole file: make it in `test.before` and remove it with
 * `removeDir` in `test.after.always` (a teardown registered in a before hook would run as soon as the hook ends).
 */
export async function tinyWorkdir(name: string, t?: ExecutionContext): Promise<string> {
  await selectBackend('wasm');
  const workdir = mkdtempSync(join(tmpdir(), `autoshrink-${name}-`));
  if (t) t.teardown(() => removeDir(workdir));
  await cacheTinyBaseline(workdir);
  return workdir;
}

/** Remove a work directory and everything in it; nothing to do when it was never made. */
export function removeDir(dir: string): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
