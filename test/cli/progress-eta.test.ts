import test from 'ava';
import { stepEta } from '../../cli/progress-bar.js';

test('no ETA from the first step alone: its time holds the setup (180 s of it, then step 1 of 600)', (t) => {
  // extrapolating 180 s for one step to the 599 left would say 29h57m
  t.true(Number.isNaN(stepEta(null, { done: 0, seconds: 0 }, 600)));
  const first = { done: 1, seconds: 180 };
  t.true(Number.isNaN(stepEta(first, first, 600)));
});

test('the ETA runs from the end of step 1: steps 1 to 11 in 180 -> 185 s is 0.5 s a step, 589 left = 294.5 s', (t) => {
  t.is(stepEta({ done: 1, seconds: 180 }, { done: 11, seconds: 185 }, 600), 294.5);
  t.is(stepEta({ done: 1, seconds: 180 }, { done: 600, seconds: 479.5 }, 600), 0);
});
