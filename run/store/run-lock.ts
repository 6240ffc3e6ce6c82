/**
 * One writer per run: the process running a run is recorded with it (`Store.lockRun`), and another process that asks
 * for the run while that one lives is refused, by name. A lock whose process is gone (killed, crashed) is stale and
 * taken over: the pid is checked on this host with signal 0. A holder on another host cannot be checked from here.
 */
import { RunNotFoundError } from '../../errors.js';

/** The process running a run, its one writer. */
export interface RunHolder {
  pid: number;
  host: string;
  /** When it took the run, ISO 8601. */
  since: string;
}

/** Whether a process of this host is alive (EPERM: alive, but another user's). */
export function isRunning(pid: number): boolean {
  try {
    return process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Throws, in one line naming it, when `held` is a live process other than a stale lock; `host` is this host. */
export function refuseLiveHolder(runId: string, held: RunHolder | undefined, host: string): void {
  if (!held || (held.host === host && !isRunning(held.pid))) return;
  const where = held.host === host ? `on this host (${host})` : `on host ${held.host}, which cannot be checked from here`;
  throw new RunNotFoundError(
    `run ${runId} is being run by process ${held.pid} ${where} since ${held.since}; stop that process first, or wait for it to finish`,
  );
}
