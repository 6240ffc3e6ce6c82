import test from 'ava';
import { render } from 'ink-testing-library';
import React from 'react';
import { BudgetBar } from '../../../cli/ui/budget-bar.js';
import { SearchView, searchViewLayout } from '../../../cli/ui/search-view.js';
import { initialViewState } from '../../../cli/ui/state.js';
import { after, fixtureState, plain } from './fixture.js';

// 1.5 s after the third layer choice of the 9th episode (index 8) of the lenet5 fixture (see views.test.tsx for the arithmetic).
const mid = fixtureState(after((e) => e.type === 'layer-chosen' && e.episode === 8 && e.layer === 2), 1500);

function frame(element: React.ReactElement): string {
  const { lastFrame, unmount } = render(element);
  unmount();
  return plain(lastFrame());
}

// What <Static> printed above the live area: one line per finished episode or log message.
const history = [
  'model lenet5 loaded from .autoshrink/models/lenet5 (cached baseline)',
  '[ 1/12] warmup    acc 95.70%  cost 97.5% of budget  reward 0.9570  7s  new best',
  '[ 2/12] warmup    acc 95.29%  cost 96.3% of budget  reward 0.9529  9s',
  '[ 3/12] warmup    acc 94.87%  cost 80.0% of budget  reward 0.9487  7s',
  '[ 4/12] warmup    acc 94.78%  cost 82.9% of budget  reward 0.9478  8s',
  '[ 5/12] learning  acc 93.24%  cost 90.2% of budget  reward 0.9324  8s',
  '[ 6/12] learning  acc 95.76%  cost 91.5% of budget  reward 0.9576  9s  new best',
  'warning: fine-tune loss rose for 3 steps; kept the best checkpoint',
  '[ 7/12] learning  acc 95.88%  cost 74.4% of budget  reward 0.9588  8s  new best',
  '[ 8/12] learning  acc 96.66%  cost 90.4% of budget  reward 0.9666  7s  new best',
];

test('a wide terminal shows the current episode beside the best, and the chart beside the recent episodes', (t) => {
  t.is(
    frame(<SearchView state={mid} width={100} />),
    [
      ...history,
      '',
      'autoshrink  run r-3f9c2a1e  lenet5 on mnist  agent ddpg  backend wasm  seed 42',
      'budget size <= 3 bits/weight (17.5 kB)  baseline acc 98.92%',
      '████████████████████░░░░░░░░░░  episode 9/12  learning  elapsed 1m04s  ETA 30s',
      '',
      'episode 9  learning  2s  3/5 chosen     best  episode 8  acc 96.66%  reward 0.9666',
      'layer     bits  prune  clusters         layer     bits  prune  clusters  ≈bits/weight (of 32)',
      'conv2d_1     3     0%         4         conv2d_1     8    35%        32  █▋░░░░░░░░░░░░░░  3.3',
      'conv2d_2     2     5%        64         conv2d_2     8    30%         4  ▊░░░░░░░░░░░░░░░  1.4',
      'dense_1      7    20%         4         dense_1      5    65%        64  ▉░░░░░░░░░░░░░░░  1.8',
      'dense_2      ·      ·         ·         dense_2      3    50%         8  ▊░░░░░░░░░░░░░░░  1.5',
      'dense_3      ·      ·         ·         dense_3      5    25%         4  ▊░░░░░░░░░░░░░░░  1.5',
      '',
      'budget  ███████████████████████████▏░░  90.4%  15.8 kB of 17.5 kB  (full model 178 kB)',
      '',
      'reward by episode (episodes 1-8)                recent episodes',
      ' 0.9666 ┤                           ╭───          ep  phase     accuracy  budget   reward',
      ' 0.9617 ┤                           │              3  warmup      94.87%   80.0%   0.9487',
      ' 0.9568 ┼───╮               ╭───────╯              4  warmup      94.78%   82.9%   0.9478',
      ' 0.9519 ┤   ╰───╮           │                      5  learning    93.24%   90.2%   0.9324',
      ' 0.9471 ┤       ╰───────╮   │                      6  learning    95.76%   91.5%   0.9576  new best',
      ' 0.9422 ┤               │   │                      7  learning    95.88%   74.4%   0.9588  new best',
      ' 0.9373 ┤               │   │                      8  learning    96.66%   90.4%   0.9666  new best',
      ' 0.9324 ┤               ╰───╯',
      'q stop (resumable)  p pause',
    ].join('\n'),
  );
});

