#!/usr/bin/env node
/**
 * The autoshrink command line. Commands are registered explicitly, one module each (commandDir is unreliable under
 * ES modules). Errors: an InputError prints its one line and exits 2; anything else exits 1 (with the stack only
 * when AUTOSHRINK_DEBUG is set).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, InputError, isInputError } from '../errors.js';
import { applyCommand } from './commands/apply.js';
import { baselineCommand } from './commands/baseline.js';
import { evaluateCommand } from './commands/evaluate.js';
import { exportCommand } from './commands/export.js';
import { reportCommand } from './commands/report.js';
import { resumeCommand } from './commands/resume.js';
import { runsCommand } from './commands/runs.js';
import { searchCommand } from './commands/search.js';
import { workerCommand } from './commands/worker.js';
import { globalOptions } from './global-options.js';

/** A usage problem yargs found (unknown flag, missing command): one line, exit 2, before any command runs. */
class UsageError extends InputError {}

export async function main(argv: string[]): Promise<number> {
  const parser = globalOptions(yargs(argv))
    .scriptName('autoshrink')
    .usage('$0 <command> [options]\n\nSearch per-layer bits, pruning and clusters for a TensorFlow.js model under a budget.')
    .command(searchCommand)
    .command(resumeCommand)
    .command(runsCommand)
    .command(exportCommand)
    .command(reportCommand)
    .command(applyCommand)
    .command(baselineCommand)
    .command(evaluateCommand)
    .command(workerCommand)
    .middleware(refuseRepeatedFlags, true)
    .demandCommand(1, 'name a command, e.g. `autoshrink search`; see `autoshrink --help`')
    .strict()
    .recommendCommands()
    .wrap(Math.min(120, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      // throw, not just record: a fail handler that returns lets yargs run the command anyway (a whole search
      // before 'Unknown argument' was printed)
      throw new UsageError(msg);
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    if (isInputError(e)) {
      // one line, always: a message may quote a parser's multi-line text (e.g. JSON.parse of a corrupt file)
      process.stderr.write(`error: ${e.message.replace(/\s*\n\s*/g, ' ')}\n`);
      return 2;
    }
    if (process.env.AUTOSHRINK_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    else process.stderr.write(`internal error: ${(e as Error).message} (set AUTOSHRINK_DEBUG=1 for the stack trace)\n`);
    return 1;
  }
  return 0;
}

/**
 * yargs turns a repeated flag into an array, which the config check then reports as "Expected string, received
 * array". Say what happened instead. Options declared as arrays (--exclude, --pin, positional lists) may repeat.
 */
function refuseRepeatedFlags(argv: Record<string, unknown>, y?: { getOptions(): { array: string[] } }): void {
  // yargs passes itself as the second argument (its typings leave it out)
  const arrays = new Set(y?.getOptions().array ?? []);
  for (const [key, value] of Object.entries(argv)) {
    if (key === '_' || key === '$0' || !Array.isArray(value) || arrays.has(key)) continue;
    const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    if (arrays.has(flag)) continue;
    throw new ConfigError(`--${flag} was given ${value.length} times (${value.join(', ')}); give it once`);
  }
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`internal error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
