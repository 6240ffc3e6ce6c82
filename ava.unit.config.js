/**
 * `npm run test:unit`: the suite without the tests that train (a baseline, a search, a fine-tune, the agent), start
 * worker threads, need Redis or a browser, or need the built package. What is left took 154 s of CPU (user + system)
 * on the 2-core development machine (7m13s of wall time there under a load average of 24); `npm test` (CI) runs
 * everything.
 *
 * A new test file is a unit test unless it is listed here: list it when it does one of the above. A test
 * (test/package.test.ts) checks that every entry names a test file that exists.
 */
import { readFileSync } from 'node:fs';

/** The test files `test:unit` leaves out, each with what makes it slow. */
export const NOT_UNIT = {
  'test/agent/learning.test.ts': 'trains the DDPG agent for 150 episodes, 3 seeds',
  'test/cli/cli.test.ts': 'trains a baseline and searches through the CLI',
  'test/cli/installed-bin.test.ts': 'runs the built package (dist/)',
  'test/cli/user-models.test.ts': 'searches and applies two small models through the CLI',
  'test/env/abits-knob.test.ts': 'trains a model',
  'test/env/channels-knob.test.ts': 'fine-tunes channel-pruned models',
  'test/env/compression-env.test.ts': 'trains a model',
  'test/env/finetune-kernels.test.ts': 'trains a model',
  'test/env/finetune.test.ts': 'trains a model',
  'test/env/keras-converter-models.test.ts': 'searches and applies a converted model',
  'test/env/logit-outputs.test.ts': 'fine-tunes a model',
  'test/report/report-command.test.ts': 'searches the tiny mlp',
  'test/report/report-in-a-browser.test.ts': 'a browser, and searches the tiny mlp',
  'test/report/report-of-a-search.test.ts': 'searches the tiny mlp',
  'test/run/abits-strategy.test.ts': 'searches the tiny mlp',
  'test/run/channel-planners.test.ts': 'searches the tiny mlp',
  'test/run/channel-strategy.test.ts': 'searches the tiny mlp',
  'test/run/two-budget-search.test.ts': 'searches the tiny mlp',
  'test/run/final-entropy-coded-sizes.test.ts': 'searches the tiny mlp',
  'test/run/final-prune-then-cluster.test.ts': 'fine-tunes a model',
  'test/run/final-references.test.ts': 'searches the tiny mlp and finishes it with its references',
  'test/run/final-rerank-holdout.test.ts': 'trains the tiny mlp and fine-tunes in the re-rank',
  'test/run/final-smallest.test.ts': 'searches the tiny mlp',
  'test/run/in-memory-data.test.ts': 'searches a tiny model',
  'test/run/learn-ahead.test.ts': 'worker threads, and searches the tiny mlp',
  'test/run/lock.test.ts': 'searches the tiny mlp',
  'test/run/network-checkpoint-resume.test.ts': 'searches the tiny mlp in a child process it kills',
  'test/run/parallel-greedy-rerank.test.ts': 'worker threads, and searches the tiny mlp',
  'test/run/parallel.test.ts': 'worker threads, and searches the tiny mlp',
  'test/run/quantized-tfjs-export.test.ts': 'trains the tiny mlp',
  'test/run/queue.test.ts': 'Redis, and searches the tiny mlp',
  'test/run/search.test.ts': 'searches the tiny mlp',
  'test/run/strategy.test.ts': 'searches the tiny mlp',
  'test/runtime/runtime-export.test.ts': 'runs the built package (dist/)',
  'test/runtime/runtime-in-chromium.test.ts': 'a browser',
  'test/zoo/search-custom-model.test.ts': 'searches a model',
  'test/zoo/user-models.test.ts': 'trains five models',
};

// the whole suite's settings (package.json "ava"), less the files above
const { ava } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

export default {
  ...ava,
  files: [...ava.files, ...Object.keys(NOT_UNIT).map((file) => `!${file}`)],
};
