import test from 'ava';
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError, RunNotFoundError } from '../../errors.js';
import type { RunConfig } from '../../run/config.js';
import { resumeSearch, runSearch, storePath } from '../../run/search.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../run/store/checkpoint-codec.js';
import { openStore } from '../../run/store/store.js';
import { removeDir, TINY, tinyWorkdir } from '../helpers/tiny-run.js';
import { killedSearch } from '../helpers/killed-search.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** `autoshrink resume <run> --backend wasm` in a child process, as a user runs it. */
function resumeInCli(runId: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, AUTOSHRINK_DEBUG: '', FORCE_COLOR: '0' };
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'resume', runId, '--backend', 'wasm', '--json', '--workdir', workdir], { cwd: repo, env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

let workdir = '';
test.before(async () => (workdir = await tinyWorkdir('network-resume')));
test.after.always(() => removeDir(workdir));

/** What a run stored per episode, the learner's diagnostics included (they follow from the networks), and its best. */
function stored(runId: string) {
  const store = openStore(storePath(workdir), { readonly: true });
  try {
    const episodes = store.episodes(runId).map((e) => ({ episode: e.episode, strategy: e.strategy, accuracy: e.accuracy, reward: e.reward, criticLoss: e.criticLoss, actorLoss: e.actorLoss, meanQ: e.meanQ, sigma: e.sigma }));
    return { episodes, best: store.getRun(runId).best?.strategy, status: store.getRun(runId).status };
  } finally {
    store.close();
  }
}

/** The search in a child process that SIGKILLs itself right after episode `after` is stored; returns the run id. */
function killedAfter(config: Partial<RunConfig>, after: number, every: number): Promise<string> {
  return killedSearch(workdir, config, { AUTOSHRINK_TEST_KILL_AFTER: String(after), AUTOSHRINK_TEST_NETWORK_EVERY: String(every) });
}

// 8 episodes, 1 warm-up, networks every 3: stored after episodes 0, 3 and 6; killed after 4, the resume learns 4 again
const config: Partial<RunConfig> = { ...TINY, episodes: 8 };

for (const rolloutBatch of [1, 2]) {
  test(`rollout batch ${rolloutBatch}: killed after episode 4 with the networks of episode 3 stored, the resume learns episode 4 again and stores what the uninterrupted run stores, losses included`, async (t) => {
    const c = { ...config, rolloutBatch };
    const full = await runSearch(c, { workdir, backend: 'wasm', networkCheckpointEvery: 3 });
    const runId = await killedAfter(c, 4, 3);
    const store = openStore(storePath(workdir), { readonly: true });
    const cp = store.lastCheckpoint(runId)!;
    store.close();
    t.is(cp.episode, 4);
    t.deepEqual(cp.rows.networks.map((r) => r.index), [3], 'the networks of episode 3, not of 4');
    t.deepEqual(cp.rows.learn.map((r) => r.index), [4]);
    if (rolloutBatch === 1) {
      // another backend is refused before anything is built
      await t.throwsAsync(resumeSearch(runId, { workdir, backend: 'cpu', networkCheckpointEvery: 3 }), {
        instanceOf: ConfigError,
        message: `run ${runId} ran on the wasm backend, not cpu: resume it with --backend wasm`,
      });
      // episode 4's stored critic loss one ulp-ish off: learning it again from the networks of 3 does not give it
      const raw = new Database(storePath(workdir));
      const loss = (raw.prepare('SELECT critic_loss FROM episodes WHERE run_id = ? AND episode = 4').get(runId) as { critic_loss: number }).critic_loss;
      const set = (v: number) => raw.prepare('UPDATE episodes SET critic_loss = ? WHERE run_id = ? AND episode = 4').run(v, runId);
      set(loss * (1 + 1e-12));
      await t.throwsAsync(resumeSearch(runId, { workdir, backend: 'wasm', networkCheckpointEvery: 3 }), {
        instanceOf: RunNotFoundError,
        message: /^cannot resume: learning episode 4 again from the stored networks of episode 3 gave critic loss \S+ where the run stored \S+; the networks differ/,
      });
      set(loss);
      // episode 4's journal entry with its reward 0.5 higher: learning it again does not reach the stored state. The
      // CLI refuses in one line and exits 2, and the stored run is left as it was (the resume below completes it)
      const row = () => raw.prepare("SELECT data FROM checkpoint_rows WHERE run_id = ? AND stream = 'learn' AND idx = 4").get(runId) as { data: Buffer };
      const entry = row().data;
      const changed = decodeCheckpoint(entry) as { reward: number };
      changed.reward += 0.5;
      const setEntry = (data: Uint8Array) => raw.prepare("UPDATE checkpoint_rows SET data = ? WHERE run_id = ? AND stream = 'learn' AND idx = 4").run(Buffer.from(data), runId);
      setEntry(encodeCheckpoint(changed));
      const before = stored(runId);
      const cli = await resumeInCli(runId);
      t.is(cli.code, 2, cli.stderr);
      t.regex(cli.stderr, /^error: cannot resume: learning episode 4 again from the stored networks of episode 3 did not give the stored \w+, .* or start a new run with autoshrink search; the run's stored episodes are kept\n$/);
      t.deepEqual(stored(runId), before);
      setEntry(entry);
      t.true(row().data.equals(entry));
      raw.close();
    }
    const resumed = await resumeSearch(runId, { workdir, backend: 'wasm', networkCheckpointEvery: 3 });
    t.is(resumed.status, 'completed');
    const [a, b] = [stored(runId), stored(full.runId)];
    t.deepEqual(a.episodes.map((e) => e.episode), [0, 1, 2, 3, 4, 5, 6, 7]);
    // the episodes after the resume learnt (1 warm-up): their critic losses come from the re-learnt networks
    t.true(a.episodes.slice(5).every((e) => e.criticLoss !== null));
    t.deepEqual(a.episodes, b.episodes);
    t.deepEqual(a.best, b.best);
  });
}

test('networks every 25 episodes, killed after episode 5: the resume learns 1 to 5 again from the networks of episode 0 and stores what a run storing them every episode stores', async (t) => {
  const every1 = await runSearch(config, { workdir, backend: 'wasm', networkCheckpointEvery: 1 });
  const runId = await killedAfter(config, 5, 25);
  const store = openStore(storePath(workdir), { readonly: true });
  const cp = store.lastCheckpoint(runId)!;
  store.close();
  t.deepEqual(cp.rows.networks.map((r) => r.index), [0]);
  t.deepEqual(cp.rows.learn.map((r) => r.index), [1, 2, 3, 4, 5]);
  const resumed = await resumeSearch(runId, { workdir, backend: 'wasm' });
  t.is(resumed.status, 'completed');
  t.deepEqual(stored(runId).episodes, stored(every1.runId).episodes);
  t.deepEqual(stored(runId).best, stored(every1.runId).best);
});
