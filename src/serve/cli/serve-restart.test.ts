import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { addToLibrary } from '../../ingest/add-to-library.js';
import { libraryDatabasePath, openLibrary } from '../../store/library.js';
import { openSqliteLibraryStore } from '../../store/sqlite-library-store.js';
import { useTempDirs } from '../../test-support/temp-dir.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const built = existsSync(join(root, 'dist/serve/cli/serve-command.js'));
// As many pages as intake allows by default: long enough to stop the server in the middle of the document.
const PAGES = 2000;

/** `docsight serve --port 0` on `home`, resolved once it listens; its stderr is kept for failure messages. */
async function startServe(home: string): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawn(
    process.execPath,
    [join(root, 'bin/docsight.js'), '--home', home, 'serve', '--port', '0'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DOCSIGHT_MODEL_PATH: '', DOCSIGHT_MMPROJ_PATH: '', DOCSIGHT_BACKEND: '' },
    },
  );
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk) => {
      stderr += String(chunk);
      if (/listening on http/.test(stderr)) resolve();
    });
    child.once('exit', () => reject(new Error(`serve exited early:\n${stderr}`)));
  });
  return { child, stderr: () => stderr };
}

describe('docsight serve, stopped mid-ingest and started again', () => {
  const tempDir = useTempDirs('docsight-serve-restart-');

  it.skipIf(!built)(
    'puts the running job back on SIGTERM, exits 0, and the next start finishes it with every page written once (skipped when dist/ is not built: run npm run build)',
    async () => {
      const home = tempDir();
      // Page N carries the unique amount "7000.N", to count its index entries.
      const filler = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(30);
      const file = join(home, 'long-report.txt');
      writeFileSync(
        file,
        Array.from({ length: PAGES }, (_, i) => `Page ${i + 1} total 7000.${i + 1}\n${filler}`).join('\f'),
      );
      const setup = openLibrary(home);
      const { document, job } = await addToLibrary(setup, { path: file });
      await setup.close();

      const db = new Database(libraryDatabasePath(home), { readonly: true });
      db.pragma('busy_timeout = 5000');
      const progress = () =>
        db.prepare('SELECT state, pages_done FROM jobs WHERE id = ?').get(job!.id) as {
          state: string;
          pages_done: number;
        };
      try {
        const first = await startServe(home);
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline && progress().pages_done === 0) await sleep(10);
        // The API answers while the document is read, not once it is in (pages yield to the event loop).
        const url = /listening on (http:\/\/\S+)/.exec(first.stderr())![1]!;
        expect((await fetch(`${url}/health`)).status).toBe(200);
        expect(progress().state).toBe('running');
        first.child.kill('SIGTERM');
        const [code] = (await once(first.child, 'exit')) as [number];
        expect(code, first.stderr()).toBe(0);
        const stopped = progress();
        // Stopped in the middle, and handed back to the queue rather than left "running" for a lease to expire.
        expect(stopped.pages_done, 'the job finished before SIGTERM: make the document longer').toBeLessThan(
          PAGES,
        );
        expect(stopped.pages_done).toBeGreaterThan(0);
        expect(stopped.state).toBe('queued');

        const second = await startServe(home);
        const until = Date.now() + 120_000;
        while (Date.now() < until && progress().state !== 'done') await sleep(50);
        second.child.kill('SIGTERM');
        const [secondCode] = (await once(second.child, 'exit')) as [number];
        expect(secondCode, second.stderr()).toBe(0);
      } finally {
        db.close();
      }

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
        for (const n of [1, PAGES / 2, PAGES]) {
          const hits = await store.searchChunks({ terms: [`7000.${n}`], match: 'all' }, {}, 10);
          expect(hits.map((h) => h.page)).toEqual([n]);
        }
      } finally {
        await store.close();
      }
    },
    240_000,
  );
});
