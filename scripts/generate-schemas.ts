/**
 * The JSON Schemas the package ships, generated from the zod schemas autoshrink validates with, so the two cannot
 * drift: schema/strategy.schema.json (the strategy file of `export` and `apply`) and schema/run-config.schema.json
 * (a `--config` file). test/package.test.ts fails when a committed file differs from what this writes.
 *
 *   npm run schemas            # rewrite schema/*.schema.json
 *
 * It lives in scripts/, not bench/: it measures nothing, it is a build step of the package.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONFIG_FIELDS, RunConfigSchema } from '../run/config.js';
import { STRATEGY_FORMAT, STRATEGY_VERSION, StrategySchema } from '../run/final/strategy.js';
import { type JsonSchema, toJsonSchema } from './zod-json-schema.js';

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';

function strategySchema(): JsonSchema {
  return {
    $schema: DRAFT,
    $id: `${STRATEGY_FORMAT}-v${STRATEGY_VERSION}`,
    title: `autoshrink strategy file, version ${STRATEGY_VERSION} (version 1 files still load)`,
    ...toJsonSchema(StrategySchema),
  };
}

/**
 * Every run config field, as a `--config` file gives it: all optional. A default that depends on other fields (or
 * has no value) is stated in words, as --help states it; a plain default is the JSON Schema `default`.
 */
function runConfigSchema(): JsonSchema {
  const properties = Object.fromEntries(
    CONFIG_FIELDS.map((f) => {
      const { default: plain, description, ...json } = toJsonSchema(f.schema);
      const doc = (description as string).replace(/([^.])$/, '$1.');
      const derived = f.spec.defaultText !== undefined ? ` Default: ${f.spec.defaultText}.` : '';
      return [f.key, { description: `${doc} Flag: --${f.flag}.${derived}`, ...json, ...(derived || plain === undefined ? {} : { default: plain }) }];
    }),
  );
  const { description: rules } = toJsonSchema(RunConfigSchema);
  return {
    $schema: DRAFT,
    $id: 'autoshrink-run-config',
    title: 'autoshrink run config (a --config file): every field is optional; flags given beside the file win',
    description: rules,
    type: 'object',
    additionalProperties: false,
    properties,
  };
}

const repo = fileURLToPath(new URL('..', import.meta.url));

/** Width under which an object of plain values is written on one line. */
const LINE = 120;

/**
 * JSON indented by two spaces, with arrays of plain values (enums, defaults) and small objects of plain values on one
 * line, so the file reads short.
 */
function stringify(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    return `[\n${value.map((v) => inner + stringify(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const plain = entries.every(([, v]) => v === null || typeof v !== 'object' || (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')));
    const line = `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${stringify(v)}`).join(', ')} }`;
    if (plain && indent.length + line.length <= LINE) return line;
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${stringify(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** Each shipped schema's path in the repository, with the text this version of the zod schemas gives it. */
export function generatedSchemas(): Array<{ path: string; text: string }> {
  const text = (schema: JsonSchema) => `${stringify(schema)}\n`;
  return [
    { path: 'schema/strategy.schema.json', text: text(strategySchema()) },
    { path: 'schema/run-config.schema.json', text: text(runConfigSchema()) },
  ];
}

function main(): void {
  for (const { path, text } of generatedSchemas()) {
    const file = join(repo, path);
    let old = '';
    try {
      old = readFileSync(file, 'utf8');
    } catch {
      // a new schema
    }
    if (old === text) console.log(`${path}: up to date`);
    else {
      writeFileSync(file, text);
      console.log(`${path}: written`);
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
