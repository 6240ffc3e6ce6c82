/**
 * A tiny search setup for tests: an mlp baseline trained for one epoch into a temp work directory (cached there, so
 * every run of the test file reuses it), and a run config small enough to take seconds.
 */
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
};

/** Train (once) and cache a 1-epoch mlp in `workdir`. */
export async function cacheTinyBaseline(workdir: string): Promise<void> {
  const data = loadDataset('mnist', { seed: 1 });
  const { model } = await loadOrTrainBaseline('mlp', data, { workdir, dataSeed: 1, epochs: 1 });
  model.dispose();
}
