import test from 'ava';
import { selectBackend } from '../../env/backend.js';
import type { RunEvent } from '../../run/events.js';
import { parseRunConfig } from '../../run/config.js';
import { buildEnvironment } from '../../run/environment.js';
import { resumeSearch, runSearch, storePath } from '../../run/search.js';
import { imagesOf, planTimedRun, tailOf } from '../../run/time-probe.js';
import { probeCosts } from '../../run/time-plan.js';
import { openStore } from '../../run/store/store.js';
import { cacheTinyBaseline, TINY } from '../helpers/tiny-run.js';
import { tmpDir } from '../helpers/tmp-dir.js';

/** A clock that reads `ms` in turn, then stays at the last: the probe's timings are what the test says. */
function scripted(ms: number[]): () => number {
  let i = 0;
  return () => ms[Math.min(i++, ms.length - 1)];
}

// the wasm backend is chosen once for the file: two tests initialising it at once can fail
test.before(async () => {
  await selectBackend('wasm');
});

test('--time 20s with a probe of 2s an episode after 5s spent plans floor((20 - 5) / 2) = 7 episodes and 1 warm-up, stored; a resume keeps them', async (t) => {
  const workdir = tmpDir(t);
  await cacheTinyBaseline(workdir);
  // no sensitivities (no fill pass), no re-rank, no final stage: the plan is (limit - spent) / episode seconds
  const input = { ...TINY, episodes: 100, warmup: undefined, time: '20s', rerankTop: 0, finalSteps: 0, fill: false };
  // start 0; probe with fine-tune 1000 -> 3000 (2s), without 3000 -> 4000; spent read at 5000
  const controller = new AbortController();
  const events: RunEvent[] = [];
  const first = await runSearch(input, {
    workdir,
    backend: 'wasm',
    clock: scripted([0, 1000, 3000, 4000, 5000]),
    signal: controller.signal,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'episode-finished' && e.episode === 2) controller.abort();
    },
  });
  t.is(first.status, 'stopped');
  const started = events.find((e) => e.type === 'run-started');
  if (started?.type !== 'run-started') return t.fail();
  t.is(started.episodes, 7);
  t.is(started.warmup, 1, 'a fifth of 7');
  t.deepEqual(started.timeLimit, { seconds: 20, tailSeconds: 0, episodeSeconds: 2 });
  const plan = events.find((e) => e.type === 'log' && e.message.startsWith('--time'));
  t.is(plan?.type === 'log' ? plan.message : '', '--time 20s: an episode took 2.0s in the probe, the re-rank and final stage about 0s: 7 episodes (1 warm-up), stored with the run');

  const store = openStore(storePath(workdir), { readonly: true });
  const run = store.getRun(first.runId);
  store.close();
  t.is(run.episodesPlanned, 7);
  t.like(run.config as object, { time: '20s', episodes: 7, warmup: 1 });

  // a resume whose clock would plan otherwise (everything instant) keeps the stored 7
  const resumed = await resumeSearch(first.runId, { workdir, backend: 'wasm', clock: () => 0 });
  t.is(resumed.status, 'completed');
  t.is(resumed.episodes, 7);
});

test.serial('--time 40s --goal smallest leaves room for its held-out re-scores: 6 episodes of 2s and ceil(log2 7) = 3 re-scores of 6s fit the 30s left', async (t) => {
  await selectBackend('wasm');
  const workdir = tmpDir(t);
  await cacheTinyBaseline(workdir);
  // probe: 2s with the 4 fine-tune steps, 1s without on the 200 reward images: 0.25s a step, 0.005s an image; no final
  // stage; the held-out baseline 1000 x 0.005 = 5s; a re-score 4 x 0.25 + 1000 x 0.005 = 6s. 40 - 5 spent - 5 = 30s
  // left: 6 x 2 + 3 x 6 = 30 fits, 7 x 2 + 3 x 6 = 32 does not (the budget goal's count would be 30 / 2 = 15)
  const input = { ...TINY, goal: 'smallest' as const, episodes: 100, warmup: undefined, time: '40s', rerankSteps: 4, finalSteps: 0 };
  const controller = new AbortController();
  const events: RunEvent[] = [];
  await runSearch(input, {
    workdir,
    backend: 'wasm',
    clock: scripted([0, 1000, 3000, 4000, 5000]),
    signal: controller.signal,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'run-started') controller.abort();
    },
  });
  const started = events.find((e) => e.type === 'run-started');
  if (started?.type !== 'run-started') return t.fail();
  t.is(started.episodes, 6);
  t.deepEqual(started.timeLimit, { seconds: 40, tailSeconds: 5 + 3 * 6, episodeSeconds: 2 });
  const plan = events.find((e) => e.type === 'log' && e.message.startsWith('--time'));
  t.is(plan?.type === 'log' ? plan.message : '', '--time 40s: an episode took 2.0s in the probe, at most 3 held-out re-scores and final stage about 23s: 6 episodes (1 warm-up), stored with the run');
});

test('--time 60s with the fill pass: the sensitivities (3 layers x 7 bit widths, 1s each without fine-tune) come first: floor((60 - 5 - 21) / 2) = 17 episodes', async (t) => {
  const workdir = tmpDir(t);
  await cacheTinyBaseline(workdir);
  const config = parseRunConfig({ ...TINY, knobs: ['bits'], episodes: 100, warmup: undefined, time: '60s', rerankTop: 0, finalSteps: 0 });
  const built = await buildEnvironment(config, workdir);
  try {
    t.deepEqual(built.env.plan.candidates.map((c) => c.specs.length), [7, 7, 7], 'bits 2..8 on each layer');
    // probe with fine-tune 0 -> 2000 (2s an episode), without 2000 -> 3000 (1s: one sensitivity), spent read at 5000
    const timed = await planTimedRun(config, built, scripted([0, 2000, 3000, 5000]), 0);
    t.is(timed?.plan.setupSeconds, 21);
    t.is(timed?.plan.episodes, 17);
    t.is(timed?.config.episodes, 17);
    // with a final stage, the knapsack reference reads the run's sensitivities from its store: counted once, not twice
    const costs = probeCosts(2, 1, config.finetuneSteps, 200);
    const finals = { ...config, finalSteps: 10 };
    const tail = (fill: boolean) => tailOf(parseRunConfig({ ...finals, fill }), costs, imagesOf(built), built.env).tail;
    t.is(Math.round(tail(false) - tail(true)), 21, 'without the fill pass the reference measures its 21 itself');
  } finally {
    built.env.dispose();
    built.model.dispose();
  }
});
