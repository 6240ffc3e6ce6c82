import test from 'ava';
import { ConfigError } from '../../errors.js';
import { parseRunConfig } from '../../run/config.js';
import { bisectSmallest } from '../../run/final/smallest.js';
import { bisectionRescores, formatLimit, parseDuration, planEpisodes, probeCosts, smallestTailSeconds, tailSeconds, warmupFor } from '../../run/time-plan.js';

test('durations: 90s = 90, 10m = 600, 1h = 3600, 1.5h = 5400; 10, 0m and 10x are not durations', (t) => {
  t.deepEqual(['90s', '10m', '1h', '1.5h'].map(parseDuration), [90, 600, 3600, 5400]);
  t.deepEqual(['10', '0m', '10x'].map(parseDuration), [null, null, null]);
});

test('--time 10x is one line naming the flag and what it takes', (t) => {
  const e = t.throws(() => parseRunConfig({ time: '10x' }, 'flags', { time: '10x' }), { instanceOf: ConfigError });
  t.is(e!.message, '--time 10x: give a duration such as 90s, 10m or 1h');
  t.is(parseRunConfig({ time: '10m' }).time, '10m');
});

test('the probe: 2.4s with 60 fine-tune steps, 0.6s without, on 2000 images: 0.03s a step, 0.0003s an image', (t) => {
  const c = probeCosts(2.4, 0.6, 60, 2000);
  t.is(c.episodeSeconds, 2.4);
  t.is(c.stepSeconds.toFixed(4), '0.0300');
  t.is(c.imageSeconds.toFixed(4), '0.0003');
});

test("the tail: re-rank 3 x (180 x 0.03 + 1000 x 0.0001) = 16.5s, final 600 x 0.03 + 3 x 4000 x 0.0001 = 19.2s; 2 references of 3 candidates each add 3 x 2.4 + 16.5 + 19.2 = 42.9s, the knapsack's 200 sensitivities 200 x 2000 x 0.0001 = 40s: 161.5s", (t) => {
  const costs = { episodeSeconds: 2.4, stepSeconds: 0.03, imageSeconds: 0.0001 };
  const images = { validation: 2000, rerank: 1000, test: 2000 };
  const config = { rerankTop: 3, rerankSteps: 180, finalSteps: 600 };
  t.is(tailSeconds(config, costs, images, { count: 2, candidates: 3, measurements: 200 }).toFixed(2), '161.50');
  t.is(tailSeconds(config, costs, images).toFixed(2), '35.70', '16.5 + 19.2');
  t.is(tailSeconds(config, costs, images, { count: 2, candidates: 1, measurements: 0 }).toFixed(2), '78.90', 'one candidate each: no re-rank, 35.7 + 2 x (2.4 + 19.2)');
  t.is(tailSeconds({ rerankTop: 0, rerankSteps: 180, finalSteps: 0 }, costs, images), 0);
});

test('10m with 20s spent and a 100s tail at 2.4s an episode plans floor(480 / 2.4) = 200 episodes; 48s of sensitivities first leave 180', (t) => {
  const plan = planEpisodes({ limit: 600, spent: 20, tail: 100, episodeSeconds: 2.4, text: '10m' });
  t.is(plan.episodes, 200);
  t.is(plan.tailSeconds, 100);
  const measured = planEpisodes({ limit: 600, spent: 20, setup: 48, tail: 100, episodeSeconds: 2.4, text: '10m' });
  t.is(measured.episodes, 180);
  t.is(measured.setupSeconds, 48);
  const e = t.throws(() => planEpisodes({ limit: 60, spent: 10, setup: 20, tail: 45, episodeSeconds: 3, text: '1m' }), { instanceOf: ConfigError });
  t.is(e!.message, '--time 1m is too short: an episode takes about 3.0s here, the sensitivities about 20s and the re-rank and final stage about 45s; give at least --time 81s, or lower --final-steps / --rerank-top');
});

test('a limit that leaves fewer than 2 episodes is refused with the smallest that fits: 10 + 45 + 2 x 3 = 61s', (t) => {
  const e = t.throws(() => planEpisodes({ limit: 60, spent: 10, tail: 45, episodeSeconds: 3, text: '1m' }), { instanceOf: ConfigError });
  t.is(e!.message, '--time 1m is too short: an episode takes about 3.0s here and the re-rank and final stage about 45s; give at least --time 61s, or lower --final-steps / --rerank-top');
  t.deepEqual([45, 91, 600, 5401].map(formatLimit), ['45s', '2m', '10m', '2h']);
});

