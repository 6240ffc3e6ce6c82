/**
 * What the package ships beside its code: the JSON Schemas generated from the zod validators (committed, so they
 * must be regenerated when a schema changes), reachable through package.json `exports`; its licence; and the list of
 * slow test files `npm run test:unit` leaves out.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedSchemas } from '../scripts/generate-schemas.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { license: string; files: string[]; ava: { timeout: string } };

for (const { path, text } of generatedSchemas()) {
  test(`${path} is what the zod schemas generate today (else: npm run schemas, and commit it)`, (t) => {
    t.is(readFileSync(join(repo, path), 'utf8'), text);
  });
}

test('both schemas are reachable through the package exports as autoshrink/schema/<name>, and shipped', (t) => {
  // a package may import itself by its name through its own exports
  const require = createRequire(import.meta.url);
  for (const name of ['strategy.schema.json', 'run-config.schema.json']) {
    t.is(require.resolve(`autoshrink/schema/${name}`), join(repo, 'schema', name));
  }
  t.true(pkg.files.includes('schema'));
});

test('the LICENSE file is the MIT licence package.json names, held by the autoshrink authors', (t) => {
  const license = readFileSync(join(repo, 'LICENSE'), 'utf8');
  t.is(pkg.license, 'MIT');
  t.regex(license, /^MIT License\n\nCopyright \(c\) \d{4} the autoshrink authors\n/);
});

test('every test file that npm run test:unit leaves out exists, and the unit run keeps the whole suite settings', async (t) => {
  const config = '../ava.unit.config.js';
  const unit = (await import(config)) as { NOT_UNIT: Record<string, string>; default: { files: string[]; timeout: string } };
  const missing = Object.keys(unit.NOT_UNIT).filter((file) => !existsSync(join(repo, file)));
  t.deepEqual(missing, [], 'renamed or removed: update ava.unit.config.js');
  t.is(unit.default.timeout, pkg.ava.timeout);
  t.true(unit.default.files.includes('!test/run/search.test.ts'));
});
