/**
 * The browser runtime as a page gets it: runtime/index.ts bundled by esbuild (installed with tsx) into one minified
 * ES module, tfjs left out (the runtime imports only its types, so nothing of tfjs is left to exclude), names kept so
 * an error in the page is still a `ModelError`.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const RUNTIME_ENTRY = fileURLToPath(new URL('../runtime/index.ts', import.meta.url));

export interface RuntimeBundle {
  code: string;
  minifiedBytes: number;
  gzipBytes: number;
  /** Bytes of output per input file, largest first. */
  inputs: Array<[string, number]>;
}

export async function bundleRuntime(): Promise<RuntimeBundle> {
  const result = await build({
    entryPoints: [RUNTIME_ENTRY],
    bundle: true,
    minify: true,
    keepNames: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    external: ['@tensorflow/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  const output = Object.values(result.metafile.outputs)[0];
  const inputs = Object.entries(output.inputs)
    .map(([file, v]): [string, number] => [file.replace(/^.*node_modules\//, 'node_modules/'), v.bytesInOutput])
    .sort((a, b) => b[1] - a[1]);
  return { code, minifiedBytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length, inputs };
}
