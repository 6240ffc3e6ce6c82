import test from 'ava';
import { render } from 'ink-testing-library';
import React from 'react';
import { BestStrategy } from '../../../cli/ui/best-strategy.js';
import { BudgetBar } from '../../../cli/ui/budget-bar.js';
import { CurrentEpisode } from '../../../cli/ui/current-episode.js';
import { Footer } from '../../../cli/ui/footer.js';
import { Header } from '../../../cli/ui/header.js';
import { Progress } from '../../../cli/ui/progress.js';
import { RewardChart, downsample, fitSeries } from '../../../cli/ui/reward-chart.js';
import { RolloutTable } from '../../../cli/ui/rollout-table.js';
import { initialViewState, reduce } from '../../../cli/ui/state.js';
import { after, fixtureEvents, fixtureState, plain } from './fixture.js';

// Fixed states from the lenet5 fixture (limit 17515 B, full 177704 B, episodes of 6.9 to 9.0 s):
// Events number episodes from 0; the views show them from 1.
// `mid`: 1.5 s after the third layer choice of the 9th episode (index 8); 8 episodes done, the best is the 8th.
const mid = fixtureState(after((e) => e.type === 'layer-chosen' && e.episode === 8 && e.layer === 2), 1500);
// `start`: run-started seen, no episode yet.
const start = fixtureState(after((e) => e.type === 'run-started'));
// `end`: the whole stream.
const end = fixtureState(fixtureEvents.length);
/** The state after the n-th episode (counting from 1) finished. */
const afterEpisode = (n: number) => fixtureState(after((e) => e.type === 'episode-finished' && e.episode === n - 1));

function frame(element: React.ReactElement): string {
  const { lastFrame, unmount } = render(element);
  unmount();
  return plain(lastFrame());
}

test('the header names the run and its budget, leaving off the parts that do not fit', (t) => {
  t.is(
    frame(<Header state={mid} width={100} />),
    [
      'autoshrink  run r-3f9c2a1e  lenet5 on mnist  agent ddpg  backend wasm  seed 42',
      'budget size <= 3 bits/weight (17.5 kB)  baseline acc 98.92%',
    ].join('\n'),
  );
  t.is(
    frame(<Header state={mid} width={40} />),
    ['autoshrink  run r-3f9c2a1e', 'budget size <= 3 bits/weight (17.5 kB)'].join('\n'),
  );
  t.is(frame(<Header state={initialViewState(0)} width={100} />), 'autoshrink  starting…');
});

test('the header says when a run was resumed', (t) => {
  const runStarted = fixtureEvents.find((e) => e.type === 'run-started');
  if (runStarted?.type !== 'run-started') throw new Error('fixture has no run-started');
  const resumed = reduce(initialViewState(0), { ...runStarted, resumedAt: 5 });
  t.is(
    frame(<Header state={resumed} width={100} />).split('\n')[1],
    'budget size <= 3 bits/weight (17.5 kB)  baseline acc 98.92%  resumed after 5 episodes',
  );
});

test('progress shows the bar, the episode under way, the phase, elapsed time and ETA', (t) => {
  // 8 of 12 done: 20 of 30 cells. Mean of episodes 2-8 (the first holds the setup) is 55.54 / 7 = 7.93 s; 4 left = 31.7 s,
  // less 1.8 s spent: 30 s.
  t.is(
    frame(<Progress state={mid} width={100} />),
    '████████████████████░░░░░░░░░░  episode 9/12  learning  elapsed 1m04s  ETA 30s',
  );
  t.is(
    frame(<Progress state={start} width={100} />),
    '░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░  episode 0/12  warmup  elapsed 0s  ETA --',
  );
  t.is(
    frame(<Progress state={reduce(mid, { type: 'run-paused', paused: true })} width={100} />),
    '████████████████████░░░░░░░░░░  episode 9/12  learning  elapsed 1m04s  paused',
  );
  t.is(frame(<Progress state={end} width={100} />), '██████████████████████████████  12/12 episodes  completed in 1m29s');
  // 70 columns leave a 10-cell bar: 8/12 of 10 cells = 6 cells and 5 eighths.
  t.is(
    frame(<Progress state={mid} width={70} />),
    '██████▋░░░  episode 9/12  learning  elapsed 1m04s  ETA 30s',
  );
});

test('the current episode fills in layer by layer', (t) => {
  t.is(
    frame(<CurrentEpisode state={mid} width={40} />),
    [
      'episode 9  learning  2s  3/5 chosen',
      'layer     bits  prune  clusters',
      'conv2d_1     3     0%         4',
      'conv2d_2     2     5%        64',
      'dense_1      7    20%         4',
      'dense_2      ·      ·         ·',
      'dense_3      ·      ·         ·',
    ].join('\n'),
  );
  t.is(
    frame(<CurrentEpisode state={afterEpisode(3)} width={40} />),
    [
      'next episode starting',
      'layer     bits  prune  clusters',
      'conv2d_1     ·      ·         ·',
      'conv2d_2     ·      ·         ·',
      'dense_1      ·      ·         ·',
      'dense_2      ·      ·         ·',
      'dense_3      ·      ·         ·',
    ].join('\n'),
  );
});

