import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToLibrary } from '../ingest/add-to-library.js';
import { startIngestWorkers } from '../ingest/ingest-workers.js';
import { readPlainTextPages } from '../ingest/plain-text-reader.js';
import { openLibrary, type Library } from '../store/library.js';
import type { Embedder } from './embedder.js';
import { searchLibrary } from './search-library.js';
import { searchTerms } from '../text/search-terms.js';

/**
 * Test double for an embedding model (no GGUF embedding model can be downloaded here): hashes each
 * term into one of 64 buckets and normalises. It has no semantics, but it exercises the dense
 * plumbing — vectors stored, nearest chunks, fusion — end to end.
 */
const hashingTestEmbedder: Embedder = {
  model: 'hashing-test-embedder',
  dimensions: 64,
  async embed(texts) {
    return texts.map((t) => {
      const v = new Float32Array(64);
      for (const term of searchTerms(t)) {
        let h = 0;
        for (const ch of term) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
        v[h % 64]! += 1;
      }
      const norm = Math.hypot(...v) || 1;
      return v.map((x) => x / norm);
    });
  },
};

const DOCS: Record<string, string> = {
  'vat-invoice.txt': '上海增值税专用发票\n开票日期 2018-02-12\n金额合计 112.45',
  'receipt.txt': 'PERNIAGAAN ZHENG HUI\nDATE 12/02/2018\nTOTAL RM 112.45\nThank you',
  'letter.txt':
    'Dear customer,\nThe shipments were delayed by running late.\f Page two about invoices and payments.',
};

let library: Library;
let home: string;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'docsight-search-'));
  library = openLibrary(home);
  for (const [name, content] of Object.entries(DOCS)) {
    await addToLibrary(
      library,
      { bytes: new TextEncoder().encode(content), name },
      { collection: name.split('.')[0] },
    );
  }
  const workers = startIngestWorkers({
    library,
    readPages: readPlainTextPages,
    pollMs: 20,
    embedder: hashingTestEmbedder,
  });
  await workers.idle();
  await workers.stop();
});
afterAll(async () => {
  await library.close();
  rmSync(home, { recursive: true, force: true });
});

const names = async (q: string, k = 5) =>
  (await searchLibrary(library.store, q, { k })).results.map((r) => r.documentName);

describe('searchLibrary', () => {
  it('finds 增值税专用发票 by 发票 and by 增值税发票', async () => {
    expect(await names('发票')).toEqual(['vat-invoice.txt']);
    expect((await names('增值税发票'))[0]).toBe('vat-invoice.txt');
  });

  it('finds numbers, dates and amounts as written', async () => {
    expect(await names('2018-02-12')).toEqual(['vat-invoice.txt']);
    expect(await names('12/02/2018')).toEqual(['receipt.txt']);
    expect((await names('112.45')).sort()).toEqual(['receipt.txt', 'vat-invoice.txt']);
  });

  it('matches English by stem and case', async () => {
    const res = await searchLibrary(library.store, 'SHIPMENT delays', { k: 5 });
    expect(res.results[0]).toMatchObject({ documentName: 'letter.txt', page: 1 });
    expect(res.results[0]!.snippet).toContain('[shipments]');
    expect(res.results[0]!.snippet).toContain('[delayed]');
  });

  it('ranks the page with all the terms first, then pages with some', async () => {
    const res = await searchLibrary(library.store, 'zheng hui 112.45', { k: 5 });
    expect(res.results.map((r) => r.documentName)).toEqual(['receipt.txt', 'vat-invoice.txt']);
    expect(res.results[0]!.score).toBeGreaterThan(res.results[1]!.score);
  });

  it('returns the boxes of the matching lines and a highlighted snippet', async () => {
    const [hit] = (await searchLibrary(library.store, 'total', { k: 1 })).results;
    expect(hit).toMatchObject({ documentName: 'receipt.txt', page: 1, snippet: '[TOTAL] RM 112.45' });
    // Line 3 of the plain-text page: y from 40 to 60, 15 characters × 10 px wide.
    expect(hit!.boxes).toEqual([[0, 40, 150, 40, 150, 60, 0, 60]]);
    const [zh] = (await searchLibrary(library.store, '发票', { k: 1 })).results;
    expect(zh!.snippet).toBe('上海增值税专用[发票]');
  });

  it('applies filters', async () => {
    const res = await searchLibrary(library.store, '112.45', { k: 5, filters: { collection: 'receipt' } });
    expect(res.results.map((r) => r.documentName)).toEqual(['receipt.txt']);
  });

  it('says it is BM25 only without an embedder, and fuses with dense results with one', async () => {
    const plain = await searchLibrary(library.store, 'invoices payments', { k: 3 });
    expect(plain).toMatchObject({ mode: 'bm25', note: expect.stringMatching(/BM25 only/) });
    const hybrid = await searchLibrary(library.store, 'invoices payments', {
      k: 3,
      embedder: hashingTestEmbedder,
    });
    expect(hybrid.mode).toBe('hybrid');
    expect(hybrid.results[0]).toMatchObject({ documentName: 'letter.txt', page: 2 });
    // Fused scores are reciprocal-rank sums: both lists agree on rank 1 → 2/61.
    expect(hybrid.results[0]!.score).toBeCloseTo(2 / 61, 6);
  });

  it('returns nothing for a query with no words', async () => {
    expect((await searchLibrary(library.store, ' ?! ', { k: 3 })).results).toEqual([]);
  });
});
