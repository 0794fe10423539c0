import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { searchLibrary } from '../find/search-library.js';
import { renderTextPng } from '../read/intake/test-support/render-text.js';
import { openLibrary } from '../store/library.js';
import { addToLibrary } from './add-to-library.js';
import { startIngestWorkers } from './ingest-workers.js';
import { createLibraryPageReader } from './library-page-reader.js';

const home = mkdtempSync(join(tmpdir(), 'docsight-reader-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('createLibraryPageReader', () => {
  it('ingests a scanned page with the real OCR models and finds it by its amount and date', async () => {
    const config = loadConfig({ env: {}, flags: { home } });
    const library = openLibrary(home);
    const reader = createLibraryPageReader(config);
    const workers = startIngestWorkers({ library, readPages: reader.readPages, pollMs: 50 });
    try {
      const png = await renderTextPng('HARDWARE SHOP\nDATE 2018-02-12\nTOTAL 112.45');
      const { job } = await addToLibrary(library, { bytes: png, name: 'receipt.png' });
      await workers.idle();
      expect(await library.store.getJob(job!.id)).toMatchObject({ state: 'done', pagesDone: 1 });
      const page = await library.store.getPage(job!.documentId!, 1);
      expect(page!.source).toBe('ocr');
      // A single-image document's page image is its original blob.
      expect(page!.imageSha256).toBe((await library.store.getDocument(job!.documentId!))!.sha256);
      const { results } = await searchLibrary(library.store, '112.45 2018-02-12', { k: 3 });
      expect(results).toHaveLength(1);
      expect(results[0]).toMatchObject({ documentName: 'receipt.png', page: 1 });
      expect(results[0]!.boxes).toHaveLength(2);
    } finally {
      await workers.stop();
      await reader.close();
      await library.close();
    }
  });
});
