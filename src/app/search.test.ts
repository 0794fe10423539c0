import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EMBEDDING_MODEL } from '../models/catalog.js';
import type { DocSight } from './docsight.js';
import { addDocuments, processQueue } from './ingest.js';
import { search } from './search.js';
import { useAppsInTempHomes } from './test-support/app-in-temp-home.js';

const newApp = useAppsInTempHomes('docsight-app-search-');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

let app: DocSight;
beforeAll(async () => {
  app = newApp();
  const { jobIds } = await addDocuments(app, [
    { name: 'invoice.txt', bytes: text('上海增值税专用发票\nTOTAL 112.45\fsecond page 2018-02-12') },
    { name: 'receipt.txt', bytes: text('PERNIAGAAN ZHENG HUI\nDATE 12/02/2018') },
  ]);
  await processQueue(app, { jobIds });
});

describe('search', () => {
  it('finds Chinese text with BM25 and returns the page, the snippet and the boxes', async () => {
    const response = await search(app, { query: '发票', k: 5 });
    expect(response.mode).toBe('bm25');
    expect(response.results.map((r) => [r.documentName, r.page, r.snippet])).toEqual([
      ['invoice.txt', 1, expect.stringContaining('上海增值税专用[发票]')],
    ]);
    expect(response.results[0]!.boxes).toHaveLength(1);
  });

  it('says, as data, how to turn hybrid search on when no embedding model is configured', async () => {
    const { note } = await search(app, { query: 'zheng hui' });
    expect(note).toContain(`docsight models pull ${DEFAULT_EMBEDDING_MODEL}`);
    expect(note).toContain('$DOCSIGHT_HOME/config.json');
    // The note goes to API callers too: it names no path of the server.
    expect(note).not.toContain(app.config.home);
  });

  it('applies filters', async () => {
    const receiptId = (await app.library().store.listDocuments())[1]!.id;
    const all = await search(app, { query: 'zheng 发票' });
    expect(all.results.map((r) => r.documentName).sort()).toEqual(['invoice.txt', 'receipt.txt']);
    const one = await search(app, { query: 'zheng 发票', filters: { documentId: receiptId } });
    expect(one.results.map((r) => r.documentName)).toEqual(['receipt.txt']);
  });

  it('refuses a k out of range with BAD_REQUEST', async () => {
    await expect(search(app, { query: 'x', k: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(search(app, { query: 'x', k: 1001 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
