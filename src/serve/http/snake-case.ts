const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * An application record with its keys in the API's snake_case (`imagesEncoded` → `images_encoded`), one level
 * deep: stats and usage figures, whose keys the application names in camelCase.
 *
 * @example
 *   snakeCaseKeys({ imagesEncoded: 0, totalMs: 812 }); // { images_encoded: 0, total_ms: 812 }
 */
export function snakeCaseKeys(record: object | undefined): Record<string, unknown> | undefined {
  if (record === undefined) return undefined;
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [snake(key), value]));
}
