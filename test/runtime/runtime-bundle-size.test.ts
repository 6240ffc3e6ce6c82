/**
 * What a web page downloads besides tfjs and the model: the runtime, bundled and minified, must stay at most 20 kB
 * gzipped (20000 bytes), import nothing (no `node:` module, no tfjs code), and bundle no schema library.
 */
import test from 'ava';
import { bundleRuntime } from '../../bench/runtime-bundle.js';

test('the runtime bundle, minified and gzipped, is at most 20000 bytes and imports nothing', async (t) => {
  const bundle = await bundleRuntime();
  t.log(`runtime: ${bundle.minifiedBytes} bytes minified, ${bundle.gzipBytes} gzipped`);
  t.true(bundle.gzipBytes <= 20000, `${bundle.gzipBytes} bytes gzipped`);
  t.false(/\bimport\s*[{*\w][^;]*from\s*["']|\bimport\(["']/.test(bundle.code), 'a self-contained module: no import left');
  t.false(bundle.inputs.some(([file]) => /node_modules\/(zod|@tensorflow)\//.test(file)), bundle.inputs.map(([f]) => f).join(', '));
});
