/**
 * One run of the benchmark, all through the product's library: `runSearch`, then `finishRun` (the re-rank of the
 * run's top candidates and the final fine-tune from the original weights, scored once on the test split), then, for
 * `finals > 1`, the same chosen strategy finished again by `applyStrategy` under other seeds (the final stage's seed
 * only changes its batch order). Final j >= 1 of a run with seed s uses seed 1000 s + j, so every run's extra finals
 * are distinct and reproducible.
 */
import { join } from 'node:path';
import type { RunEvent } from '../../run/events.js';
import { applyStrategy, finishRun } from '../../run/final/final.js';
import { loadStrategy } from '../../run/final/strategy.js';
import { parseStoredConfig, rerankStepsOf } from '../../run/config.js';
import { runSearch, storePath } from '../../run/search.js';
import { openStore } from '../../run/store/store.js';
import type { Row } from './rows.js';

export interface RunJob {
  id: string;
  model: string;
  regime: string;
  planner: string;
  seed: number;
  input: Record<string, unknown>;
  finals: number;
  counted: number;
  matchedSeconds?: number;
}

export interface RunContext {
  workdir: string;
  backend: string;
  commit: string;
  say: (line: string) => void;
}

/** Seed of the j-th final of a run with seed `seed` (j = 0 is the run's own final stage, seed `seed`). */
export const finalSeed = (seed: number, j: number) => (j === 0 ? seed : 1000 * seed + j);

const seconds = (t0: number) => (performance.now() - t0) / 1000;
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** Log lines of the run and an episode line at every tenth of it, so a long run shows it is alive. */
function progress(job: RunJob, say: RunContext['say']) {
  const planned = Number(job.input.episodes ?? 1);
  const every = Math.max(1, Math.round(planned / 10));
  return (e: RunEvent) => {
    if (e.type === 'log') say(e.message);
    if (e.type === 'episode-finished' && ((e.episode + 1) % every === 0 || e.episode === 0)) {
      say(`episode ${e.episode + 1}: accuracy ${(e.accuracy * 100).toFixed(2)}%, reward ${e.reward.toFixed(4)}, ${e.seconds.toFixed(1)} s`);
    }
  };
}

/** What the store holds of a searched run. */
function searched(ctx: RunContext, runId: string) {
  const store = openStore(storePath(ctx.workdir), { readonly: true });
  try {
    const stored = store.getRun(runId);
    const config = parseStoredConfig(stored.config, runId);
    const episodes = store.episodes(runId);
    return { config, limit: stored.budget.limit, episodes };
  } finally {
    store.close();
  }
}

export async function runOne(job: RunJob, ctx: RunContext): Promise<Row> {
  const base = { id: job.id, model: job.model, regime: job.regime, planner: job.planner, seed: job.seed, input: job.input, commit: ctx.commit, ...(job.matchedSeconds === undefined ? {} : { matchedSeconds: job.matchedSeconds }) };
  try {
    const t0 = performance.now();
    const run = await runSearch(job.input, { workdir: ctx.workdir, backend: ctx.backend, onEvent: progress(job, ctx.say) });
    const searchSeconds = seconds(t0);
    const { config, limit, episodes } = searched(ctx, run.runId);
    if (job.finals > 1 && config.gradualPruning) throw new Error('--finals > 1 finishes again through applyStrategy, which has no gradual pruning: run with gradualPruning off');

    const t1 = performance.now();
    const final = await finishRun(run.runId, { workdir: ctx.workdir, backend: ctx.backend });
    const finishSeconds = seconds(t1);
    const pickEpisode = final.rerank?.find((r) => r.chosen)?.episode ?? run.best?.episode;
    const pick = episodes.find((e) => e.episode === pickEpisode);
    ctx.say(`final 1/${job.finals} (seed ${job.seed}): test ${(final.testAccuracy * 100).toFixed(2)}%`);

    const finals = [final.testAccuracy];
    const finalSeeds = [job.seed];
    const t2 = performance.now();
    if (job.finals > 1) {
      const strategy = loadStrategy(final.strategyPath);
      for (let j = 1; j < job.finals; j++) {
        const seed = finalSeed(job.seed, j);
        const again = await applyStrategy(strategy, {
          workdir: ctx.workdir,
          model: config.model,
          data: config.data,
          dataSeed: config.dataSeed,
          out: join(ctx.workdir, 'extra-finals', run.runId, `seed-${seed}`),
          steps: config.finalSteps,
          batchSize: config.finetuneBatch,
          learningRate: config.finetuneLr,
          seed,
          bnBatches: config.bnBatches,
        });
        // the same baseline, or the extra finals measure another model
        if (again.baselineTestAccuracy !== final.baselineTestAccuracy) {
          throw new Error(`final seed ${seed} loaded a baseline scoring ${again.baselineTestAccuracy} on test, the run's ${final.baselineTestAccuracy}: applyStrategy did not find the run's baseline`);
        }
        finals.push(again.testAccuracy);
        finalSeeds.push(seed);
        ctx.say(`final ${j + 1}/${job.finals} (seed ${seed}): test ${(again.testAccuracy * 100).toFixed(2)}%`);
      }
    }
    return {
      ...base,
      status: 'ok',
      runId: run.runId,
      limit,
      settings: {
        episodes: config.episodes,
        warmup: config.warmup,
        finetuneSteps: config.finetuneSteps,
        finalSteps: config.finalSteps,
        rerankTop: config.rerankTop,
        rerankSteps: final.rerank ? rerankStepsOf(config) : 0,
      },
      episodesRun: episodes.length,
      episode: pick?.episode,
      validation: pick?.accuracy,
      cost: pick?.cost,
      finals,
      finalSeeds,
      counted: job.counted,
      baselineTest: final.baselineTestAccuracy,
      packedBytes: final.sizes.packedBytes,
      rewards: episodes.map((e) => e.reward),
      searchSeconds,
      episodeSeconds: episodes.reduce((s, e) => s + e.seconds, 0),
      finishSeconds,
      extraFinalSeconds: seconds(t2),
      cpuSeconds: cpuSeconds(),
    };
  } catch (e) {
    ctx.say(`FAILED: ${(e as Error).stack ?? (e as Error).message}`);
    return { ...base, status: 'failed', note: `${(e as Error).name}: ${(e as Error).message}` };
  }
}
