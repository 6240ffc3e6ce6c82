/**
 * The coordinator's own time per episode, and how many workers it can keep busy (Amdahl): what stays serial while
 * the workers measure is the search loop itself (the DDPG agent's act and learn, the checkpoint written with its
 * fsync, the events). To time it at episode 1000 without 1000 real evaluations, the search loop runs as it always does
 * (runSearch: planner, cache, store, events) on an evaluator that answers at once: each strategy's accuracy and loss
 * are a fixed function of its bits and prune ratios (below), so the agent learns from varied rewards and the cache
 * fills as in a real run. Every second of such a run is the coordinator's. Then a few real episodes of the same model
 * (in this process, the same strategies a walk makes) give the episode time the workers would spend, and the Amdahl
 * bound for N workers is (c + e) / (c + e / N) with c the coordinator's time and e the evaluation time per episode.
 *
 * The models' weights are untrained (built from the zoo and cached as the run's baseline in a temporary work directory):
 * neither the coordinator's work nor an episode's compute depends on the weights, and training mobilenet-tiny's
 * baseline would take most of an hour here. Results: a section of bench/results/parallel.md, replaced when run again.
 * `--network-every 1,25` runs each model once per value of how often DDPG's networks are stored (run/planners/
 * network-journal.ts; 1 is every episode, as before it), side by side in one run.
 * `--agents 300x300:per-transition,64x64:1` runs each model once per DDPG configuration (hidden layers : updates per
 * episode), side by side, and gives each its learner's arithmetic: the multiply-adds of one update (from the
 * networks' shapes), the ms one update took (the agent's time at the learning points over its updates) and the rate
 * that makes, against a plain [64, h] x [h, h] matrix product timed in the same process (the machine's rate for
 * these shapes): what the learner costs is arithmetic, and only fewer multiply-adds per episode lower it much.
 *   npx tsx bench/coordinator.ts [--models lenet5,mobilenet-tiny] [--episodes 1000] [--real 3] [--finetune-steps 0] [--hidden 300,300] [--updates-per-episode N] [--agents H1xH2:U,...] [--budget size:4bits] [--network-every 1,25]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../env/backend.js';
import type { Measurement } from '../env/compression-env.js';
import { baselineDir } from '../env/models/baseline-cache.js';
import { saveModel } from '../env/models/model-io.js';
import { buildModel } from '../env/models/zoo.js';
import type { LayerSpec } from '../learners/types.js';
import { parseRunConfig, type RunConfig } from '../run/config.js';
import { buildEnvironment } from '../run/environment.js';
import type { EvaluatorFactory } from '../run/evaluators/create-evaluator.js';
import type { RunEvent } from '../run/events.js';
import { runSearch, storePath } from '../run/search.js';
import { CheckpointLog } from '../run/store/checkpoint-log.js';
import { encodeCheckpoint } from '../run/store/checkpoint-codec.js';
import { openStore } from '../run/store/store.js';
import { loadData } from '../run/setup.js';
import { arg, machine, table } from './common.js';
import { DEFAULT_DDPG_CONFIG } from '../agent/ddpg-config.js';
import * as tf from '../tfjs.js';

const models = arg('models', 'lenet5,mobilenet-tiny').split(',');
const episodes = Number(arg('episodes', '1000'));
const realEpisodes = Number(arg('real', '3'));
const finetuneSteps = Number(arg('finetune-steps', '0'));
// the actor's and critic's hidden layers (default: the run config's, AMC's 300,300)
// DDPG's updates after each episode (default the run config's: per-transition, one per layer)
const updatesFlag = arg('updates-per-episode', '');
const hiddenFlag = arg('hidden', '') ? arg('hidden', '').split(',').map(Number) : undefined;

/** One DDPG configuration: hidden widths (undefined: the run config's) and updates per episode ('' : the run config's). */
interface AgentSetting {
  hidden?: number[];
  updates: string;
}
const agentLabel = (a: AgentSetting) => `${(a.hidden ?? DEFAULT_DDPG_CONFIG.hidden).join('x')}:${a.updates || DEFAULT_DDPG_CONFIG.updatesPerEpisode}`;
const agents: AgentSetting[] = arg('agents', '')
  ? arg('agents', '').split(',').map((spec) => {
      const m = /^([0-9]+(?:x[0-9]+)*):(per-transition|[0-9]+)$/.exec(spec);
      if (!m) throw new Error(`--agents: '${spec}' is not HIDDENxHIDDEN:UPDATES (for example 300x300:per-transition or 64x64:1)`);
      return { hidden: m[1].split('x').map(Number), updates: m[2] };
    })
  : [{ hidden: hiddenFlag, updates: updatesFlag }];
