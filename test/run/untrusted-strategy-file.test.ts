/** Strategy files from elsewhere: refused in one line before they are read whole, when they cannot be strategies. */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrategyError } from '../../errors.js';
import { loadStrategy } from '../../run/final/strategy.js';

const dir = mkdtempSync(join(tmpdir(), 'autoshrink-untrusted-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test('a 17 MiB "strategy" is refused by its size, in one line', (t) => {
  const path = join(dir, 'huge.json');
  writeFileSync(path, Buffer.alloc(17 << 20, 32));
  const e = t.throws(() => loadStrategy(path), { instanceOf: StrategyError, message: /more than any strategy/ });
  t.false(e!.message.includes('\n'));
});

test('a strategy with a fractional kernel shape is refused naming the field', (t) => {
  const path = join(dir, 'fraction.json');
  writeFileSync(path, JSON.stringify({ format: 'autoshrink-strategy', version: 1, model: { name: 'm', hash: 'h', layers: [{ name: 'fc', kind: 'dense', shape: [2.5, 3] }] } }));
  t.throws(() => loadStrategy(path), { instanceOf: StrategyError, message: /field model\.layers\[0\]\.shape\[0\]/ });
});
