/**
 * A zod (v3) schema as a JSON Schema (draft 2020-12), for the kinds of schema our validators use and no others: an
 * unknown kind throws, naming it, so a new zod construct cannot be dropped from the shipped schemas unnoticed.
 * (zod 3.25 ships a `toJSONSchema` only for its v4 schemas; ours are v3.)
 *
 * What JSON Schema cannot state (a refinement: a rule over a value or between fields) stays in zod; each refinement
 * must carry a `.describe()` of its rule, which lands in the description of the value it checks.
 */
import { z } from 'zod';

export type JsonSchema = { [key: string]: unknown };

/** How the description of a refinement is introduced, so a reader knows this schema does not check it. */
export const RULE_PREFIX = 'Checked by autoshrink, beyond this schema:';

const { ZodFirstPartyTypeKind: Kind } = z;

/** `a` and `b` as one description, each once, the first ended with a full stop when another follows. */
function joinDescriptions(a: string | undefined, b: unknown): string | undefined {
  const parts = [...new Set([a, typeof b === 'string' ? b : undefined].filter((p): p is string => Boolean(p)))];
  if (parts.length < 2) return parts[0];
  return `${parts[0].replace(/([^.])$/, '$1.')} ${parts[1]}`;
}

/** `json` with `description` first, so a reader meets the doc before the constraints. */
function described(json: JsonSchema, description: string | undefined): JsonSchema {
  const { description: _old, ...rest } = json;
  return description ? { description, ...rest } : rest;
}

function numberSchema(def: z.ZodNumberDef): JsonSchema {
  const out: JsonSchema = { type: 'number' };
  for (const check of def.checks) {
    if (check.kind === 'int') out.type = 'integer';
    else if (check.kind === 'min') out[check.inclusive ? 'minimum' : 'exclusiveMinimum'] = check.value;
    else if (check.kind === 'max') out[check.inclusive ? 'maximum' : 'exclusiveMaximum'] = check.value;
    else throw new Error(`zod number check '${check.kind}' has no JSON Schema form here: add it to scripts/zod-json-schema.ts`);
  }
  return out;
}

function stringSchema(def: z.ZodStringDef): JsonSchema {
  const out: JsonSchema = { type: 'string' };
  for (const check of def.checks) {
    if (check.kind === 'min') out.minLength = check.value;
    else if (check.kind === 'max') out.maxLength = check.value;
    else throw new Error(`zod string check '${check.kind}' has no JSON Schema form here: add it to scripts/zod-json-schema.ts`);
  }
  return out;
}

function objectSchema(schema: z.ZodObject<z.ZodRawShape>): JsonSchema {
  const def = schema._def;
  if (!(def.catchall instanceof z.ZodNever)) throw new Error('zod object catchall has no JSON Schema form here');
  const shape = schema.shape;
  const required = Object.keys(shape).filter((key) => !shape[key].isOptional());
  const out: JsonSchema = { type: 'object' };
  if (def.unknownKeys === 'strict') out.additionalProperties = false;
  if (required.length) out.required = required;
  out.properties = Object.fromEntries(Object.entries(shape).map(([key, value]) => [key, toJsonSchema(value)]));
  return out;
}

/** A wrapper (optional, default, nullable, refinement) keeps its own description and its inner one's. */
function wrapped(schema: z.ZodTypeAny, inner: z.ZodTypeAny, extra: JsonSchema = {}): JsonSchema {
  const json = toJsonSchema(inner);
  return described({ ...json, ...extra }, joinDescriptions(schema.description, json.description));
}

/** The JSON Schema of `schema`; refuses a kind it has no form for. */
export function toJsonSchema(schema: z.ZodTypeAny): JsonSchema {
  const def = schema._def as { typeName: z.ZodFirstPartyTypeKind };
  switch (def.typeName) {
    case Kind.ZodString:
      return described(stringSchema(schema._def as z.ZodStringDef), schema.description);
    case Kind.ZodNumber:
      return described(numberSchema(schema._def as z.ZodNumberDef), schema.description);
    case Kind.ZodBoolean:
      return described({ type: 'boolean' }, schema.description);
    case Kind.ZodLiteral:
      return described({ const: (schema as z.ZodLiteral<unknown>).value }, schema.description);
    case Kind.ZodEnum:
      return described({ enum: [...(schema as z.ZodEnum<[string, ...string[]]>).options] }, schema.description);
    case Kind.ZodUnion: {
      const options = (schema as z.ZodUnion<[z.ZodTypeAny, ...z.ZodTypeAny[]]>).options.map(toJsonSchema);
      const literals = options.every((o) => Object.keys(o).length === 1 && 'const' in o);
      return described(literals ? { enum: options.map((o) => o.const) } : { anyOf: options }, schema.description);
    }
    case Kind.ZodArray: {
      const array = schema._def as z.ZodArrayDef;
      const out: JsonSchema = { type: 'array', items: toJsonSchema(array.type) };
      if (array.exactLength) Object.assign(out, { minItems: array.exactLength.value, maxItems: array.exactLength.value });
      if (array.minLength) out.minItems = array.minLength.value;
      if (array.maxLength) out.maxItems = array.maxLength.value;
      return described(out, schema.description);
    }
    case Kind.ZodTuple: {
      const tuple = schema._def as z.ZodTupleDef;
      if (tuple.rest) throw new Error('zod tuple with a rest element has no JSON Schema form here');
      const n = tuple.items.length;
      return described({ type: 'array', prefixItems: tuple.items.map(toJsonSchema), items: false, minItems: n, maxItems: n }, schema.description);
    }
    case Kind.ZodRecord: {
      const record = schema._def as z.ZodRecordDef;
      if (!(record.keyType instanceof z.ZodString)) throw new Error('zod record keys other than strings have no JSON Schema form here');
      return described({ type: 'object', additionalProperties: toJsonSchema(record.valueType) }, schema.description);
    }
    case Kind.ZodObject:
      return described(objectSchema(schema as z.ZodObject<z.ZodRawShape>), schema.description);
    case Kind.ZodOptional:
      return wrapped(schema, (schema as z.ZodOptional<z.ZodTypeAny>).unwrap());
    case Kind.ZodDefault: {
      const inner = (schema as z.ZodDefault<z.ZodTypeAny>).removeDefault();
      return wrapped(schema, inner, { default: (schema._def as z.ZodDefaultDef).defaultValue() });
    }
    case Kind.ZodNullable: {
      const json = toJsonSchema((schema as z.ZodNullable<z.ZodTypeAny>).unwrap());
      const { description, ...rest } = json;
      const nullable = typeof rest.type === 'string' ? { ...rest, type: [rest.type, 'null'] } : { anyOf: [rest, { type: 'null' }] };
      return described(nullable, joinDescriptions(schema.description, description));
    }
    case Kind.ZodEffects: {
      const effects = schema._def as z.ZodEffectsDef;
      if (effects.effect.type !== 'refinement') throw new Error(`zod ${effects.effect.type} has no JSON Schema form here`);
      if (!schema.description) throw new Error('a zod refinement without .describe(): describe its rule so the JSON schema can state it');
      const json = toJsonSchema(effects.schema);
      const inner = typeof json.description === 'string' ? json.description : undefined;
      // chained refinements read as one list after one prefix
      const rule = inner?.includes(RULE_PREFIX) ? schema.description : `${RULE_PREFIX} ${schema.description}`;
      return described(json, joinDescriptions(inner, rule));
    }
    default:
      throw new Error(`zod ${def.typeName} has no JSON Schema form here: add it to scripts/zod-json-schema.ts`);
  }
}
