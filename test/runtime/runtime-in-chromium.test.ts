/**
 * model.ashk in a web page: headless Chromium (test/helpers/chromium.ts) opens pages served by a local node:http
 * server, loads tfjs's own browser bundles (tfjs-core, its cpu backend and tfjs-layers: the runtime's peer dependencies,
 * as autoshrink installs them) and the runtime bundle, reads lenet5's model.ashk with
 * `tf.loadLayersModel(ashk(url))` and predicts 200 MNIST test images. With the cpu backend on both sides the
 * predictions equal Node's within 1e-5; a forged file raises the runtime's ModelError in the page; and
 * docs/browser-example.html, served as a user would serve it, runs with no console error.
 */
import test from 'ava';
import * as tf from '../../tfjs.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { selectBackend } from '../../env/backend.js';
import { loadDataset } from '../../env/data/load-dataset.js';
import { loadPackedModel } from '../../run/final/model-files.js';
import { launchChromium } from '../helpers/chromium.js';
import { forge, lenet5File } from '../helpers/packed-files.js';
import { bundleRuntime } from '../../bench/runtime-bundle.js';

const IMAGES = 200;
/** The page's tfjs: each UMD bundle adds to the global `tf`, as the umbrella's tf.min.js would (which autoshrink no longer installs). */
const TFJS_BUNDLES = ['tfjs-core/dist/tf-core.min.js', 'tfjs-backend-cpu/dist/tf-backend-cpu.min.js', 'tfjs-layers/dist/tf-layers.min.js'];
const repo = fileURLToPath(new URL('../..', import.meta.url));

let browser: Browser | undefined;
let server: Server | undefined;
let origin = '';
let dir = '';
let expected: Float32Array;
const served: string[] = [];

test.before(async () => {
  await selectBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'autoshrink-page-'));
  const file = await lenet5File();
  const path = join(dir, 'model.ashk');
  writeFileSync(path, file);
  const images = loadDataset('mnist', { seed: 1 }).test.x.slice(0, IMAGES * 784);
  const model = await loadPackedModel(path);
  const y = tf.tidy(() => model.predict(tf.tensor4d(images, [IMAGES, 28, 28, 1])) as tf.Tensor);
  expected = (await y.data()) as Float32Array;
  y.dispose();
  model.dispose();

  const files: Record<string, { body: Uint8Array | string; type: string }> = {
    '/tf.min.js': { body: TFJS_BUNDLES.map((b) => readFileSync(join(repo, 'node_modules/@tensorflow', b), 'utf8')).join('\n'), type: 'text/javascript' },
    '/autoshrink-runtime.js': { body: (await bundleRuntime()).code, type: 'text/javascript' },
    '/model.ashk': { body: file, type: 'application/octet-stream' },
    '/forged.ashk': { body: forge(file, (h) => (h.tensors[1].shape = [2 ** 14, 2 ** 13])), type: 'application/octet-stream' },
    '/images.bin': { body: new Uint8Array(images.buffer, images.byteOffset, images.byteLength), type: 'application/octet-stream' },
    '/blank.html': { body: '<!doctype html><meta charset="utf-8"><title>blank</title><link rel="icon" href="data:,"><script src="/tf.min.js"></script>', type: 'text/html' },
    '/browser-example.html': { body: readFileSync(join(repo, 'docs/browser-example.html')), type: 'text/html' },
  };
  server = createServer((req, res) => {
    served.push(req.url ?? '');
    const f = files[new URL(req.url ?? '/', 'http://x').pathname];
    res.writeHead(f ? 200 : 404, { 'content-type': f?.type ?? 'text/plain' });
    res.end(f?.body ?? 'not found');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Open the blank page (tfjs on its cpu backend) and run `body` there, an async function's text given `ashk`. */
async function inPage<T>(body: string): Promise<{ value: T; problems: string[] }> {
  const tab = await browser!.newPage();
  const problems: string[] = [];
  tab.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
  tab.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await tab.goto(`${origin}/blank.html`, { waitUntil: 'load' });
  // a string, evaluated in the page (this project's TypeScript has no DOM lib)
  const value = (await tab.evaluate(`(async () => {
    const { ashk, ModelError } = await import('/autoshrink-runtime.js');
    await tf.setBackend('cpu');
    ${body}
  })()`)) as T;
  await tab.close();
  return { value, problems };
}

test(`lenet5's model.ashk loads in Chromium and its ${IMAGES} predictions equal Node's within 1e-5 (cpu backend on both sides)`, async (t) => {
  const { value, problems } = await inPage<{ backend: string; values: number[]; weights: number }>(`
    const model = await tf.loadLayersModel(ashk('/model.ashk'));
    const x = new Float32Array(await (await fetch('/images.bin')).arrayBuffer());
    const y = model.predict(tf.tensor4d(x, [${IMAGES}, 28, 28, 1]));
    return { backend: tf.getBackend(), values: Array.from(await y.data()), weights: model.countParams() };
  `);
  t.deepEqual(problems, [], served.join(' '));
  t.is(value.backend, 'cpu');
  t.is(value.weights, 61706, 'lenet5: 61706 weights');
  t.is(value.values.length, IMAGES * 10);
  const worst = value.values.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i])), 0);
  t.log(`largest difference from Node: ${worst}`);
  t.true(worst <= 1e-5, `largest difference ${worst}`);
});

test('a forged model.ashk (shapes of 2^27 weights) raises the runtime\'s ModelError in the page, and a missing one names HTTP 404', async (t) => {
  const { value } = await inPage<Array<{ name: string; isModelError: boolean; message: string }>>(`
    const out = [];
    for (const url of ['/forged.ashk', '/missing.ashk']) {
      try {
        await tf.loadLayersModel(ashk(url));
        out.push({ name: 'none', isModelError: false, message: 'loaded' });
      } catch (e) {
        out.push({ name: e.name, isModelError: e instanceof ModelError, message: e.message });
      }
    }
    return out;
  `);
  t.like(value[0], { name: 'ModelError', isModelError: true });
  t.regex(value[0].message, /^packed model header's shapes hold more than 67108864 weights/);
  t.like(value[1], { name: 'ModelError', isModelError: true });
  t.regex(value[1].message, /HTTP 404/);
});

test('docs/browser-example.html, served beside tfjs, the runtime and a model.ashk, predicts with no console error', async (t) => {
  const tab = await browser!.newPage();
  const problems: string[] = [];
  tab.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
  tab.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await tab.goto(`${origin}/browser-example.html`, { waitUntil: 'load' });
  await tab.waitForFunction('document.querySelector("#out").dataset.done === "yes"', { timeout: 60000 });
  const out = (await tab.evaluate('document.querySelector("#out").textContent')) as string;
  await tab.close();
  t.deepEqual(problems, []);
  t.regex(out, /^loaded model\.ashk: 61706 weights/m);
  t.regex(out, /^predicted class: \d/m);
});
