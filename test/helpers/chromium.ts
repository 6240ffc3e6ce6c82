/**
 * Headless Chromium for the browser tests: Debian's `chromium` (which .ci/run installs), driven by puppeteer-core,
 * which downloads nothing. Without one the tests fail and say how to get it.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

/** $CHROMIUM_PATH, else the first Chromium or Chrome on PATH. */
export function findChromium(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** A headless Chromium, or an error that says how to install one. */
export async function launchChromium(): Promise<Browser> {
  const chromium = findChromium();
  if (chromium === null) {
    throw new Error('headless Chromium not found: install it (apt-get install -y --no-install-recommends chromium, as .ci/run does) or set CHROMIUM_PATH');
  }
  // as root (CI) Chromium's sandbox needs --no-sandbox; /dev/shm is small in containers
  return puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
