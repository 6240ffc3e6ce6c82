/**
 * Real runs to report on, for the report's tests: the tiny 1-epoch mlp of test/helpers/tiny-run.ts, searched for a
 * few episodes and, when asked, finished with a short final stage (so the report has test accuracy and real files).
 */
import type { RunConfig } from '../../run/config.js';
import { finishRun } from '../../run/final/final.js';
import { runSearch } from '../../run/search.js';
import { TINY } from '../helpers/tiny-run.js';

/** 6 episodes, 2 of them warm-up; the final stage re-ranks the top 2 and fine-tunes 5 steps. */
export const REPORT_RUN: Partial<RunConfig> = { ...TINY, episodes: 6, warmup: 2, rerankTop: 2, rerankSteps: 4, finalSteps: 5 };

/** One real search in `workdir`; its final stage when `final`. Returns the run id. */
export async function tinySearch(workdir: string, config: Partial<RunConfig> = {}, { final = true } = {}): Promise<string> {
  const run = await runSearch({ ...REPORT_RUN, ...config }, { workdir, backend: 'wasm' });
  if (final) await finishRun(run.runId, { workdir, backend: 'wasm' });
  return run.runId;
}
