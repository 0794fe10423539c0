import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Temporary folders for one test file, removed when its tests are done — /tmp must not fill up with a copy
 * of every run. Call it at the top of a file or inside a `describe`, where vitest hooks may be registered.
 *
 * @example
 *   const tempDir = useTempDirs('docsight-config-');
 *   it('...', () => { const home = tempDir(); ... });
 */
export function useTempDirs(prefix: string): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
