/** A stored strategy back into the LayerSpecs the learners take, with the run's fixed settings. */
import type { LayerSpec } from '../../learners/types.js';
import type { RunConfig } from '../config.js';
import { searchSpace } from '../environment.js';
import type { Strategy } from './strategy.js';

/** A stored strategy entry back into a full LayerSpec with the run's settings (a preserve ratio below 1 and
 * activation bits kept). */
export function toSpecs(entries: Array<{ bits: number; pruneRatio: number; clusters: number; preserveRatio?: number; activationBits?: number }>, settings: Strategy['settings']): LayerSpec[] {
  const { channelMethod: _method, bnBatches: _bn, ...base } = settings;
  return entries.map((e) => ({
    ...base,
    bits: e.bits,
    pruneRatio: e.pruneRatio,
    clusters: e.clusters,
    ...(e.preserveRatio !== undefined && e.preserveRatio < 1 ? { preserveRatio: e.preserveRatio } : {}),
    ...(e.activationBits !== undefined ? { activationBits: e.activationBits } : {}),
  }));
}

/** What a strategy file records of the run's fixed settings (everything the agent does not choose). */
export function settingsOf(config: RunConfig): Strategy['settings'] {
  const base = searchSpace(config).base;
  return {
    pruneKind: base.pruneKind,
    clusterInit: base.clusterInit,
    preserveSparsity: base.preserveSparsity,
    quantKind: base.quantKind,
    bucket: base.bucket,
    bucketSize: base.bucketSize ?? 256,
    bnBatches: config.bnBatches,
  };
}
