/**
 * The harness's rows file: a restarted benchmark keeps the finished rows whose run config is unchanged, runs the
 * failed and changed ones again, and survives a torn last line; --fresh moves the old file aside.
 */
import test from 'ava';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendRow, openRows, readRows, type Row } from '../../bench/search-quality/rows.js';

const header = { command: 'npx tsx bench/search-quality.ts --seeds 6', started: 'then', commit: 'abc' };
const row = (id: string, input: Record<string, unknown>, status: Row['status'] = 'ok'): Row => ({ id, model: 'lenet5', regime: 'r', planner: 'p', seed: 6, status, input, finals: [0.9] });

test('a restart keeps 1 of 3 rows: the failed one and the one whose episodes changed run again; a torn line is dropped', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sq-rows-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'x.rows.jsonl');
  openRows(path, header, [], false);
  appendRow(path, row('a', { episodes: 100, seed: 6 }));
  appendRow(path, row('b', { episodes: 100 }, 'failed'));
  appendRow(path, row('c', { episodes: 100 }));
  appendFileSync(path, '{"id":"d","model":"len'); // killed mid-write
  const jobs = [
    { id: 'a', input: { seed: 6, episodes: 100 } }, // same config, keys in another order
    { id: 'b', input: { episodes: 100 } },
    { id: 'c', input: { episodes: 300 } },
    { id: 'd', input: {} },
  ];
  const { kept, dropped } = openRows(path, header, jobs, false);
  t.deepEqual(kept.map((r) => r.id), ['a']);
  t.is(dropped, 2);
  t.is(readRows(path).rows.length, 3, 'the torn line is not read as a row');
});

test("a time-matched row is kept whatever episode count its measured time gave it", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sq-rows-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'x.rows.jsonl');
  openRows(path, header, [], false);
  appendRow(path, { ...row('m', { agent: 'local', episodes: 137 }), matchedSeconds: 300 });
  const { kept } = openRows(path, header, [{ id: 'm', input: { agent: 'local', episodes: 100 }, matches: {} }], false);
  t.deepEqual(kept.map((r) => r.id), ['m']);
});

test('--fresh moves the old rows file aside and keeps nothing', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sq-rows-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'x.rows.jsonl');
  openRows(path, header, [], false);
  appendRow(path, row('a', {}));
  const { kept } = openRows(path, header, [{ id: 'a', input: {} }], true);
  t.is(kept.length, 0);
  t.true(existsSync(path));
  t.is(readdirSync(dir).filter((f) => f.includes('.old-')).length, 1);
});
