/**
 * The abits knob's flags: `--knobs ...,abits`, its range `--abits MIN-MAX` (2..8, default 2-8), and `abits:N` in a
 * pin; a pin outside 2..8 is refused in one line.
 */
import test from 'ava';
import yargs from 'yargs';
import { configFromArgs, searchOptions } from '../../cli/search-options.js';
import { searchSpace } from '../../run/environment.js';

const parse = async (argv: string[]) => configFromArgs((await searchOptions(yargs(argv)).parse()) as Record<string, unknown>);

test('--knobs bits,abits --abits 4-8 sets the knob and its range; by default the knob is off and its range is 2-8', async (t) => {
  const c = await parse(['--knobs', 'bits,abits', '--abits', '4-8', '--budget', 'bitops:0.25']);
  t.deepEqual(c.knobs, ['bits', 'abits']);
  t.deepEqual(c.abitBounds, [4, 8]);
  t.deepEqual(searchSpace(c).bounds.abits, [4, 8]);
  const d = await parse([]);
  t.false(d.knobs.includes('abits'));
  t.deepEqual(d.abitBounds, [2, 8]);
});

test('a pin sets activation bits with abits:N; outside 2..8 (flag or pin) it is one line', async (t) => {
  const c = await parse(['--pin', 'first=bits:8,abits:4']);
  t.deepEqual(c.pin.first, { bits: 8, activationBits: 4 });
  const pin = await t.throwsAsync(parse(['--pin', 'first=bits:8,abits:9']));
  t.regex(pin!.message, /abits.*2 to 8/);
  t.false(pin!.message.includes('\n'));
  await t.throwsAsync(parse(['--abits', '1-8']), { message: /^--abits 1-8: number must be greater than or equal to 2/ });
});
