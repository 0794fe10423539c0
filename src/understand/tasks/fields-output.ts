import { DocSightError } from '../../errors.js';
import type { FinishReason } from '../vision-language-engine.js';
import { checkJsonSchema, type JsonSchema, type SchemaProblem } from './json-schema-check.js';

/**
 * The verdict on a `fields` answer: JSON that matches the schema, or why not — in words that say what to do.
 * The llama engine constrains the output by a grammar, so a failure there nearly always means the answer was
 * cut off by the token limit; an upstream may also have ignored the schema.
 */
export type FieldsVerdict =
  | { ok: true; value: unknown }
  | { ok: false; reason: 'truncated' | 'not-json' | 'schema'; message: string; problems: SchemaProblem[] };

const MAX_LISTED = 5;

/**
 * @example
 *   const verdict = checkFieldsOutput(text, fieldPresets.receipt, done.finishReason);
 *   if (!verdict.ok) console.error(verdict.message);
 */
export function checkFieldsOutput(
  text: string,
  schema: JsonSchema,
  finishReason?: FinishReason,
): FieldsVerdict {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (finishReason === 'length') {
      return {
        ok: false,
        reason: 'truncated',
        message:
          'The answer was cut off at the token limit before the JSON was complete: raise --max-tokens.',
        problems: [],
      };
    }
    return {
      ok: false,
      reason: 'not-json',
      message: `The answer is not valid JSON (${(err as Error).message}).`,
      problems: [],
    };
  }
  const problems = checkJsonSchema(value, schema);
  if (problems.length === 0) return { ok: true, value };
  const listed = problems.slice(0, MAX_LISTED).map((p) => `${p.path}: ${p.message}`);
  if (problems.length > MAX_LISTED) listed.push(`and ${problems.length - MAX_LISTED} more`);
  return {
    ok: false,
    reason: 'schema',
    message: `The answer is JSON but does not match the schema: ${listed.join('; ')}.`,
    problems,
  };
}

/** Throws INVALID_OUTPUT with the verdict's message unless the answer is valid; returns the parsed value. */
export function requireValidFields(text: string, schema: JsonSchema, finishReason?: FinishReason): unknown {
  const verdict = checkFieldsOutput(text, schema, finishReason);
  if (!verdict.ok) throw new DocSightError('INVALID_OUTPUT', verdict.message);
  return verdict.value;
}
