import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { libraryDatabasePath, openLibrary } from '../store/library.js';
import { openSqliteLibraryStore } from '../store/sqlite-library-store.js';
import { addToLibrary } from './add-to-library.js';

const CHILD = fileURLToPath(new URL('./test-support/ingest-child.ts', import.meta.url));
const PAGES = 100;

function startChild(home: string, delayMs: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, home, String(delayMs)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('ingestion survives kill -9', () => {
  it('resumes a 100-page document after SIGKILL: every page indexed exactly once, database intact', async () => {
    const home = mkdtempSync(join(tmpdir(), 'docsight-crash-'));
    dirs.push(home);
    // 100 pages of plain text; page N carries the unique amount "9000.N" to count its index entries.
    const text = Array.from(
      { length: PAGES },
      (_, i) => `Page ${i + 1}\n增值税专用发票 total 9000.${i + 1}`,
    ).join('\f');
    const file = join(home, 'hundred-pages.txt');
    writeFileSync(file, text);
    const setup = openLibrary(home);
    const { document, job } = await addToLibrary(setup, { path: file });
    await setup.close();

    // First run: slow pages; kill -9 once some but not all pages are in.
    const first = startChild(home, 40);
    const firstExit = exited(first);
    const db = new Database(libraryDatabasePath(home), { readonly: true });
    db.pragma('busy_timeout = 5000');
    let doneAtKill = 0;
    // Generous: on a loaded 2-core machine starting the child alone can take seconds.
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline && first.exitCode === null) {
      doneAtKill = (
        db.prepare('SELECT pages_done FROM jobs WHERE id = ?').get(job!.id) as { pages_done: number }
      ).pages_done;
      if (doneAtKill >= 10) break;
      await sleep(20);
    }
    first.kill('SIGKILL');
    const killed = await firstExit;
    db.close();
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(doneAtKill).toBeGreaterThanOrEqual(10);
    expect(doneAtKill).toBeLessThan(PAGES);

    // Second run: no delay, runs to the end.
    const second = await exited(startChild(home, 0));
    expect(second.code, second.stderr).toBe(0);

    const store = openSqliteLibraryStore(libraryDatabasePath(home));
    try {
      expect(await store.checkIntegrity()).toBe('ok');
      expect(await store.getJob(job!.id)).toMatchObject({
        state: 'done',
        pagesDone: PAGES,
        pagesTotal: PAGES,
      });
      expect(await store.getDocument(document.id)).toMatchObject({ status: 'ready', pageCount: PAGES });
      const pages = await store.listPages(document.id);
      expect(pages.map((p) => p.page)).toEqual(Array.from({ length: PAGES }, (_, i) => i + 1));
      expect((await store.stats()).chunks).toBe(PAGES);
      for (const n of [1, Math.max(1, doneAtKill), doneAtKill + 1, PAGES]) {
        const hits = await store.searchChunks({ terms: [`9000.${n}`], match: 'all' }, {}, 10);
        expect(hits.map((h) => h.page)).toEqual([n]);
      }
      expect(await store.searchChunks({ terms: ['发票'], match: 'all' }, {}, 1000)).toHaveLength(PAGES);
    } finally {
      await store.close();
    }
  });
});