test('a narrow terminal stacks the sections', (t) => {
  t.is(
    frame(<SearchView state={mid} width={64} />),
    [
      ...history,
      '',
      'autoshrink  run r-3f9c2a1e  lenet5 on mnist  agent ddpg',
      'budget size <= 3 bits/weight (17.5 kB)  baseline acc 98.92%',
      '██████▋░░░  episode 9/12  learning  elapsed 1m04s  ETA 30s',
      '',
      'episode 9  learning  2s  3/5 chosen',
      'layer     bits  prune  clusters',
      'conv2d_1     3     0%         4',
      'conv2d_2     2     5%        64',
      'dense_1      7    20%         4',
      'dense_2      ·      ·         ·',
      'dense_3      ·      ·         ·',
      '',
      'best  episode 8  acc 96.66%  reward 0.9666',
      'layer     bits  prune  clusters  ≈bits/weight (of 32)',
      'conv2d_1     8    35%        32  █▋░░░░░░░░░░░░░░  3.3',
      'conv2d_2     8    30%         4  ▊░░░░░░░░░░░░░░░  1.4',
      'dense_1      5    65%        64  ▉░░░░░░░░░░░░░░░  1.8',
      'dense_2      3    50%         8  ▊░░░░░░░░░░░░░░░  1.5',
      'dense_3      5    25%         4  ▊░░░░░░░░░░░░░░░  1.5',
      '',
      'budget  █████████░  90.4%  15.8 kB of 17.5 kB',
      '',
      'reward by episode (episodes 1-8)',
      ' 0.9666 ┤                           ╭───',
      ' 0.9617 ┤                           │',
      ' 0.9568 ┼───╮               ╭───────╯',
      ' 0.9519 ┤   ╰───╮           │',
      ' 0.9471 ┤       ╰───────╮   │',
      ' 0.9422 ┤               │   │',
      ' 0.9373 ┤               │   │',
      ' 0.9324 ┤               ╰───╯',
      '',
      'recent episodes',
      '  ep  phase     accuracy  budget   reward',
      '   3  warmup      94.87%   80.0%   0.9487',
      '   4  warmup      94.78%   82.9%   0.9478',
      '   5  learning    93.24%   90.2%   0.9324',
      '   6  learning    95.76%   91.5%   0.9576  new best',
      '   7  learning    95.88%   74.4%   0.9588  new best',
      '   8  learning    96.66%   90.4%   0.9666  new best',
      'q stop (resumable)  p pause',
    ].join('\n'),
  );
});

test('a short terminal drops spacing and the recent episodes so the live area fits', (t) => {
  // 24 rows: the live area may use 23; spacing and the table go, the chart stays (21 rows).
  const layout = searchViewLayout(mid, { width: 80, height: 24 });
  t.deepEqual(layout.shown, { spacing: false, rollouts: false, chart: true, current: true, best: true });
  t.is(
    frame(<SearchView state={mid} width={80} height={24} />),
    [
      ...history,
      'autoshrink  run r-3f9c2a1e  lenet5 on mnist  agent ddpg  backend wasm  seed 42',
      'budget size <= 3 bits/weight (17.5 kB)  baseline acc 98.92%',
      '█████████████▍░░░░░░  episode 9/12  learning  elapsed 1m04s  ETA 30s',
      'episode 9  learning  2s  3/5 chosen     best  episode 8  acc 96.66%',
      'layer     bits  prune  clusters         layer     bits  prune  clusters',
      'conv2d_1     3     0%         4         conv2d_1     8    35%        32',
      'conv2d_2     2     5%        64         conv2d_2     8    30%         4',
      'dense_1      7    20%         4         dense_1      5    65%        64',
      'dense_2      ·      ·         ·         dense_2      3    50%         8',
      'dense_3      ·      ·         ·         dense_3      5    25%         4',
      'budget  ██████████████████▏░  90.4%  15.8 kB of 17.5 kB  (full model 178 kB)',
      'reward by episode (episodes 1-8)',
      ' 0.9666 ┤                           ╭───',
      ' 0.9617 ┤                           │',
      ' 0.9568 ┼───╮               ╭───────╯',
      ' 0.9519 ┤   ╰───╮           │',
      ' 0.9471 ┤       ╰───────╮   │',
      ' 0.9422 ┤               │   │',
      ' 0.9373 ┤               │   │',
      ' 0.9324 ┤               ╰───╯',
      'q stop (resumable)  p pause',
    ].join('\n'),
  );
});

test('before run-started the view shows only that it is starting and the keys', (t) => {
  t.is(
    frame(<SearchView state={initialViewState(0)} width={100} />),
    [
      '',
      'autoshrink  starting…',
      'q stop (resumable)  p pause',
    ].join('\n'),
  );
});

test('a run with two budgets draws one bar a budget, each named by its kind; a best stored without its second cost says so', (t) => {
  const size = mid.header!.budget;
  const latency = { kind: 'latency' as const, limit: 2, full: 4, label: 'latency <= 50% of fp32 (2.00 ms)' };
  const header = { ...mid.header!, budget: { ...size, all: [{ kind: size.kind, limit: size.limit, full: size.full, label: size.label }, latency] } };
  const two = { ...mid, header, best: { ...mid.best!, costs: [mid.best!.cost, 1.9] } };
  const lines = frame(<BudgetBar state={two} width={100} />).split('\n');
  t.is(lines.length, 2);
  t.regex(lines[0], /^size {5}█+[▏▎▍▌▋▊▉]?░+ {2}90\.4% {2}15\.8 kB of 17\.5 kB {2}\(full model 178 kB\)$/);
  t.regex(lines[1], /^latency {2}█+[▏▎▍▌▋▊▉]?░+ {2}95\.0% {2}1\.90 ms of 2\.00 ms {2}\(full model 4\.00 ms\)$/, '1.9 of 2 ms: 95.0%');
  const older = { ...two, best: { ...mid.best! } };
  t.is(frame(<BudgetBar state={older} width={100} />).split('\n')[1], 'latency  not stored with this run\'s best (2.00 ms limit)');
  // the layout counts both lines: at the least height that shows every section with one budget, two budgets drop one;
  // a row more shows them all again
  const all = (state: typeof mid, height: number) => Object.values(searchViewLayout(state, { width: 100, height }).shown).every(Boolean);
  const least = Array.from({ length: 80 }, (_, h) => h + 1).find((h) => all(mid, h))!;
  t.false(all(two, least));
  t.true(all(two, least + 1));
});
