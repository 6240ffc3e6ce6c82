/**
 * What the package ships beside its code: the JSON Schemas generated from the zod validators (committed, so they
 * must be regenerated when a schema changes), reachable through package.json `exports`; and its licence.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedSchemas } from '../scripts/generate-schemas.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { license: string; files: string[] };

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
