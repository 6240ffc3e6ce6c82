/**
 * `--json`: one run event per line (NDJSON), exactly the `RunEvent` object the run emitted, so a consumer can type
 * it with `run/events.ts`. The fields of every event are listed in `cli/ui/EVENTS.md`.
 */

import type { RunEvent } from '../../run/events.js';

/** The event as one line of JSON, without the trailing newline (the writer adds it). */
export function jsonLine(event: RunEvent): string {
  return JSON.stringify(event);
}
