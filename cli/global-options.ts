/**
 * Options every command takes, and the setup they imply (backend choice, work directory).
 */
import type { Argv } from 'yargs';
import { BACKEND_CHOICES } from '../run/choices.js';

export interface GlobalArgs {
  workdir: string;
  seed: number;
  backend: string;
  json: boolean;
  quiet: boolean;
}

export function globalOptions<T>(y: Argv<T>) {
  return y
    .option('workdir', { type: 'string', default: '.autoshrink', describe: 'Where cached baselines, runs.db and outputs live', global: true })
    .option('seed', { type: 'number', default: 1, describe: 'Seed for every random choice (splits use --data-seed)', global: true })
    .option('backend', { type: 'string', default: 'auto', choices: [...BACKEND_CHOICES], describe: 'tfjs backend: auto = node if installed, else wasm', global: true })
    .option('json', { type: 'boolean', default: false, describe: 'One JSON object per line on stdout, nothing else', global: true })
    .option('quiet', { type: 'boolean', default: false, describe: 'Only errors and the final result', global: true });
}

/** Select the backend and say which (on stderr, so stdout stays clean for --json). */
export async function setupBackend(args: GlobalArgs): Promise<string> {
  // tfjs loads here, in the commands that compute, not for --help or a flag error
  const { useBackend } = await import('../run/backend.js');
  const chosen = await useBackend(args.backend);
  if (!args.quiet && !args.json) process.stderr.write(`backend: ${chosen.name} (${chosen.reason})\n`);
  return chosen.name;
}