test('the current episode’s title drops its last parts before it would overflow', (t) => {
  t.is(frame(<CurrentEpisode state={mid} width={28} />).split('\n')[0], 'episode 9  learning  2s');
});

test('the best strategy shows each layer with a bar of its bits per weight out of 32', (t) => {
  // conv2d_1: 32 clusters = 5-bit index, 35% pruned: 5 x 0.65 = 3.25 bits; 3.25 / 32 x 16 cells = 1 cell + 5 eighths.
  t.is(
    frame(<BestStrategy state={mid} width={60} />),
    [
      'best  episode 8  acc 96.66%  reward 0.9666',
      'layer     bits  prune  clusters  ≈bits/weight (of 32)',
      'conv2d_1     8    35%        32  █▋░░░░░░░░░░░░░░  3.3',
      'conv2d_2     8    30%         4  ▊░░░░░░░░░░░░░░░  1.4',
      'dense_1      5    65%        64  ▉░░░░░░░░░░░░░░░  1.8',
      'dense_2      3    50%         8  ▊░░░░░░░░░░░░░░░  1.5',
      'dense_3      5    25%         4  ▊░░░░░░░░░░░░░░░  1.5',
    ].join('\n'),
  );
  t.is(
    frame(<BestStrategy state={mid} width={40} bars={false} />),
    [
      'best  episode 8  acc 96.66%',
      'layer     bits  prune  clusters',
      'conv2d_1     8    35%        32',
      'conv2d_2     8    30%         4',
      'dense_1      5    65%        64',
      'dense_2      3    50%         8',
      'dense_3      5    25%         4',
    ].join('\n'),
  );
  t.is(
    frame(<BestStrategy state={start} width={60} />),
    [
      'best  none yet',
      'layer     bits  prune  clusters  ≈bits/weight (of 32)',
      'conv2d_1     ·      ·         ·',
      'conv2d_2     ·      ·         ·',
      'dense_1      ·      ·         ·',
      'dense_2      ·      ·         ·',
      'dense_3      ·      ·         ·',
    ].join('\n'),
  );
});

/** A best strategy of 8-bit layers in which conv2d_2 also carries the channel fields `conv2`. */
function bestWithConv2(conv2: { preserveRatio: number; channels?: [number, number] }) {
  return reduce(start, {
    type: 'best-improved',
    episode: 1,
    accuracy: 0.9,
    cost: 9000,
    reward: 0.9,
    strategy: ['conv2d_1', 'conv2d_2', 'dense_1', 'dense_2', 'dense_3'].map((name, i) => ({ name, bits: 8, pruneRatio: 0, clusters: 0, ...(i === 1 ? conv2 : {}) })),
  });
}

test('the layer tables add a keep column when channels are pruned', (t) => {
  const state = bestWithConv2({ preserveRatio: 0.75 });
  t.is(
    frame(<BestStrategy state={state} width={40} bars={false} />).split('\n').slice(1, 4).join('\n'),
    [
      'layer     bits  prune  clusters  keep',
      'conv2d_1     8     0%         -     -',
      'conv2d_2     8     0%         -   75%',
    ].join('\n'),
  );
});

test('the keep column shows the channels kept of the original when the run cuts channels: 12/16 widens it to 5', (t) => {
  const state = bestWithConv2({ preserveRatio: 0.75, channels: [12, 16] });
  t.is(
    frame(<BestStrategy state={state} width={40} bars={false} />).split('\n').slice(1, 4).join('\n'),
    [
      'layer     bits  prune  clusters   keep',
      'conv2d_1     8     0%         -      -',
      'conv2d_2     8     0%         -  12/16',
    ].join('\n'),
  );
});

test('the rollout table shows the last episodes and keeps its height', (t) => {
  t.is(
    frame(<RolloutTable state={end} rows={4} width={52} />),
    [
      'recent episodes',
      '  ep  phase     accuracy  budget   reward',
      '   9  learning    96.85%   91.7%   0.9685  new best',
      '  10  learning    95.88%   74.4%   0.9588  cached',
      '  11  learning    97.25%   82.8%   0.9725  new best',
      '  12  learning    97.45%   72.7%   0.9745  new best',
    ].join('\n'),
  );
  t.is(
    frame(<RolloutTable state={afterEpisode(2)} rows={4} width={52} />),
    [
      'recent episodes',
      '  ep  phase     accuracy  budget   reward',
      '   1  warmup      95.70%   97.5%   0.9570  new best',
      '   2  warmup      95.29%   96.3%   0.9529',
      '',
      '',
    ].join('\n'),
  );
});

