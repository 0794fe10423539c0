/**
 * Checks a JSON value against a JSON Schema — the subset that llama.cpp's schema-to-grammar converter and
 * our field presets use: `type` (one or a list), `enum`, `const`, `properties`, `required`,
 * `additionalProperties`, `items`, `minItems`/`maxItems`, `minLength`/`maxLength`, `pattern`,
 * `minimum`/`maximum` (and the exclusive forms), `anyOf`/`oneOf`/`allOf` and local `$ref`s (`#/$defs/x`).
 * Other keywords (`format`, …) are not checked. The grammar makes the model's output match already; this
 * catches what a grammar cannot promise — an answer cut off by the token limit, or an upstream server that
 * ignored the schema.
 */
export type JsonSchema = boolean | { [keyword: string]: unknown };

export interface SchemaProblem {
  /** Where in the value, as a JSON pointer-like path: `$`, `$.items[2].name`. */
  path: string;
  message: string;
}

const typeOf = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
};

const matchesType = (value: unknown, type: string): boolean => {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function resolveRef(ref: string, root: JsonSchema): JsonSchema {
  if (!ref.startsWith('#')) throw new RangeError(`Only local $refs are supported (got ${ref}).`);
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : undefined;
  }
  if (node === undefined) throw new RangeError(`The schema's $ref ${ref} points at nothing.`);
  return node as JsonSchema;
}

/**
 * Every way `value` breaks `schema`; an empty list when it matches.
 *
 * @example
 *   checkJsonSchema({ total: 5 }, { type: 'object', properties: { total: { type: 'string' } } });
 *   // [{ path: '$.total', message: 'expected string, got integer' }]
 */
export function checkJsonSchema(
  value: unknown,
  schema: JsonSchema,
  root: JsonSchema = schema,
  path = '$',
): SchemaProblem[] {
  if (schema === true) return [];
  if (schema === false) return [{ path, message: 'no value is allowed here' }];
  const problems: SchemaProblem[] = [];
  const fail = (message: string, at = path) => problems.push({ path: at, message });

  if (typeof schema.$ref === 'string')
    problems.push(...checkJsonSchema(value, resolveRef(schema.$ref, root), root, path));
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => matchesType(value, t))) {
      fail(`expected ${types.join(' or ')}, got ${typeOf(value)}`);
      return problems; // the remaining keywords would only repeat the type mismatch
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => sameJson(option, value))) {
    fail(`expected one of ${schema.enum.map((o) => JSON.stringify(o)).join(', ')}`);
  }
  if ('const' in schema && !sameJson(schema.const, value)) fail(`expected ${JSON.stringify(schema.const)}`);

  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof schema.minLength === 'number' && length < schema.minLength)
      fail(`shorter than ${schema.minLength} characters`);
    if (typeof schema.maxLength === 'number' && length > schema.maxLength)
      fail(`longer than ${schema.maxLength} characters`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      fail(`does not match /${schema.pattern}/`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      fail(`below the minimum ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      fail(`above the maximum ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum)
      fail(`not above ${schema.exclusiveMinimum}`);
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum)
      fail(`not below ${schema.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      fail(`fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      fail(`more than ${schema.maxItems} items`);
    if (schema.items !== undefined && !Array.isArray(schema.items)) {
      value.forEach((item, i) =>
        problems.push(...checkJsonSchema(item, schema.items as JsonSchema, root, `${path}[${i}]`)),
      );
    }
  }
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};
    for (const key of Array.isArray(schema.required) ? (schema.required as string[]) : []) {
      if (!(key in value)) fail(`the required field "${key}" is missing`);
    }
    for (const [key, item] of Object.entries(value)) {
      const at = `${path}.${key}`;
      if (key in properties) problems.push(...checkJsonSchema(item, properties[key]!, root, at));
      else if (schema.additionalProperties === false) fail(`"${key}" is not a field of the schema`, at);
      else if (isObject(schema.additionalProperties))
        problems.push(...checkJsonSchema(item, schema.additionalProperties, root, at));
    }
  }

  for (const sub of Array.isArray(schema.allOf) ? (schema.allOf as JsonSchema[]) : []) {
    problems.push(...checkJsonSchema(value, sub, root, path));
  }
  if (Array.isArray(schema.anyOf)) {
    const branches = schema.anyOf as JsonSchema[];
    if (!branches.some((sub) => checkJsonSchema(value, sub, root, path).length === 0))
      fail('matches none of anyOf');
  }
  if (Array.isArray(schema.oneOf)) {
    const matching = (schema.oneOf as JsonSchema[]).filter(
      (sub) => checkJsonSchema(value, sub, root, path).length === 0,
    ).length;
    if (matching !== 1) fail(`matches ${matching} of oneOf, not exactly 1`);
  }
  return problems;
}
