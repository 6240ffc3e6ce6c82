/**
 * What a web page downloads to run a model.ashk, besides tfjs: the runtime bundled by esbuild (minified, names kept,
 * tfjs excluded) and gzipped, with the largest parts; beside it tfjs's own browser bundles a page needs for it
 * (tfjs-core, its cpu backend, tfjs-layers; the umbrella's tf.min.js, every backend, is not installed), gzipped, for scale.
 * The test test/runtime/runtime-bundle-size.test.ts holds the runtime to at most 20000 bytes gzipped.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { bundleRuntime } from './runtime-bundle.js';
import { table, writeResults } from './common.js';

const bundle = await bundleRuntime();
const TFJS_BUNDLES = ['tfjs-core/dist/tf-core.min.js', 'tfjs-backend-cpu/dist/tf-backend-cpu.min.js', 'tfjs-layers/dist/tf-layers.min.js'];
const tfjs = Buffer.concat(TFJS_BUNDLES.map((b) => readFileSync(new URL(`../node_modules/@tensorflow/${b}`, import.meta.url))));
const body = [
  `The runtime (autoshrink/runtime, runtime/index.ts) bundled: ${bundle.minifiedBytes} bytes minified, **${bundle.gzipBytes} bytes gzipped** (goal: at most 20000). ` +
    `tfjs's own browser bundles for it (tf-core, tf-backend-cpu and tf-layers .min.js) are ${tfjs.length} bytes, ${gzipSync(tfjs, { level: 9 }).length} gzipped, for scale.`,
  '',
  'The largest parts of the bundle (bytes of minified output):',
  '',
  table(['input', 'bytes'], bundle.inputs.slice(0, 12).map(([file, bytes]) => [file, bytes])),
].join('\n');
writeResults('bench/results/runtime-size.md', 'Size of the browser runtime for model.ashk', 'npx tsx bench/runtime-size.ts', body);
