import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from './config.js';

// The README's configuration reference is what users read; these tests keep it true to the schema, so a setting
// added without a row (or a default changed without its row) fails `npm test`.
//
// How the README is read: the part between the `## Configuration` heading and the next `## ` heading; in it,
// every Markdown table whose header has `setting`, `env` and `default` columns. A row's setting is the dotted
// path in backticks (`ocr.threads`), its env cell `DOCSIGHT_…` in backticks or `–` for none, and its default as
// a user would write it: `int8`, 1920, 0.5, 100 000 000, 512 MiB, 2 GiB, true, a list as `a`, `b`; a setting
// without a schema default (optional, or an empty list) describes its default in words (`none`, `the pulled
// model`, `cores ÷ slots`).

/**
 * Settings in the schema that the README leaves out on purpose, with the reason. Settings added on a branch
 * whose README rows the integrator writes at the merge are listed here with their environment variables
 * (`PENDING_ENV`) until then: remove both entries when the rows exist (the test below fails on a stale one).
 */
const LEFT_OUT: Record<string, string> = {};
const PENDING_ENV: string[] = [];

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const configSource = readFileSync(new URL('./config.ts', import.meta.url), 'utf8');

interface ReferenceRow {
  setting: string;
  env: string;
  default: string;
  line: number;
}

/** The rows of the configuration tables, as written. */
function referenceRows(markdown: string): ReferenceRow[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => /^## Configuration\s*$/.test(line));
  if (start < 0) throw new Error('README.md has no "## Configuration" section');
  const rows: ReferenceRow[] = [];
  let columns: string[] | undefined;
  for (let i = start + 1; i < lines.length && !lines[i]!.startsWith('## '); i++) {
    const line = lines[i]!.trim();
    if (!line.startsWith('|')) {
      columns = undefined;
      continue;
    }
    // Cells split on pipes that are not escaped (`\|` may appear inside a cell).
    const cells = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim());
    if (columns === undefined) {
      columns = cells.map((cell) => cell.toLowerCase());
      continue;
    }
    if (cells.every((cell) => /^:?-+:?$/.test(cell))) continue;
    const cell = (name: string) => cells[columns!.indexOf(name)] ?? '';
    if (!['setting', 'env', 'default'].every((name) => columns!.includes(name))) continue;
    rows.push({ setting: cell('setting'), env: cell('env'), default: cell('default'), line: i + 1 });
  }
  return rows;
}

/** Unwraps defaults, prefaults and optionals down to the schema that holds the value. */
function inner(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (
    current instanceof z.ZodDefault ||
    current instanceof z.ZodPrefault ||
    current instanceof z.ZodOptional
  ) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** Every leaf setting of the schema by dotted path (objects are walked; arrays and scalars are leaves). */
function leaves(schema: z.ZodType, prefix = ''): Map<string, z.ZodType> {
  const unwrapped = inner(schema);
  if (!(unwrapped instanceof z.ZodObject)) return new Map([[prefix, schema]]);
  return new Map(
    Object.entries(unwrapped.shape as Record<string, z.ZodType>).flatMap(([key, child]) => [
      ...leaves(child, prefix ? `${prefix}.${key}` : key),
    ]),
  );
}

const schemaLeaves = leaves(configSchema);
/** Defaults computed from the machine (its cores, its memory): the README says in words how. */
const MACHINE_DEPENDENT = new Set(['ocr.workers', 'library.concurrency']);
const defaults = configSchema.parse({ home: 'home' });
/** The schema's default of a setting; undefined when it has none (optional, or given by the caller: home). */
const defaultOf = (path: string): unknown =>
  schemaLeaves.get(path) instanceof z.ZodDefault
    ? path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], defaults)
    : undefined;

const UNITS: Record<string, number> = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** A default cell as a value: backticks dropped, digit groups joined, binary units applied, true/false. */
function cellValue(text: string): string | number | boolean {
  const plain = text.replace(/`/g, '').trim();
  if (plain === 'true' || plain === 'false') return plain === 'true';
  const number = /^(-?[\d\s\u00a0\u202f]*\.?\d+)\s*(KiB|MiB|GiB)?$/.exec(plain);
  if (number)
    return Number(number[1]!.replace(/[\s\u00a0\u202f]/g, '')) * (number[2] ? UNITS[number[2]]! : 1);
  return plain;
}

const rows = referenceRows(readme);
const settingOf = (row: ReferenceRow) => /^`([\w.]+)`$/.exec(row.setting)?.[1];
const documented = new Map(rows.flatMap((row) => (settingOf(row) ? [[settingOf(row)!, row] as const] : [])));
const settings = [...schemaLeaves.keys()].filter((path) => !(path in LEFT_OUT));

describe("README.md's configuration reference", () => {
  it('is found: tables with setting, env and default columns under "## Configuration"', () => {
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.filter((row) => !settingOf(row)).map((row) => `line ${row.line}: ${row.setting}`)).toEqual(
      [],
    );
  });

  it('has a row for every setting of the schema', () => {
    expect(settings.filter((path) => !documented.has(path))).toEqual([]);
  });

  it('names only settings the schema has', () => {
    const known = new Set(schemaLeaves.keys());
    expect([...documented.keys()].filter((path) => !known.has(path))).toEqual([]);
  });

  it.each(settings.filter((path) => documented.has(path)))('gives the default of %s', (path) => {
    const row = documented.get(path)!;
    const value = MACHINE_DEPENDENT.has(path) ? undefined : defaultOf(path);
    if (value === undefined || (Array.isArray(value) && value.length === 0)) {
      // No value in the schema: the row says in words what happens (none, the pulled model, cores ÷ slots).
      expect(row.default.replace(/[`–-]/g, '').trim(), `line ${row.line}`).not.toBe('');
      expect(typeof cellValue(row.default), `line ${row.line}: a number where the schema has none`).toBe(
        'string',
      );
    } else {
      // A list is written as its items, comma-separated: `a`, `b`.
      const expected = Array.isArray(value) ? value.join(', ') : value;
      const written = Array.isArray(value) ? row.default.replace(/`/g, '').trim() : cellValue(row.default);
      expect(written, `README.md line ${row.line}`).toBe(expected);
    }
  });

  it('names environment variables that the configuration reads, and every one it reads', () => {
    const inReadme = rows.flatMap((row) => [...row.env.matchAll(/`(DOCSIGHT_\w+)`/g)].map((m) => m[1]!));
    const inSource = [...new Set([...configSource.matchAll(/DOCSIGHT_[A-Z0-9_]+/g)].map((m) => m[0]))];
    expect(inReadme.filter((name) => !inSource.includes(name))).toEqual([]);
    expect(inSource.filter((name) => !inReadme.includes(name) && !PENDING_ENV.includes(name))).toEqual([]);
  });

  it('lists as left out only settings without a row, and as pending only variables without one', () => {
    const pending = Object.keys(LEFT_OUT).filter((path) => LEFT_OUT[path]!.includes('pending'));
    expect(pending.filter((path) => documented.has(path))).toEqual([]);
    const inReadme = rows.flatMap((row) => [...row.env.matchAll(/`(DOCSIGHT_\w+)`/g)].map((m) => m[1]!));
    expect(PENDING_ENV.filter((name) => inReadme.includes(name))).toEqual([]);
  });
});
