import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlamaEngine, type LlamaEngine } from '../engine/llama-engine.js';
import { testImage, tinyModel } from '../engine/test-support/test-models.js';
import { fieldPresets, type FieldPreset } from './field-presets.js';
import { checkFieldsOutput, requireValidFields } from './fields-output.js';
import { buildTaskRequest } from './task-prompts.js';

describe('checkFieldsOutput', () => {
  const schema = fieldPresets.receipt;

  it('returns the parsed fields when the JSON matches', () => {
    const text = '{"company":"ACME","date":"2018-02-12","total":"9.90"}';
    expect(checkFieldsOutput(text, schema, 'stop')).toEqual({
      ok: true,
      value: { company: 'ACME', date: '2018-02-12', total: '9.90' },
    });
  });

  it('says to raise --max-tokens when the answer was cut off mid-JSON', () => {
    const verdict = checkFieldsOutput('{"company":"ACME","da', schema, 'length');
    expect(verdict).toMatchObject({ ok: false, reason: 'truncated', message: /raise --max-tokens/ });
  });

  it('tells broken JSON from JSON that misses the schema', () => {
    expect(checkFieldsOutput('The total is 9.90', schema, 'stop')).toMatchObject({
      ok: false,
      reason: 'not-json',
    });
    const verdict = checkFieldsOutput('{"company":"ACME"}', schema, 'stop');
    expect(verdict).toMatchObject({ ok: false, reason: 'schema' });
    expect(!verdict.ok && verdict.message).toBe(
      'The answer is JSON but does not match the schema: $: the required field "date" is missing; ' +
        '$: the required field "total" is missing.',
    );
    expect(() => requireValidFields('{}', schema)).toThrow(
      expect.objectContaining({ code: 'INVALID_OUTPUT' }),
    );
  });
});

// The real path: the grammar built from each preset constrains the tiny synthetic model (random weights, so
// the values are gibberish), and what comes out must parse and validate.
const native = process.env.DOCSIGHT_SKIP_NATIVE === '1' ? describe.skip : describe;

native('fields presets through the grammar-constrained llama engine', () => {
  let files: Awaited<ReturnType<typeof tinyModel>>;
  let engine: LlamaEngine;
  beforeAll(async () => {
    files = await tinyModel();
    engine = createLlamaEngine({ model: files.model, mmproj: files.mmproj, threads: 1, nCtx: 8192 });
  });
  afterAll(async () => {
    await engine?.close();
    await rm(files.dir, { recursive: true, force: true });
  });

  it.each(Object.keys(fieldPresets) as FieldPreset[])(
    '%s: the output is JSON that matches the preset',
    async (preset) => {
      const request = buildTaskRequest('fields', { images: [await testImage(96)], schema: preset });
      const { text, stats } = await engine.complete({ ...request, maxTokens: 4000 });
      expect(stats.stopReason).not.toBe('length');
      expect(checkFieldsOutput(text, fieldPresets[preset], 'stop')).toMatchObject({ ok: true });
    },
  );

  it('flags an answer the token limit cut short', async () => {
    const request = buildTaskRequest('fields', { images: [await testImage(96)], schema: 'invoice' });
    const { text, stats } = await engine.complete({ ...request, maxTokens: 5 });
    expect(stats.stopReason).toBe('length');
    expect(checkFieldsOutput(text, fieldPresets.invoice, 'length')).toMatchObject({ reason: 'truncated' });
  });
});
