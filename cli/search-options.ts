/**
 * The search knobs as flags, derived from the run config schema (run/config.ts): one option per field, its type and
 * choices from the zod type, its help from the field's doc, its default shown as the schema's; and `--config
 * file.json` for all of them at once (flags given on the command line win over the file). No field is listed here.
 */
import type { Argv, Options } from 'yargs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { CONFIG_FIELDS, type ConfigField, parseRunConfig, readConfigFile, type RunConfig, type RunConfigKey } from '../run/config.js';

/** The value type under defaults, optionals and refinements. */
function baseOf(schema: z.ZodTypeAny): z.ZodTypeAny {
  if (schema instanceof z.ZodDefault) return baseOf(schema._def.innerType);
  if (schema instanceof z.ZodOptional) return baseOf(schema.unwrap());
  if (schema instanceof z.ZodEffects) return baseOf(schema.innerType());
  return schema;
}

/** The yargs option of one field. */
export function optionOf(f: ConfigField): Options {
  const base = baseOf(f.schema);
  const common: Options = { describe: f.doc, defaultDescription: f.defaultText };
  switch (f.spec.form) {
    case 'range':
    case 'list':
      return { ...common, type: 'string' };
    case 'repeat':
      return { ...common, type: 'array', string: true };
  }
  if (base instanceof z.ZodNumber) return { ...common, type: 'number' };
  if (base instanceof z.ZodBoolean) return { ...common, type: 'boolean' };
  if (base instanceof z.ZodEnum) return { ...common, type: 'string', choices: base.options as string[] };
  if (base instanceof z.ZodString || base instanceof z.ZodUnion) return { ...common, type: 'string' };
  throw new Error(`run config field ${f.key} (${base._def.typeName}) needs a flag form in run/config.ts`);
}

export function searchOptions<T>(y: Argv<T>) {
  let out: Argv<T> = y.option('config', { type: 'string', describe: 'JSON file with any run config fields (flags win)' });
  for (const f of CONFIG_FIELDS) if (!f.spec.global) out = out.option(f.flag, optionOf(f));
  return out;
}

function range(text: string, flag: string): [number, number] {
  const m = /^\s*([0-9.]+)\s*-\s*([0-9.]+)\s*$/.exec(text);
  if (!m) throw new ConfigError(`--${flag} ${text}: give a range MIN-MAX, e.g. --${flag} 2-8`);
  return [Number(m[1]), Number(m[2])];
}

/** A flag's value as yargs gave it, turned into the field's value; `text` is what the user typed, for errors. */
function fromFlag(f: ConfigField, raw: unknown): { value: unknown; text: string } {
  const base = baseOf(f.schema);
  switch (f.spec.form) {
    case 'range':
      return { value: range(String(raw), f.flag), text: String(raw) };
    case 'list': {
      const items = String(raw).split(',').map((s) => s.trim()).filter(Boolean);
      const numeric = base instanceof z.ZodArray && baseOf(base.element) instanceof z.ZodNumber;
      return { value: numeric ? items.map(Number) : items, text: String(raw) };
    }
    case 'repeat': {
      const items = (Array.isArray(raw) ? raw : [raw]).map(String);
      return { value: f.spec.parse ? f.spec.parse(items, f.flag) : items, text: items.join(' ') };
    }
  }
  if (typeof raw === 'number' && Number.isNaN(raw)) throw new ConfigError(`--${f.flag}: give a number`);
  // a union of a number and words (--updates-per-episode 8 | per-transition)
  if (base instanceof z.ZodUnion && typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) {
    return { value: Number(raw), text: raw };
  }
  return { value: raw, text: String(raw) };
}

/** Merge the config file and the flags actually given into a validated RunConfig. */
export function configFromArgs(args: Record<string, unknown>): RunConfig {
  const file = typeof args.config === 'string' ? readConfigFile(args.config) : {};
  const flags: Record<string, unknown> = {};
  const typed: Partial<Record<RunConfigKey, string>> = {};
  for (const f of CONFIG_FIELDS) {
    const raw = args[f.flag];
    if (raw === undefined) continue;
    const { value, text } = fromFlag(f, raw);
    flags[f.key] = value;
    typed[f.key] = text;
  }
  // --seed has a global default of 1; a file's seed wins over that default unless --seed was typed
  if (!process.argv.some((a) => a === '--seed' || a.startsWith('--seed=')) && 'seed' in file) {
    delete flags.seed;
    delete typed.seed;
  }
  return parseRunConfig({ ...file, ...flags }, typeof args.config === 'string' ? `config (${args.config} + flags)` : 'flags', typed);
}