// the budget: size:20x (the default) is below what mobilenet-tiny can reach; 4 bits a weight was the default before it
const budget = arg('budget', 'size:4bits');
const everies = arg('network-every', '25').split(',').map(Number);
const POINTS = [10, 100, 1000].filter((p) => p <= episodes && (p <= 100 || p === episodes));
const WORKERS = [4, 8, 16, 64];
const backend = (await selectBackend('wasm')).name;
const loadBefore = loadavg()[0];

/** A stand-in accuracy: 0.9 at 8 bits unpruned everywhere, less for fewer bits and more pruning (smooth, varied). */
function standIn(strategy: LayerSpec[]): Measurement {
  const damage = strategy.reduce((s, l) => s + (l.bits >= 32 ? 0 : 0.04 * Math.max(0, 8 - l.bits) ** 1.5 / 8) + 0.2 * l.pruneRatio ** 2, 0) / strategy.length;
  const accuracy = Math.max(0.1, 0.9 - damage);
  return { accuracy, loss: -Math.log(accuracy), timings: { compress: 0, finetune: 0, evaluate: 0 } };
}

const instant: EvaluatorFactory = async () => ({ slots: 1, measure: async (jobs) => jobs.map((j) => standIn(j.strategy)), close: async () => {} });

/** A temporary work directory with the model's untrained network cached as the run's baseline. */
async function workdirWith(config: RunConfig): Promise<string> {
  const workdir = mkdtempSync(join(tmpdir(), 'autoshrink-coordinator-'));
  const data = loadData({ data: config.data, dataSeed: config.dataSeed, validationSize: config.validationSize, holdoutSize: config.holdoutSize });
  const dir = baselineDir(config.model, data, { workdir, dataSeed: config.dataSeed });
  mkdirSync(dir, { recursive: true });
  const model = buildModel(config.model, data.inputShape, data.numClasses, config.seed);
  await saveModel(model, dir);
  const meta = { model: config.model, dataset: data.id, dataSeed: config.dataSeed, epochs: 0, validationAccuracy: 0.1, testAccuracy: 0.1, params: model.countParams(), backend, seconds: 0, trainedAt: new Date().toISOString() };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  model.dispose();
  return workdir;
}

interface Row {
  model: string;
  every: number;
  agent: AgentSetting;
  /** Multiply-adds of one DDPG update (batch of the agent config), and its updates per learning episode. */
  updateMacs: number;
  updatesPerEpisode: number;
  layers: number;
  /** Per point: mean seconds per episode over the 10 episodes ending there, and the agent's part of it. */
  at: Array<{ episode: number; seconds: number; cpu: number; agent: number; other: number }>;
  /** Seconds of a real episode (evaluation), mean of `realEpisodes`, and its CPU seconds. */
  episodeSeconds: number;
  episodeCpu: number;
  write: ReturnType<typeof storeWrite>;
}

/** CPU seconds of this process so far (user + system, every thread): what a shared machine's load does not stretch. */
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface Tick {
  t: number;
  cpu: number;
  agent: number;
}

