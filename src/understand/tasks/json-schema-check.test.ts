import { describe, expect, it } from 'vitest';
import { fieldPresets } from './field-presets.js';
import { checkJsonSchema } from './json-schema-check.js';

const messages = (value: unknown, schema: Parameters<typeof checkJsonSchema>[1]) =>
  checkJsonSchema(value, schema).map((p) => `${p.path}: ${p.message}`);

describe('checkJsonSchema', () => {
  it('accepts a receipt as the preset describes it, nulls and integers included', () => {
    const receipt = {
      company: 'ACME SDN BHD',
      address: null,
      date: '12/02/2018',
      total: '112.45',
      items: [{ name: 'Tea', quantity: '2', price: null }],
    };
    expect(messages(receipt, fieldPresets.receipt)).toEqual([]);
    expect(messages(3, { type: 'number' })).toEqual([]); // an integer is a number
  });

  it('names each broken field with its path', () => {
    const receipt = { company: 5, date: '2018', items: [{ quantity: '2' }, 'tea'] };
    expect(messages(receipt, fieldPresets.receipt)).toEqual([
      '$: the required field "total" is missing',
      '$.company: expected string or null, got integer',
      '$.items[0]: the required field "name" is missing',
      '$.items[1]: expected object, got string',
    ]);
  });

  it('checks enum, const, bounds, patterns and extra fields', () => {
    const schema = {
      type: 'object',
      properties: {
        kind: { enum: ['invoice', 'receipt'] },
        version: { const: 1 },
        count: { type: 'integer', minimum: 1, maximum: 3 },
        code: { type: 'string', pattern: '^[A-Z]{3}$', maxLength: 3 },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
      },
      additionalProperties: false,
    };
    expect(
      messages({ kind: 'memo', version: 2, count: 1.5, code: 'usd1', tags: [], extra: true }, schema),
    ).toEqual([
      '$.kind: expected one of "invoice", "receipt"',
      '$.version: expected 1',
      '$.count: expected integer, got number',
      '$.code: longer than 3 characters',
      '$.code: does not match /^[A-Z]{3}$/',
      '$.tags: fewer than 1 items',
      '$.extra: "extra" is not a field of the schema',
    ]);
  });

  it('follows local $refs and the anyOf / oneOf / allOf combinators', () => {
    const schema = {
      $defs: { amount: { type: 'string', pattern: '^[0-9.]+$' } },
      type: 'object',
      properties: {
        total: { $ref: '#/$defs/amount' },
        id: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        one: { oneOf: [{ type: 'number' }, { type: 'integer' }] },
      },
      allOf: [{ required: ['total'] }],
    };
    expect(messages({ total: '12.50', id: 7, one: 1.5 }, schema)).toEqual([]);
    expect(messages({ total: 'twelve', id: null, one: 2 }, schema)).toEqual([
      '$.total: does not match /^[0-9.]+$/',
      '$.id: matches none of anyOf',
      '$.one: matches 2 of oneOf, not exactly 1',
    ]);
    expect(messages({}, schema)).toEqual(['$: the required field "total" is missing']);
  });
});
