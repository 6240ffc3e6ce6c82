/**
 * The work directory holds cached baselines, runs.db and outputs. Checked before anything is trained or stored: a
 * `--workdir` naming a file used to train a baseline for minutes and then die on an internal ENOTDIR.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

/** Make sure `workdir` is a writable folder, creating it if missing; returns its absolute path. */
export function checkWorkdir(workdir: string): string {
  const dir = resolve(workdir);
  const stat = statIfAny(dir);
  if (stat && !stat.isDirectory()) {
    throw new ConfigError(`work directory ${dir} is a file, not a folder; pass a folder as --workdir (it is created if missing)`);
  }
  if (!stat) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new ConfigError(`cannot create work directory ${dir} (${reason(e)}); pass a folder you can write as --workdir`);
    }
  }
  // writing a file is the one test that cannot disagree with the writes to come (access() and mode bits can: root, ACLs)
  const probe = join(dir, `.write-check-${process.pid}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (e) {
    throw new ConfigError(`work directory ${dir} is not writable (${reason(e)}); pass a folder you can write as --workdir`);
  }
  return dir;
}

/** The folder's stat, or undefined when nothing is there (ENOENT) or a file stands in its path (ENOTDIR). */
function statIfAny(path: string) {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

function reason(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String((e as Error).message).split('\n')[0];
}
