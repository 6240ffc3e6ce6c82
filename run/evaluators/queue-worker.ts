/**
 * The worker's side of `--queue` (`autoshrink worker`): takes measure jobs from the BullMQ queue one at a time,
 * builds (and keeps, per run config) the run's environment from this machine's own model and data, refuses a job
 * whose identity (autoshrink version, backend, model hash, dataset hash; run/evaluators/queue.ts) differs from what it would
 * measure with, and returns the measurement. It never trains a baseline: a built-in model must already be cached in
 * its work directory (a baseline trained here would be another model).
 *
 * The measurement runs on a worker thread (run/evaluators/worker-pool.ts, one thread), so this thread's event loop stays free to
 * renew the job's lock however long a fine-tune step or a compression takes; a lock that lapses only means a dead
 * worker. A killed worker's job is taken back by BullMQ's stalled-job check in the other workers after about
 * `lockSeconds`.
 */
import * as tf from '../../tfjs.js';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { hostname } from 'node:os';
import { ConfigError, isInputError } from '../../errors.js';
import type { Measurement } from '../../env/compression-env.js';
import { findCachedBaseline } from '../../env/models/baseline-cache.js';
import { loadModel } from '../../env/models/model-io.js';
import { isBuiltinModel } from '../../env/models/zoo.js';
import type { RunConfig } from '../config.js';
import { envConfig, searchSpace } from '../environment.js';
import { latencyTableFor } from '../latency.js';
import type { RunEvent } from '../events.js';
import { connectionOf, probe, QUEUE_NAME, type QueueJobData, ready, REFUSED, type WorkIdentity, workIdentity } from './queue.js';
import { checkFits, loadData } from '../setup.js';
import { AUTOSHRINK_VERSION } from '../version.js';
import { WorkerPool } from './worker-pool.js';

export interface QueueWorkerOptions {
  /** redis://HOST:PORT */
  url: string;
  workdir: string;
  /** The active tfjs backend's name. */
  backend: string;
  /** Seconds a job stays locked to this worker without a renewal before the other workers take it back (BullMQ's
   * lockDuration; renewed every half of it while a job runs). Default 30. */
  lockSeconds?: number;
  /** One line per event worth telling (start, each job, refusals). */
  onLog?: (line: string) => void;
  /** Aborting stops taking jobs; the job in hand is finished first. */
  signal?: AbortSignal;
}

interface WorkerEnv {
  /** One thread with the run's environment. */
  pool: WorkerPool;
  identity: WorkIdentity;
}

/** Environments built here, by run config; the two most recently used are kept. */
const KEEP_ENVS = 2;

/** The run's model and data from this machine's files, without training anything, on a thread of its own. */
async function buildWorkerEnv(config: RunConfig, workdir: string, backend: string, onEvent: (e: RunEvent) => void): Promise<WorkerEnv> {
  const data = loadData({ data: config.data, dataSeed: config.dataSeed, validationSize: config.validationSize, holdoutSize: config.holdoutSize });
  let model: tf.LayersModel;
  if (isBuiltinModel(config.model)) {
    const dir = findCachedBaseline(config.model, data, { workdir, dataSeed: config.dataSeed });
    if (!dir) {
      throw new ConfigError(
        `no cached ${config.model} baseline for ${data.name} (data seed ${config.dataSeed}) in ${workdir}; copy the coordinator's <workdir>/models folder into it (a baseline trained here would be another model)`,
      );
    }
    model = await loadModel(dir);
  } else {
    model = await loadModel(config.model);
  }
  try {
    checkFits(model, data, config.model);
    const identity = workIdentity(model, data, backend);
    // a latency budget's env needs a table: this machine's (cached in its workdir); a worker only measures accuracy
    const latency = await latencyTableFor(config, searchSpace(config), model, workdir, tf.getBackend(), onEvent);
    return { pool: await WorkerPool.start(config, { model, data, latency }, { threads: 1, backend, onEvent }), identity };
  } finally {
    model.dispose();
  }
}

