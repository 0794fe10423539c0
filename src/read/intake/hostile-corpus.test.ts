import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeHostileCorpus } from './test-support/hostile-corpus.js';
import { watchChild } from './test-support/watch-child.js';

const CHILD = fileURLToPath(new URL('./test-support/hostile-read-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'docsight-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The corpus runs with a lower PDF engine memory cap (384 MiB instead of 1 GiB) and time limit (5 s instead
 * of 10 s) than the defaults, so its memory bombs stay small enough to build on a CI machine; the limits
 * are settings, and the mechanism they drive is the same.
 */
const CORPUS_OVERRIDES = {
  intake: { pdfEngineMemoryBytes: 384 * 1024 * 1024, pdfPageTimeoutMs: 5000 },
};
/** Longest any one file may take, and most memory a process may reach (the acceptance bounds). */
const MAX_FILE_MS = 20_000;
const MAX_RSS_BYTES = 1.5 * 1024 ** 3;

describe('the hostile corpus through readDocument', () => {
  it('ends every file within 20 s with a result or a coded error, in one process under 1.5 GB', async () => {
    const files = await writeHostileCorpus(dir);
    expect(files.length).toBeGreaterThanOrEqual(60);
    const run = await watchChild(
      CHILD,
      [JSON.stringify(CORPUS_OVERRIDES), JSON.stringify(files.map((f) => f.path))],
      {
        silenceMs: MAX_FILE_MS + 5000,
      },
    );
    const results = run.lines.filter((l) => typeof l.path === 'string');
    const hung = files[results.length]?.path;
    expect(run.stalled, `stopped answering at ${hung}`).toBe(false);
    expect(run.signal, run.stderr).toBeNull();
    expect(run.code, run.stderr).toBe(0);
    expect(results.map((r) => r.path)).toEqual(files.map((f) => f.path));
    for (const r of results) {
      expect(r.code, `${String(r.path)}`).toMatch(/^(ok|[A-Z_]+)$/);
      expect(r.ms as number, `${String(r.path)}`).toBeLessThanOrEqual(MAX_FILE_MS);
    }
    // Only regular files are read: a device, a FIFO or a folder is refused without blocking.
    for (const special of files.filter((f) => f.special)) {
      expect(results.find((r) => r.path === special.path)?.code).toBe('BAD_REQUEST');
    }
    const rss = run.lines.find((l) => typeof l.maxRssBytes === 'number')?.maxRssBytes as number;
    expect(rss).toBeLessThanOrEqual(MAX_RSS_BYTES);
  }, 240_000);
});
