import test from 'ava';
import { episodeTable } from '../../cli/commands/runs.js';
import type { EpisodeRecord } from '../../run/store/store.js';
import { initialViewState, reduce } from '../../cli/ui/state.js';
import { episodeLine } from '../../cli/ui/plain-reporter.js';
import type { RunEvent } from '../../run/events.js';

const episode = (n: number, cost: number, learnt: boolean): EpisodeRecord => ({
  runId: 'r',
  createdAt: '',
  episode: n,
  phase: learnt ? 'learning' : 'warmup',
  strategy: [],
  accuracy: 0.9,
  cost,
  reward: -0.25,
  cached: false,
  seconds: 1,
  timings: { agent: 0, compress: 0, finetune: 0, evaluate: 0, other: 0 },
  criticLoss: learnt ? 0.5 : null,
  actorLoss: null,
  meanQ: learnt ? -0.3 : null,
  sigma: learnt ? 0.2 : null,
  clamped: learnt ? 1 : null,
});

test('runs show lists the budget used per episode: 727 and 500 bytes of a 1000-byte limit are 72.7% and 50.0%', (t) => {
  const lines = episodeTable([episode(0, 727, false), episode(1, 500, false)], 1000);
  t.is(lines[0], 'episodes:');
  const rows = lines[1].split('\n');
  t.regex(rows[0], /^episode\s+phase\s+accuracy\s+reward\s+budget used$/);
  t.regex(rows[1], /^1\s+warmup\s+90\.00%\s+-0\.2500\s+72\.7%$/);
  t.regex(rows[2], /^2\s+warmup\s+90\.00%\s+-0\.2500\s+50\.0%$/);
});

test('a learning agent gets its diagnostics beside the budget used; 250 episodes list every 3rd and the last', (t) => {
  const lines = episodeTable(Array.from({ length: 250 }, (_, i) => episode(i, 100 + i, true)), 1000);
  t.is(lines[0], 'learning (per episode): one row every 3 episodes and the last');
  const rows = lines[1].split('\n');
  t.regex(rows[0], /budget used\s+critic loss\s+mean Q\s+sigma\s+clamped$/);
  // episodes 0, 3, ..., 249: 84 rows; the last, episode 250 shown, used 349 of 1000 bytes
  t.is(rows.length - 1, 84);
  t.regex(rows.at(-1)!, /^250\s+learning\s+90\.00%\s+-0\.2500\s+34\.9%\s+5\.00e-1\s+-3\.00e-1\s+0\.200\s+1$/);
});

test("the plain and live views show the episode's own budget share: 0.5 of the budget even if the header's limit says otherwise", (t) => {
  const started: RunEvent = {
    type: 'run-started', runId: 'r', model: 'm', dataset: 'd', budget: { kind: 'size', limit: 2000, full: 8000, label: 'size' }, backend: 'wasm',
    seed: 1, agent: 'ddpg', episodes: 2, warmup: 0, layers: [], baselineAccuracy: 1, leftOut: [], resumedAt: 0,
  };
  const finished = (budgetShare?: number): RunEvent => ({
    type: 'episode-finished', episode: 0, phase: 'learning', strategy: [], accuracy: 0.9, cost: 500, ...(budgetShare === undefined ? {} : { budgetShare }), reward: 0.9, cached: false, seconds: 1,
    timings: { agent: 0, compress: 0, finetune: 0, evaluate: 0, other: 0 },
  });
  const row = (e: RunEvent) => {
    const s = reduce(reduce(initialViewState(0), started), e);
    return s.history.at(-1)!.kind === 'episode' ? (s.history.at(-1) as { row: Parameters<typeof episodeLine>[0] }).row : null;
  };
  t.is(row(finished(0.5))!.costFraction, 0.5);
  t.is(row(finished())!.costFraction, 0.25, 'an event without it (a recorded stream): 500 / 2000');
  t.regex(episodeLine(row(finished(0.5))!, 2), /cost 50\.0% of budget/);
});