/** The first difference between the coordinator's identity and this worker's, as the reason of a refusal. */
function mismatch(want: WorkIdentity, have: WorkIdentity, config: RunConfig): string | null {
  if (want.autoshrink !== have.autoshrink) return `autoshrink ${have.autoshrink} here, ${want.autoshrink} on the coordinator; install the same version on every machine`;
  if (want.backend !== have.backend) return `backend ${have.backend} here, ${want.backend} on the coordinator; start this worker with --backend ${want.backend}`;
  if (want.model !== have.model) {
    const where = isBuiltinModel(config.model) ? `the cached ${config.model} baseline (copy the coordinator's <workdir>/models here)` : `the same ${config.model}`;
    return `model ${config.model} is ${have.model} here, ${want.model} on the coordinator; give every machine ${where}`;
  }
  if (want.dataset !== have.dataset) return `dataset ${config.data} is ${have.dataset} here, ${want.dataset} on the coordinator; give every machine the same data files`;
  return null;
}

export async function serveQueue(opts: QueueWorkerOptions): Promise<void> {
  const log = opts.onLog ?? (() => {});
  const connection = connectionOf(opts.url);
  const me = `${hostname()}/${process.pid}`;
  const envs = new Map<string, WorkerEnv>();
  const refuse = (why: string): never => {
    log(`refused a job: ${why}`);
    throw new UnrecoverableError(`${REFUSED}worker ${me}: ${why}`);
  };

  const envFor = async (config: RunConfig): Promise<WorkerEnv> => {
    const key = JSON.stringify([config.model, config.data, config.dataSeed, config.validationSize, config.holdoutSize, envConfig(config)]);
    let found = envs.get(key);
    if (found) {
      envs.delete(key); // re-inserted below as the most recently used
    } else {
      try {
        found = await buildWorkerEnv(config, opts.workdir, opts.backend, (e) => {
          if (e.type === 'log') log(e.message);
        });
      } catch (e) {
        if (isInputError(e)) refuse(e.message);
        throw e;
      }
      log(`built the environment of ${config.model} on ${config.data}: model ${found.identity.model}, dataset ${found.identity.dataset}`);
    }
    envs.set(key, found);
    for (const [k, old] of envs) {
      if (envs.size <= KEEP_ENVS) break;
      envs.delete(k);
      void old.pool.close();
    }
    return found;
  };

  const processJob = async (job: Job<QueueJobData>): Promise<Measurement> => {
    const { config, identity, job: m, runId } = job.data;
    // what needs no environment first, so an old worker refuses before it loads anything
    const quick = mismatch(identity, { ...identity, autoshrink: AUTOSHRINK_VERSION, backend: opts.backend }, config);
    if (quick) refuse(quick);
    const here = await envFor(config);
    const why = mismatch(identity, here.identity, config);
    if (why) refuse(why);
    const t0 = performance.now();
    const [measured] = await here.pool.measure([m]);
    const what = m.steps === undefined ? 'episode' : `${m.steps}-step measurement`;
    log(`job ${job.id}: run ${runId} ${what}, accuracy ${(measured.accuracy * 100).toFixed(2)}% in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
    return measured;
  };

  await probe(opts.url);
  const lockDuration = Math.round((opts.lockSeconds ?? 30) * 1000);
  const worker = new Worker<QueueJobData, Measurement>(QUEUE_NAME, processJob, {
    connection: { ...connection, maxRetriesPerRequest: null },
    concurrency: 1,
    lockDuration,
    stalledInterval: Math.max(500, Math.round(lockDuration / 2)),
    // a job whose worker died is taken back twice; a third death fails it
    maxStalledCount: 2,
    autorun: false,
  });
  try {
    await ready(worker, opts.url);
  } catch (e) {
    await worker.close(true).catch(() => {});
    throw e;
  }
  log(`worker ${me} takes jobs from ${opts.url} (backend ${opts.backend}, work directory ${opts.workdir}, autoshrink ${AUTOSHRINK_VERSION})`);
  const stop = () => void worker.close();
  opts.signal?.addEventListener('abort', stop, { once: true });
  if (opts.signal?.aborted) stop();
  try {
    await worker.run();
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    await Promise.all([...envs.values()].map((e) => e.pool.close()));
  }
}