test('the chart plots reward or accuracy per episode at a fixed height', (t) => {
  // 40 columns: 40 - 7 (labels) - 1 = 32 points, so each of the 12 episodes is a 2-column step.
  t.is(
    frame(<RewardChart state={end} width={40} height={6} />),
    [
      'reward by episode (episodes 1-12)',
      ' 0.9745 ┤                     ╭─',
      ' 0.9661 ┤             ╭───╮ ╭─╯',
      ' 0.9577 ┼─╮       ╭───╯   ╰─╯',
      ' 0.9492 ┤ ╰─────╮ │',
      ' 0.9408 ┤       │ │',
      ' 0.9324 ┤       ╰─╯',
    ].join('\n'),
  );
  // 30 columns: 22 points, fewer than 2 per episode, so one each.
  t.is(
    frame(<RewardChart state={end} width={30} height={5} series="accuracy" />),
    [
      'accuracy by episode (episodes…',
      ' 97.45% ┤          ╭',
      ' 96.40% ┤      ╭─╮╭╯',
      ' 95.34% ┼─╮  ╭─╯ ╰╯',
      ' 94.29% ┤ ╰─╮│',
      ' 93.24% ┤   ╰╯',
    ].join('\n'),
  );
  t.is(
    frame(<RewardChart state={start} width={40} height={4} />),
    ['reward by episode', 'waiting for the first episode', '', '', ''].join('\n'),
  );
  // One point: the range is widened by 0.0005 each side so the chart keeps its height.
  t.is(
    frame(<RewardChart state={afterEpisode(1)} width={40} height={4} />),
    ['reward by episode (episode 1)', ' 0.9575 ┤', ' 0.9572 ┤', ' 0.9568 ┼', ' 0.9565 ┤'].join('\n'),
  );
});

test('a short series is stretched into steps of at most 4 columns per episode', (t) => {
  t.deepEqual(fitSeries([1, 2], 8), [1, 1, 1, 1, 2, 2, 2, 2]);
  t.deepEqual(fitSeries([1, 2, 3], 7), [1, 1, 2, 2, 3, 3]);
  t.deepEqual(fitSeries([1, 2], 100), [1, 1, 1, 1, 2, 2, 2, 2]);
  t.deepEqual(fitSeries([5], 10), [5]);
});

test('a series longer than the width is averaged into one column per slice of episodes', (t) => {
  t.deepEqual(downsample([1, 2, 3, 4, 5, 6], 3), [1.5, 3.5, 5.5]);
  t.deepEqual(downsample([1, 2, 3, 4, 5, 6, 7], 3), [1.5, 3.5, 6]);
  t.deepEqual(downsample([1, 2], 3), [1, 2]);
  // 12 episodes in a 15-column chart: 15 - 7 (labels) - 1 = 7 points over slices of 1 or 2 episodes. Top: the
  // mean of episodes 11 and 12, (0.9725 + 0.9745) / 2 = 0.9735; bottom: episodes 4 and 5, (0.9478 + 0.9324) / 2 = 0.9401.
  t.is(
    frame(<RewardChart state={end} width={15} height={3} />),
    ['reward by epis…', ' 0.9735 ┤   ╭──', ' 0.9568 ┼─╮╭╯', ' 0.9401 ┤ ╰╯'].join('\n'),
  );
});

test('the budget bar shows the best strategy’s cost against the limit', (t) => {
  // 15838 / 17515 = 90.4%: 27 cells and 1 eighth of 30.
  t.is(
    frame(<BudgetBar state={mid} width={100} />),
    'budget  ███████████████████████████▏░░  90.4%  15.8 kB of 17.5 kB  (full model 178 kB)',
  );
  // At 64 columns: a 10-cell bar, and the full model's size is left off.
  t.is(frame(<BudgetBar state={mid} width={64} />), 'budget  █████████░  90.4%  15.8 kB of 17.5 kB');
  t.is(frame(<BudgetBar state={start} width={100} />), 'budget  no strategy yet');
});

test('the footer lists the keys, then how the stop goes', (t) => {
  t.is(frame(<Footer state={mid} width={100} />), 'q stop (resumable)  p pause');
  t.is(frame(<Footer state={reduce(mid, { type: 'run-paused', paused: true })} width={100} />), 'q stop (resumable)  p resume');
  t.is(
    frame(<Footer state={reduce(mid, { type: 'stop-requested' })} width={100} />),
    'stopping after this episode…  Ctrl+C to quit now',
  );
  const stopped = reduce(mid, { type: 'run-finished', runId: 'r-3f9c2a1e', status: 'stopped', episodes: 8, seconds: 66, best: null });
  t.is(frame(<Footer state={stopped} width={100} />), 'stopped; continue with: autoshrink resume r-3f9c2a1e');
  t.is(frame(<Footer state={end} width={100} />), '');
});
