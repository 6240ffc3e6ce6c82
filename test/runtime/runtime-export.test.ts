/**
 * The package's `autoshrink/runtime` subpath, as a user's bundler or Node resolves it after `npm install`: the built
 * dist/runtime/index.js (the package refers to itself by name through its `exports`), with `ashk` and its ModelError.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';

test("import('autoshrink/runtime') resolves to dist/runtime/index.js and exports ashk, readAshk and ModelError", async (t) => {
  const url = import.meta.resolve('autoshrink/runtime');
  t.is(fileURLToPath(url), fileURLToPath(new URL('../../dist/runtime/index.js', import.meta.url)));
  const runtime = (await import(url)) as Record<string, unknown>;
  t.is(typeof runtime.ashk, 'function');
  t.is(typeof runtime.readAshk, 'function');
  t.is((runtime.ModelError as { name: string }).name, 'ModelError');
});