/** Run the search loop on the instant evaluator until `stopAfter` episodes are stored; the time of each episode-finished. */
async function coordinatorRun(config: RunConfig, workdir: string, stopAfter: number, every: number): Promise<Tick[]> {
  const finished: Tick[] = [];
  const stop = new AbortController();
  const onEvent = (e: RunEvent) => {
    if (e.type !== 'episode-finished') return;
    finished.push({ t: performance.now(), cpu: cpuSeconds(), agent: e.timings.agent });
    if (finished.length >= stopAfter) stop.abort();
  };
  const t0 = performance.now();
  await runSearch({ ...config }, { workdir, backend, onEvent, createEvaluator: instant, signal: stop.signal, networkCheckpointEvery: every });
  process.stdout.write(`${config.model}, networks every ${every}: ${finished.length} episodes of the coordinator alone (warm-up ${config.warmup}) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return finished;
}

/** Mean seconds per episode over the (up to) 10 episodes ending with episode `p` (1-based), and the agent's part. */
function window(finished: Tick[], p: number, first = 0) {
  const end = p - first;
  const from = Math.max(1, end - 10);
  const span = finished.slice(from, end);
  const seconds = (finished[end - 1].t - finished[from - 1].t) / 1000 / span.length;
  const cpu = (finished[end - 1].cpu - finished[from - 1].cpu) / span.length;
  const agent = span.reduce((s, f) => s + f.agent, 0) / span.length;
  return { episode: p, seconds, cpu, agent, other: Math.max(0, seconds - agent) };
}

/**
 * The checkpoint write alone, as the loop makes it after episode 1000: the stored (flat) checkpoint of the run with
 * one episode's new rows (a transition per layer, a cache entry) and, every `every` episodes, the networks (a
 * `networks` row; in between a `learn` row, run/planners/network-journal.ts), written `n` times to a new run of the
 * same runs.db (WAL, synchronous=FULL: one fsync a write). Returns the mean ms and bytes of a write over the `n`
 * (`n` a multiple of `every`, so each cycle counts whole), and the bytes the same checkpoint would take written
 * whole (networks, replay and cache in the blobs, as before checkpoint_rows and the journal).
 */
function storeWrite(workdir: string, runId: string, layers: number, every: number): { ms: number; bytes: number; wholeBytes: number } {
  const n = Math.max(20, 2 * every);
  const store = openStore(storePath(workdir));
  try {
    const cp = store.lastCheckpoint(runId)!;
    const whole = new CheckpointLog().join(cp);
    const wholeBytes = encodeCheckpoint(whole.agent).byteLength + encodeCheckpoint(whole.env).byteLength;
    const run = store.createRun({ ...store.getRun(runId), id: undefined, status: 'running' } as never);
    const transitions = (cp.rows.replay ?? []).slice(0, layers).map((r) => r.value);
    const entry = (cp.rows.cache ?? []).slice(0, 1).map((r) => r.value);
    const networks = (cp.rows.networks ?? []).slice(0, 1).map((r) => r.value);
    // a journal entry the run wrote (a run whose networks are stored every episode writes none)
    const learn = (cp.rows.learn ?? []).slice(0, 1).map((r) => r.value);
    let ms = 0;
    let bytes = 0;
    for (let e = 0; e < n; e++) {
      const episode = { episode: e, phase: 'learning' as const, strategy: [], accuracy: 0.5, cost: 1, reward: 0, cached: false, seconds: 1, timings: {} };
      const own = e % every === 0 ? { stream: 'networks', from: e, values: networks } : { stream: 'learn', from: e, values: learn };
      const rows = { append: [{ stream: 'replay', from: e * layers, values: transitions }, { stream: 'cache', from: e, values: entry }, own] };
      const t = performance.now();
      bytes += store.recordEpisode(run.id, episode as never, { agent: cp.agent, env: cp.env, rows }).bytes;
      ms += performance.now() - t;
    }
    return { ms: ms / n, bytes: bytes / n, wholeBytes };
  } finally {
    store.close();
  }
}

/**
 * Multiply-adds of one DDPG update (agent/ddpg.ts, per sample times the batch): the critic step runs the target actor
 * and target critic forward, the critic forward, and the critic's backward (its weights' and inputs' gradients, twice
 * its forward); the actor step runs actor and critic forward, the critic's input gradient (its forward again) and
 * the actor's backward (twice its forward). About 4 actor + 5 critic forwards a sample (the first layer's input
 * gradient, never needed, is counted: an upper bound by a few percent).
 */
function updateMacs(stateSize: number, actionSize: number, hidden: number[], batch: number): number {
  const macs = (sizes: number[]) => sizes.slice(1).reduce((s, out, i) => s + sizes[i] * out, 0);
  const actor = macs([stateSize, ...hidden, actionSize]);
  const critic = macs([stateSize + actionSize, ...hidden, 1]);
  return batch * (4 * actor + 5 * critic);
}

/** GFLOP/s of a plain [64, h] x [h, h] product on this backend, now (the machine's rate for the learner's shapes). */
function matmulRate(h: number): number {
  const a = tf.randomNormal([64, h]) as tf.Tensor2D;
  const b = tf.randomNormal([h, h]) as tf.Tensor2D;
  const once = () => tf.tidy(() => void tf.matMul(a, b).dataSync());
  for (let i = 0; i < 10; i++) once();
  const reps = 100;
  const t = performance.now();
  for (let i = 0; i < reps; i++) once();
  const ms = (performance.now() - t) / reps;
  tf.dispose([a, b]);
  return (2 * 64 * h * h) / ms / 1e6;
}

async function measureModel(model: string, every: number, agent: AgentSetting): Promise<Row> {
  const { hidden, updates } = agent;
  const config = parseRunConfig({ model, budget, episodes, finetuneSteps, finalSteps: 0, rerankTop: 0, seed: 1, ...(hidden ? { hidden } : {}), ...(updates ? { updatesPerEpisode: updates === 'per-transition' ? updates : Number(updates) } : {}) });
  const workdir = await workdirWith(config);
  try {
    // episodes 10 and 100 of a run of `episodes`: its own warm-up (a fifth, at most 20), stopped after 100
    const early = await coordinatorRun(config, workdir, Math.min(100, episodes), every);
    const at = POINTS.filter((p) => p <= 100).map((p) => window(early, p));
    // episode 1000: a run whose first 990 episodes are warm-up (random actions, no updates: minutes, not an hour),
    // then learns as a run at 1000 does: the replay full, the store, cache and checkpoint rows 990 episodes deep
    if (POINTS.includes(1000)) {
      const late = await coordinatorRun({ ...config, warmup: 990 }, workdir, 1000, every);
      at.push(window(late, 1000));
    }
    const runs = openStore(storePath(workdir), { readonly: true });
    const last = runs.listRuns().at(-1)!.id;
    runs.close();
    // real episodes: the strategies of a walk, measured in this process
    const built = await buildEnvironment(config, workdir);
    let seconds = 0;
    let cpu = 0;
    for (let e = 0; e < realEpisodes; e++) {
      let next: number[] | null = built.env.reset(e);
      let k = 0;
      while (next) next = built.env.step(next.map(() => ((e + 1) * 0.37 + k++ * 0.21) % 1)).next;
      const strategy = built.env.finishStrategy();
      const [t, c] = [performance.now(), cpuSeconds()];
      await built.env.measure(strategy);
      seconds += (performance.now() - t) / 1000;
      cpu += cpuSeconds() - c;
    }
    const layers = built.env.layers.length;
    const upe = updates && updates !== 'per-transition' ? Number(updates) : layers;
    const macs = updateMacs(built.env.stateSize, built.env.actionSize, hidden ?? DEFAULT_DDPG_CONFIG.hidden, DEFAULT_DDPG_CONFIG.batchSize);
    built.env.dispose();
    built.model.dispose();
    return { model, every, agent, updateMacs: macs, updatesPerEpisode: upe, layers, at, episodeSeconds: seconds / realEpisodes, episodeCpu: cpu / realEpisodes, write: storeWrite(workdir, last, layers, every) };
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const m of models) for (const every of everies) for (const a of agents) rows.push(await measureModel(m, every, a));
// the machine's matrix-product rate for each hidden width, measured now, after the runs (same process, same load)
const rates = new Map([...new Set(agents.map((a) => (a.hidden ?? DEFAULT_DDPG_CONFIG.hidden)[0]))].map((h) => [h, matmulRate(h)]));
const loadAfter = loadavg()[0];

const amdahl = (c: number, e: number, n: number) => (c + e) / (c + e / n);
const mobilenet = rows.find((r) => r.model === 'mobilenet-tiny');
const ms = (s: number) => (s * 1000).toFixed(1);
const lines = rows.flatMap((r) =>
  r.at.map((p) => {
    // CPU seconds against a mobilenet-tiny episode's (the goal's yardstick): a shared machine stretches wall times
    // by its load at the moment, CPU times far less
    const e = (rows.find((m) => m.model === 'mobilenet-tiny' && m.every === r.every) ?? mobilenet)?.episodeCpu ?? r.episodeCpu;
    return [r.model, agentLabel(r.agent), String(r.every), String(p.episode), ms(p.seconds), ms(p.agent), ms(p.other), ms(p.cpu), `${((100 * p.cpu) / r.episodeCpu).toFixed(2)}%`, `${((100 * p.cpu) / e).toFixed(2)}%`, ...WORKERS.map((n) => `${amdahl(p.cpu, e - p.cpu, n).toFixed(1)}x`), `${(e / p.cpu).toFixed(1)}x`];
  }),
);
const body = [
  `Search settings: budget ${budget}, DDPG (the default agent config but for the "DDPG" column: hidden layers x updates per episode; AMC/HAQ: 300x300, one update per layer of the episode), --finetune-steps ${finetuneSteps}, rewards on 2000 validation images, seed 1, rollout batch 1, final stage and re-rank skipped; backend ${backend}. ` +
    `Coordinator: the search loop of runSearch on an evaluator that answers at once with a stand-in accuracy (a fixed function of the bits and prune ratios), so the time is the planner's act and learn, the evaluation cache, the checkpoint written to runs.db (WAL, its fsync) and the events; "wall ms/episode" is the mean over the 10 episodes ending at that episode (wall time between their episode-finished events), "agent" the planner's act and learn in it (wall), "rest" the store write, events and loop; "CPU ms/episode" the process's CPU time (user + system) over the same episodes, which the machine's other users stretch far less than wall time. ` +
    `Episode: the mean of ${realEpisodes} real episodes of the same model (compress, ${finetuneSteps ? `${finetuneSteps} fine-tune steps, ` : 'batch-norm re-estimation, '}scoring), measured in this process after the coordinator runs. Weights untrained (neither figure depends on them). ` +
    `Amdahl bound for N workers: (c + e) / (c + e/N), c the coordinator's CPU ms/episode, e a mobilenet-tiny episode's CPU time less c (what an idle machine with N+1 cores would give; fsync waits are wall time, not CPU: see the checkpoint write below). "Cap for any N, learning ahead": with --learn-ahead the agent learns while the workers measure, so the coordinator's work leaves the serial path, but its one thread still does all of it: N workers finish at most one episode per c, (c + e) / c = e_total / c times one process's rate. Load average ${loadBefore.toFixed(2)} at the start, ${loadAfter.toFixed(2)} at the end (2 shared cores).`,
  '',
  rows
    .map((r) => `- ${r.model}, networks every ${r.every}: ${r.layers} searched layers; a real episode ${r.episodeSeconds.toFixed(2)} s wall, ${r.episodeCpu.toFixed(2)} s CPU (mean of ${realEpisodes}); the checkpoint write after episode 1000 ${r.write.ms.toFixed(1)} ms (mean of ${Math.max(20, 2 * r.every)}, fsync included), ${(r.write.bytes / 1e6).toFixed(3)} MB a write on average (written whole, with the replay and the cache in it: ${(r.write.wholeBytes / 1e6).toFixed(2)} MB)`)
    .join('\n'),
  '',
  rows
    .filter((r) => r.every === everies[0])
    .map((r) => {
      const learning = r.at.filter((p) => p.episode > Math.min(20, Math.floor(episodes / 5)));
      const perUpdate = learning.length ? (1000 * learning.reduce((s, p) => s + p.agent, 0)) / learning.length / r.updatesPerEpisode : NaN;
      const h = (r.agent.hidden ?? DEFAULT_DDPG_CONFIG.hidden)[0];
      const gflops = (2 * r.updateMacs) / perUpdate / 1e6;
      return `- learner, ${r.model}, DDPG ${agentLabel(r.agent)}: ${(r.updateMacs / 1e6).toFixed(2)} M multiply-adds an update, ${r.updatesPerEpisode} updates a learning episode (${((r.updateMacs * r.updatesPerEpisode) / 1e6).toFixed(1)} M); an update took ${perUpdate.toFixed(2)} ms wall at the learning points (${gflops.toFixed(2)} GFLOP/s), against ${rates.get(h)!.toFixed(2)} GFLOP/s for a plain [64, ${h}] x [${h}, ${h}] product in this process (${((100 * gflops) / rates.get(h)!).toFixed(0)}%)`;
    })
    .join('\n'),
  '',
  table(['model', 'DDPG', 'networks stored every', 'episode', 'wall ms/episode', 'agent ms', 'rest ms', 'CPU ms/episode', 'CPU of its own episode', 'CPU of a mobilenet-tiny episode', ...WORKERS.map((n) => `bound for ${n}`), 'cap for any N, learning ahead'], lines),
].join('\n');
// a section of bench/results/parallel.md (the rest of the file is bench/parallel.ts's), replaced when run again
const HEADING = "## The coordinator's own time per episode";
const command = `npx tsx bench/coordinator.ts --models ${models.join(',')} --episodes ${episodes} --real ${realEpisodes} --finetune-steps ${finetuneSteps} --budget ${budget} --agents ${agents.map(agentLabel).join(',')} --network-every ${everies.join(',')}`;
const section = `${HEADING}\n\n- date: ${new Date().toISOString()}\n- machine: ${machine()}\n- command: \`${command}\`\n\n${body}\n`;
const path = 'bench/results/parallel.md';
const before = existsSync(path) ? readFileSync(path, 'utf8') : '# Episodes in parallel\n';
const at = before.indexOf(`\n${HEADING}\n`);
writeFileSync(path, `${(at >= 0 ? before.slice(0, at) : before).trimEnd()}\n\n${section}`);
process.stdout.write(`\n${section}\nwritten to ${path}\n`);
