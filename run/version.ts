/** autoshrink's version and the versions a run records as provenance. */
import * as tf from '../tfjs.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** autoshrink's version, from the package.json above this file (run/ in the sources, dist/run/ when built). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'autoshrink' && pkg.version) return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

export const AUTOSHRINK_VERSION: string = packageVersion();

export function versions() {
  return { autoshrink: AUTOSHRINK_VERSION, tfjs: tf.version.tfjs, node: process.versions.node };
}