test('the warm-up follows the planned count: a fifth, at most 20: 180 -> 20, 50 -> 10, 7 -> 1', (t) => {
  t.deepEqual([180, 50, 7].map((n) => warmupFor(n, 20)), [20, 10, 1]);
});

test('a bisection over n strategies re-scores at most ceil(log2(n + 1)): 0, 1, 2, 2, 3 for 0-4; 3 for 7, 4 for 8, 7 for 100', (t) => {
  t.deepEqual([0, 1, 2, 3, 4, 7, 8, 100].map(bisectionRescores), [0, 1, 2, 2, 3, 3, 4, 7]);
});

test('bisectionRescores bounds the choice’s own bisection: wherever the boundary lies among 1-20 strategies, it re-scores no more, and as many for some', async (t) => {
  for (let n = 1; n <= 20; n++) {
    const strategies = Array.from({ length: n }, (_, i) => ({ episode: i, bytes: 10 * (i + 1), accuracy: 0.9 }));
    const counts: number[] = [];
    for (let boundary = 0; boundary <= n; boundary++) {
      let calls = 0;
      // the strategies from `boundary` on are within the drop
      await bisectSmallest(strategies, async (s) => (calls++, s.episode >= boundary ? 0.98 : 0.9), 0.98, 0.5);
      counts.push(calls);
    }
    t.is(Math.max(...counts), bisectionRescores(n), `n = ${n}`);
  }
});

test('with 30 s a held-out re-score, 480 s left at 2.4 s an episode plans 112 episodes: 112 x 2.4 + 7 x 30 = 478.8 <= 480 (113: 481.2; 128 and up take 8)', (t) => {
  const plan = planEpisodes({ limit: 600, spent: 20, tail: 100, episodeSeconds: 2.4, text: '10m', rescore: 30 });
  t.is(plan.episodes, 112);
  t.is(plan.rescores, 7);
  t.is(plan.tailSeconds, 100 + 7 * 30);
});

test('--time 10m --goal smallest counts its re-scores: 173 episodes where leaving them out would plan floor(560.7 / 2.4) = 233', (t) => {
  const costs = { episodeSeconds: 2.4, stepSeconds: 0.03, imageSeconds: 0.0001 };
  const images = { validation: 2000, rerank: 1000, test: 2000 };
  // no re-rank (its 3 x 180 steps are left out), no references; the final 600 x 0.03 + 3 x 4000 x 0.0001 = 19.2 s and
  // the held-out baseline 0.1 s; a re-score 600 x 0.03 (--final-steps) + 1000 x 0.0001 = 18.1 s
  const { tail, rescore } = smallestTailSeconds({ rerankTop: 3, rerankSteps: 180, finalSteps: 600, rescoreSteps: 600 }, costs, images);
  t.is(tail.toFixed(2), '19.30');
  t.is(rescore!.toFixed(2), '18.10');
  // 600 - 20 - 19.3 = 560.7 s left: 173 x 2.4 + 8 x 18.1 = 560.0 fits, 174 (562.4) does not
  const plan = planEpisodes({ limit: 600, spent: 20, tail, rescore, episodeSeconds: 2.4, text: '10m' });
  t.is(plan.episodes, 173);
  t.is(plan.rescores, 8);
  t.is(plan.tailSeconds.toFixed(2), (19.3 + 8 * 18.1).toFixed(2));
  t.is(planEpisodes({ limit: 600, spent: 20, tail, episodeSeconds: 2.4, text: '10m' }).episodes, 233);
});

test('a smallest run whose re-scores leave fewer than 2 episodes is refused with the limit that fits: 10 + 20 + 2 x 3 + 2 x 15 = 66s', (t) => {
  const e = t.throws(() => planEpisodes({ limit: 60, spent: 10, tail: 20, rescore: 15, episodeSeconds: 3, text: '1m' }), { instanceOf: ConfigError });
  t.is(e!.message, '--time 1m is too short: an episode takes about 3.0s here and the held-out re-scores and final stage about 50s; give at least --time 66s, or lower --final-steps / --rerank-steps');
});
