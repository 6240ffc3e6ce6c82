/**
 * The built command (`dist/cli/main.js`, what `npx autoshrink` runs after `npm install`), not the sources through tsx:
 * catches what only breaks once compiled (paths relative to the source tree, .tsx output, the shebang).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpDir } from '../helpers/tmp-dir.js';

const run = (args: string[]) => spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });

test('the built bin starts with a node shebang and prints its version from package.json', (t) => {
  t.true(readFileSync('dist/cli/main.js', 'utf8').startsWith('#!/usr/bin/env node'));
  const r = run(['--version']);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.trim(), (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
});

test('the built bin lists its commands and loads every command module', (t) => {
  const r = run(['--help']);
  t.is(r.status, 0, r.stderr);
  for (const c of ['search', 'resume', 'runs', 'export', 'apply', 'baseline', 'evaluate']) t.regex(r.stdout, new RegExp(`autoshrink ${c}`));
  const list = run(['runs', 'list', '--workdir', tmpDir(t)]);
  t.is(list.status, 2);
  t.regex(list.stderr, /^error: no runs yet in .*; start one with autoshrink search\n$/);
});
