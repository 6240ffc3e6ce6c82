import test from 'ava';
import { z } from 'zod';
import { RULE_PREFIX, toJsonSchema } from '../../scripts/zod-json-schema.js';

test('numbers keep their bounds: int in [1, 5) is an integer with minimum 1 and exclusiveMaximum 5; positive is exclusiveMinimum 0', (t) => {
  t.deepEqual(toJsonSchema(z.number().int().min(1).lt(5)), { type: 'integer', minimum: 1, exclusiveMaximum: 5 });
  t.deepEqual(toJsonSchema(z.number().positive()), { type: 'number', exclusiveMinimum: 0 });
});

test('an object lists as required only the fields that are neither optional nor defaulted; strict forbids other keys', (t) => {
  const schema = z.object({ a: z.string(), b: z.string().optional(), c: z.boolean().default(true) }).strict();
  t.deepEqual(toJsonSchema(schema), {
    type: 'object',
    additionalProperties: false,
    required: ['a'],
    properties: { a: { type: 'string' }, b: { type: 'string' }, c: { type: 'boolean', default: true } },
  });
});

test('a union of literals is an enum, a nullable number takes null too, a pair is a two-item tuple', (t) => {
  t.deepEqual(toJsonSchema(z.union([z.literal(1), z.literal(2)])), { enum: [1, 2] });
  t.deepEqual(toJsonSchema(z.number().min(0).nullable()), { type: ['number', 'null'], minimum: 0 });
  t.deepEqual(toJsonSchema(z.tuple([z.number(), z.number()])), { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }], items: false, minItems: 2, maxItems: 2 });
});

test("a refinement's rule lands in the description after the field's doc, marked as checked beyond the schema", (t) => {
  const range = z.tuple([z.number(), z.number()]).refine(([a, b]) => a <= b).describe('min must not exceed max.');
  const json = toJsonSchema(range.default([0, 1]).describe('A range, MIN-MAX'));
  t.is(json.description, `A range, MIN-MAX. ${RULE_PREFIX} min must not exceed max.`);
  t.deepEqual(json.default, [0, 1]);
});

test('a refinement without a described rule, and a zod kind without a JSON form, are refused by name', (t) => {
  t.throws(() => toJsonSchema(z.string().refine((s) => s !== '')), { message: /refinement without \.describe\(\)/ });
  t.throws(() => toJsonSchema(z.date()), { message: /zod ZodDate has no JSON Schema form here/ });
  t.throws(() => toJsonSchema(z.string().transform((s) => s.length).describe('length')), { message: /zod transform has no JSON Schema form/ });
});
