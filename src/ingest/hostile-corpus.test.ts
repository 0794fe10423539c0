import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeHostileCorpus } from '../read/intake/test-support/hostile-corpus.js';
import { watchChild } from '../read/intake/test-support/watch-child.js';
import { libraryDatabasePath } from '../store/library.js';
import { openSqliteLibraryStore } from '../store/sqlite-library-store.js';

const CHILD = fileURLToPath(new URL('./test-support/hostile-ingest-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'docsight-hostile-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// As in src/read/intake/hostile-corpus.test.ts: a lower PDF engine memory cap and time limit than the
// defaults keep the memory bombs small enough to build on CI.
const OVERRIDES = { intake: { pdfEngineMemoryBytes: 384 * 1024 * 1024, pdfPageTimeoutMs: 5000 } };
const MAX_FILE_MS = 20_000;
const MAX_RSS_BYTES = 1.5 * 1024 ** 3;

describe('the hostile corpus through one long-lived ingestion process', () => {
  it('ends every job, then still ingests and finds a valid PDF and scan; queue and database intact', async () => {
    const home = join(dir, 'home');
    const files = await writeHostileCorpus(join(dir, 'corpus'));
    const run = await watchChild(
      CHILD,
      [home, JSON.stringify(OVERRIDES), JSON.stringify(files.map((f) => f.path))],
      {
        silenceMs: MAX_FILE_MS + 5000,
      },
    );
    const lastLine = JSON.stringify(run.lines.at(-1));
    expect(run.stalled, `stopped answering after ${lastLine}`).toBe(false);
    expect(run.signal, run.stderr).toBeNull();
    expect(run.code, run.stderr).toBe(0);
    // Each file was either refused at the door with a code, or queued.
    const entered = run.lines.filter((l) => 'added' in l || 'rejected' in l);
    expect(entered).toHaveLength(files.length);
    for (const r of entered.filter((l) => 'rejected' in l))
      expect(r.code, String(r.rejected)).toMatch(/^[A-Z_]+$/);
    // Jobs run one after another: the gap before each job's end bounds its time.
    for (const job of run.lines.filter((l) => 'job' in l && 'state' in l)) {
      expect(job.gapMs, `job ${String(job.job)}`).toBeLessThanOrEqual(MAX_FILE_MS);
      if (job.state === 'failed') expect(job.code, `job ${String(job.job)}`).toMatch(/^[A-Z_]+$/);
    }
    const found = run.lines.find((l) => 'found' in l)?.found as { pdf: string[]; scan: string[] };
    expect(found).toEqual({ pdf: ['valid.pdf'], scan: ['valid.png'] });
    const rss = run.lines.find((l) => typeof l.maxRssBytes === 'number')?.maxRssBytes as number;
    expect(rss).toBeLessThanOrEqual(MAX_RSS_BYTES);

    const store = openSqliteLibraryStore(libraryDatabasePath(home));
    try {
      expect(await store.checkIntegrity()).toBe('ok');
      const jobs = await store.listJobs();
      expect(jobs.filter((j) => j.state === 'running' || j.state === 'queued')).toEqual([]);
      for (const j of jobs) expect(j.attempts, `job ${j.id}`).toBeLessThanOrEqual(j.maxAttempts);
    } finally {
      await store.close();
    }
  }, 300_000);
});
