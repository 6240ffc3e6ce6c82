/**
 * The run's latency table (env/latency-table.ts): read from `--latency-table FILE` (measured elsewhere, e.g. in the
 * browser the model will run in), or measured here on the run's backend and cached in the workdir under
 * `latency/<key>.json`, keyed by the model (its name and a hash of its architecture), the backend, the machine (CPU
 * model, core count, host) and the batch. A later run of the same key times only the pairs the cache lacks (a wider
 * --channels range). The format of both files is in docs/latency.md.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import type * as tf from '../tfjs.js';
import { z } from 'zod';
import { parseBudgets } from '../env/budget.js';
import { ChannelSpace } from '../env/channel-space.js';
import { candidateSpecs, preserveOf, type SearchSpace } from '../env/knobs.js';
import { compressibleLayers } from '../env/layers.js';
import type { LatencyTable } from '../env/latency-table.js';
import { measureLatencyTable } from '../env/latency-timing.js';
import { ConfigError } from '../errors.js';
import type { RunConfig } from './config.js';
import type { RunEvent } from './events.js';

/** The file format: docs/latency.md. */
export const LatencyTableSchema = z
  .object({
    format: z.literal('autoshrink-latency-table').optional(),
    version: z.literal(1).optional(),
    model: z.string(),
    backend: z.string(),
    machine: z.string(),
    batch: z.number().int().min(1),
    fullMs: z.number().positive(),
    constantMs: z.number(),
    scale: z.number().positive().optional(),
    layers: z.record(z.record(z.number().nonnegative())),
  })
  .strict();

/** How the cached tables are timed: a new method changes it, so no older cache file is read. 2: interleaved rounds and
 * the whole-model calibration. */
export const TABLE_METHOD = 2;

/** The machine a table was timed on: CPU model, core count and host. */
export function machineKey(): string {
  const c = cpus();
  return `${c[0]?.model?.trim() ?? 'unknown cpu'} x${c.length} on ${hostname()}`;
}

/**
 * The model's key: its name as given and a hash of its layers' classes and shapes (a retrained model times the same,
 * and so does the untrained architecture the preflight times, whatever tfjs named its layers).
 */
export function modelKey(config: RunConfig, model: tf.LayersModel): string {
  const topology = JSON.stringify(model.layers.map((l) => [l.getClassName(), l.outputShape, l.weights.map((w) => w.shape)]));
  return `${config.model.split('/').pop()}#${createHash('sha256').update(topology).digest('hex').slice(0, 12)}`;
}

/** Whether the config's budget counts latency. */
export function needsLatency(config: RunConfig): boolean {
  return parseBudgets(config.budget).some((b) => b.kind === 'latency');
}

/** Read and check a latency table file. */
export function readLatencyTable(path: string): LatencyTable {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read latency table ${path} (${(e as Error).message.split('\n')[0]}); give a JSON file as docs/latency.md describes`);
  }
  const r = LatencyTableSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ConfigError(`latency table ${path}: field ${issue.path.join('.') || '(top level)'}: ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)} (format: docs/latency.md)`);
  }
  const { format: _f, version: _v, ...table } = r.data;
  return { ...table, source: path };
}

function writeTable(path: string, table: LatencyTable): void {
  const { source: _s, ...rest } = table;
  writeFileSync(path, `${JSON.stringify({ format: 'autoshrink-latency-table', version: 1, ...rest }, null, 1)}\n`);
}

/**
 * The latency table a run of `config` on `model` uses, or undefined when its budget does not count latency:
 * `--latency-table`'s file, else the workdir's cache completed by timing what it lacks on the current backend.
 */
export async function latencyTableFor(config: RunConfig, space: SearchSpace, model: tf.LayersModel, workdir: string, backend: string, onEvent?: (e: RunEvent) => void): Promise<LatencyTable | undefined> {
  if (!needsLatency(config)) return undefined;
  // a time is taken at one input size (here, and in the final stage's check of the built model)
  const input = model.inputs[0].shape.slice(1);
  if (input.some((d) => d === null)) {
    throw new ConfigError(`a latency budget times the model at one input size, but its input [${input.map((d) => d ?? 'null').join(', ')}] leaves a size open; save the model with a fixed input shape (e.g. the data's sequence length)`);
  }
  if (config.latencyTable) {
    const table = readLatencyTable(config.latencyTable);
    if (table.batch !== config.latencyBatch) {
      throw new ConfigError(`latency table ${config.latencyTable} was timed at batch ${table.batch}, the run asks --latency-batch ${config.latencyBatch}; give the same`);
    }
    return table;
  }
  const key = { model: modelKey(config, model), backend, machine: machineKey() };
  const dir = join(workdir, 'latency');
  // the method's version is in the key: a table timed by an older method (not interleaved, not calibrated) is not reused
  const file = join(dir, `${createHash('sha256').update(JSON.stringify([key, config.latencyBatch, TABLE_METHOD])).digest('hex').slice(0, 16)}.json`);
  const cached = existsSync(file) ? readLatencyTable(file) : undefined;
  const ratios = [...new Set(candidateSpecs(space).map(preserveOf))];
  let last = 0;
  const table = await measureLatencyTable({
    model,
    space: new ChannelSpace(model, compressibleLayers(model)),
    ratios,
    batch: config.latencyBatch,
    key,
    known: cached?.layers,
    knownScale: cached?.scale,
    onProgress: (done, total) => {
      if (cached || done - last < 200) return;
      last = done;
      onEvent?.({ type: 'log', level: 'info', message: `latency table: ${done}/${total} layer shapes timed on ${backend}` });
    },
  });
  // a cached table keeps its own whole-model time: a fresh one would move every stored prediction of the key
  const out = cached ? { ...table, fullMs: cached.fullMs, constantMs: cached.constantMs } : table;
  mkdirSync(dir, { recursive: true });
  writeTable(file, out);
  onEvent?.({ type: 'log', level: 'info', message: `latency table: ${cached ? 'read' : 'timed'} ${Object.values(out.layers).reduce((n, r) => n + Object.keys(r).length, 0)} layer shapes on ${backend} (${file}); the uncompressed model takes ${out.fullMs.toFixed(3)} ms per batch of ${config.latencyBatch}` });
  return { ...out, source: file };
}
