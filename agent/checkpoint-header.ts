/**
 * The header check every agent's `restore` starts with: one place that says which checkpoints an agent takes back,
 * so a new checkpoint version or agent kind is refused the same way everywhere.
 */
import { ConfigError } from '../errors.js';
import type { AgentCheckpoint, AgentKind } from './agent.js';

/** How the error message names each kind's checkpoint. */
const LABEL: Record<AgentKind, string> = { ddpg: 'DDPG agent', random: 'random-search', uniform: 'uniform-agent' };

/** Throws ConfigError unless `cp` is a version 1 autoshrink agent checkpoint of `kind`. */
export function checkCheckpointHeader(cp: AgentCheckpoint, kind: AgentKind): void {
  if (cp.format !== 'autoshrink-agent' || cp.version !== 1 || cp.kind !== kind) {
    throw new ConfigError(`not a version 1 ${LABEL[kind]} checkpoint (got ${cp.format} v${cp.version} ${cp.kind})`);
  }
}
