/**
 * The search flags as derived from the run config schema: help, the flags -> config mapping, and errors that name
 * the flag the user typed. In-process through yargs, plus two checks of the real CLI's exit code.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { configFromArgs, optionOf, searchOptions } from '../../cli/search-options.js';
import { ConfigError } from '../../errors.js';
import { CONFIG_FIELDS } from '../../run/config.js';
import { tmpDir } from '../helpers/tmp-dir.js';

const parse = async (argv: string[]) => configFromArgs((await searchOptions(yargs(argv)).parse()) as Record<string, unknown>);

test('help lists every schema field as its flag, with its doc and its default', async (t) => {
  const help = await searchOptions(yargs([]).wrap(120)).getHelp();
  // one block per option (its line starts with two spaces and --), whitespace folded so wrapped lines read as one
  const blocks = new Map(
    help
      .split(/\n(?= {2}--)/)
      .map((b) => b.replace(/\s+/g, ' ').trim())
      .filter((b) => b.startsWith('--'))
      .map((b) => [b.split(' ')[0], b]),
  );
  for (const f of CONFIG_FIELDS) {
    if (f.spec.global) {
      t.false(blocks.has(`--${f.flag}`), `--${f.flag} is a global option`);
      continue;
    }
    const block = blocks.get(`--${f.flag}`);
    t.truthy(block, `--${f.flag} is listed`);
    t.true(block!.includes(f.doc.replace(/\s+/g, ' ')), `--${f.flag} shows its doc`);
    t.true(block!.includes(`[default: ${f.defaultText}]`), `--${f.flag} shows [default: ${f.defaultText}]: ${block}`);
  }
  t.true(blocks.get('--bits')!.includes('[default: 1-8]'));
  t.true(blocks.get('--warmup')!.includes('[default: a fifth of --episodes, at most 20]'));
});

test('choices come from the schema enums', (t) => {
  const agent = CONFIG_FIELDS.find((f) => f.key === 'agent')!;
  t.deepEqual(optionOf(agent).choices, ['ddpg', 'random', 'uniform', 'greedy', 'knapsack', 'local', 'plan']);
  t.is(optionOf(CONFIG_FIELDS.find((f) => f.key === 'episodes')!).type, 'number');
  t.is(optionOf(CONFIG_FIELDS.find((f) => f.key === 'pin')!).type, 'array');
});

test('flags become config fields: ranges, lists, repeats, numbers or words, negated booleans', async (t) => {
  const c = await parse([
    '--bits', '3-6', '--prune', '0.1-0.5', '--knobs', 'bits, clusters', '--hidden', '32,16', '--pin', 'first=8', '--pin', 'fc2=bits:4,prune:0.5',
    '--exclude', 'fc1', '--exclude', 'fc3', '--updates-per-episode', '4', '--no-preserve-sparsity', '--policy-every', '0', '--episodes', '12',
    '--noise-final', '0.1', '--rerank-top', '0', '--workers', '2', '--queue', 'redis://127.0.0.1:6390',
  ]);
  t.like(c, {
    bitBounds: [3, 6], pruneBounds: [0.1, 0.5], knobs: ['bits', 'clusters'], hidden: [32, 16], exclude: ['fc1', 'fc3'],
    pin: { first: { bits: 8 }, fc2: { bits: 4, pruneRatio: 0.5 } }, updatesPerEpisode: 4, preserveSparsity: false, policyEvery: 0,
    episodes: 12, noiseFinal: 0.1, rerankTop: 0, workers: 2, queue: 'redis://127.0.0.1:6390',
  });
  t.is((await parse(['--updates-per-episode', 'per-transition'])).updatesPerEpisode, 'per-transition');
  t.is((await parse([])).bitBounds.join('-'), '1-8', 'no flag, the default');
});

test('--bits 9-2 names --bits as typed; a bad range form says MIN-MAX; a bad number names its flag', async (t) => {
  await t.throwsAsync(parse(['--bits', '9-2']), { instanceOf: ConfigError, message: '--bits 9-2: min must not exceed max' });
  await t.throwsAsync(parse(['--bits', '2-9']), { message: /^--bits 2-9: number must be less than or equal to 8/ });
  await t.throwsAsync(parse(['--clusters', 'lots']), { message: '--clusters lots: give a range MIN-MAX, e.g. --clusters 2-8' });
  await t.throwsAsync(parse(['--episodes', 'many']), { message: '--episodes: give a number' });
  await t.throwsAsync(parse(['--finetune-steps', '-3']), { message: /^--finetune-steps -3: number must be greater than or equal to 0/ });
  await t.throwsAsync(parse(['--pin', 'first']), { message: /^--pin first: use NAME=BITS/ });
  await t.throwsAsync(parse(['--updates-per-episode', 'often']), { message: /^--updates-per-episode often: / });
});

test('--config file.json: flags win over the file; a bad file field is named as the field of that file', async (t) => {
  const dir = tmpDir(t);
  const path = join(dir, 'run.json');
  writeFileSync(path, JSON.stringify({ episodes: 40, warmup: 12, bitBounds: [3, 7], seed: 7 }));
  const c = configFromArgs({ ...(await searchOptions(yargs(['--config', path, '--episodes', '50'])).parse()), seed: 1 } as Record<string, unknown>);
  t.like(c, { episodes: 50, warmup: 12, bitBounds: [3, 7], seed: 7 }, 'the file seed wins over the global default of --seed');
  writeFileSync(path, JSON.stringify({ bitBounds: [9, 2] }));
  await t.throwsAsync(parse(['--config', path]), { message: `config (${path} + flags): field bitBounds: min must not exceed max` });
});

const repo = fileURLToPath(new URL('../..', import.meta.url));

function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo, env: { ...process.env, FORCE_COLOR: '0' } }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr });
    });
  });
}

test('the CLI: --bits 9-2 and --warmup 50 --episodes 5 exit 2 with one line naming the flags', async (t) => {
  const workdir = tmpDir(t);
  const [bits, warmup] = await Promise.all([
    cli(['search', '--bits', '9-2', '--workdir', workdir]),
    cli(['search', '--warmup', '50', '--episodes', '5', '--workdir', workdir]),
  ]);
  t.is(bits.code, 2);
  t.is(bits.stderr, 'error: --bits 9-2: min must not exceed max\n');
  t.is(warmup.code, 2);
  t.is(warmup.stderr, 'error: --warmup 50 must be below --episodes 5: DDPG would never learn (lower --warmup or raise --episodes)\n');
});
