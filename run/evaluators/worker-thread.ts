/**
 * One thread of the `--workers N` pool (run/evaluators/worker-pool.ts): it activates its own tfjs backend, builds its own
 * CompressionEnv from what the pool sent once at start (the run config, the original model's topology and weights,
 * the dataset in shared memory), says `ready`, then answers measure jobs one at a time. Stateless apart from that env:
 * every measurement starts from the original weights and the run's one batch sequence, so a job gives the same
 * result on any thread, and a job retried after its thread died gives what the first try would have.
 */
import * as tf from '../../tfjs.js';
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../../env/backend.js';
import { CompressionEnv, type Measurement } from '../../env/compression-env.js';
import type { Dataset } from '../../env/data/dataset.js';
import type { LatencyTable } from '../../env/latency-table.js';
import type { RunConfig } from '../config.js';
import { envConfig } from '../environment.js';
import { type MeasureJob, measureOptionsOf } from './evaluator.js';

/** What a thread is given once, at start. The dataset's arrays live in SharedArrayBuffers (one copy for all threads). */
export interface ThreadPayload {
  config: RunConfig;
  /** The coordinator's backend; a thread activates the same one. */
  backend: string;
  model: tf.io.ModelArtifacts;
  data: Dataset;
  /** The run's latency table (a latency budget): the thread's env walls nothing, but is built with the run's budget. */
  latency?: LatencyTable;
}

export type ToThread = { type: 'measure'; id: number; job: MeasureJob } | { type: 'abort'; id: number };

export type FromThread =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; measurement: Measurement }
  | { type: 'error'; id: number; name: string; message: string };

/** Marks the workerData of a pool thread, so importing this file anywhere else does nothing. */
export const THREAD_MARK = 'autoshrink-worker-thread';

async function serve(payload: ThreadPayload, port: NonNullable<typeof parentPort>): Promise<void> {
  const send = (m: FromThread) => port.postMessage(m);
  let env: CompressionEnv;
  try {
    await selectBackend(payload.backend);
    const model = await tf.loadLayersModel(tf.io.fromMemory(payload.model));
    env = new CompressionEnv(model, payload.data, envConfig(payload.config, payload.latency), Number.NaN);
  } catch (e) {
    send({ type: 'failed', message: (e as Error).message });
    return;
  }
  const running = new Map<number, AbortController>();
  port.on('message', async (m: ToThread) => {
    if (m.type === 'abort') {
      running.get(m.id)?.abort();
      return;
    }
    const controller = new AbortController();
    running.set(m.id, controller);
    try {
      const measurement = await env.measure(m.job.strategy, { ...measureOptionsOf(m.job, payload.data), signal: controller.signal });
      send({ type: 'result', id: m.id, measurement });
    } catch (e) {
      send({ type: 'error', id: m.id, name: (e as Error).name, message: (e as Error).message });
    } finally {
      running.delete(m.id);
    }
  });
  send({ type: 'ready' });
}

if (parentPort && (workerData as { mark?: string } | null)?.mark === THREAD_MARK) {
  void serve((workerData as { payload: ThreadPayload }).payload, parentPort);
}
