import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SEARCH_TERMS_VERSION } from '../text/search-terms.js';
import { openLibrary, type Library } from '../store/library.js';
import { layoutTextPage } from './plain-text-reader.js';
import { needsReindex, reindexLibrary } from './reindex-library.js';

const libs: Library[] = [];
afterEach(async () => {
  for (const l of libs.splice(0)) {
    await l.close();
    rmSync(l.home, { recursive: true, force: true });
  }
});

describe('reindexLibrary', () => {
  it('rebuilds index entries from stored lines, so a library indexed with old terms is found with new ones', async () => {
    const library = openLibrary(mkdtempSync(join(tmpdir(), 'docsight-reindex-')));
    libs.push(library);
    const { document } = await library.store.addDocument({
      sha256: 'a'.repeat(64),
      name: 'form.png',
      mime: 'image/png',
      sizeBytes: 1,
    });
    const page = layoutTextPage('Date: 9/ 3/ 92\nRe: coal retention', 1);
    // Written as an older version would have: the date as three separate terms.
    await library.store.writePage({
      jobId: null,
      documentId: document.id,
      page,
      chunks: [
        {
          firstLine: 0,
          lastLine: 1,
          text: 'Date: 9/ 3/ 92\nRe: coal retention',
          terms: 'date 9 3 92 re coal retent',
        },
      ],
    });
    await library.store.setMeta('search_terms_version', '1');
    expect(await needsReindex(library)).toBe(true);
    expect(await library.store.searchChunks({ terms: ['9/3/92'], match: 'all' }, {}, 5)).toHaveLength(0);

    expect(await reindexLibrary(library)).toBe(1);
    expect(await needsReindex(library)).toBe(false);
    expect(await library.store.getMeta('search_terms_version')).toBe(SEARCH_TERMS_VERSION);
    expect(await library.store.searchChunks({ terms: ['9/3/92'], match: 'all' }, {}, 5)).toHaveLength(1);
    expect((await library.store.getPage(document.id, 1))!.lines.map((l) => l.text)).toEqual([
      'Date: 9/ 3/ 92',
      'Re: coal retention',
    ]);
    expect(await library.store.checkIntegrity()).toBe('ok');
  });

  it('records the version on an empty library instead of asking for a re-index', async () => {
    const library = openLibrary(mkdtempSync(join(tmpdir(), 'docsight-reindex-')));
    libs.push(library);
    expect(await needsReindex(library)).toBe(false);
    expect(await library.store.getMeta('search_terms_version')).toBe(SEARCH_TERMS_VERSION);
  });
});
