/**
 * A child process for the hostile-corpus test: ONE long-lived ingestion process (the real page reader,
 * OCR included) that takes every file of the corpus, then a valid PDF and a valid scan, and searches for
 * those two. Prints JSON lines: `{ added | rejected }` per file, `{ job }` per finished job, `{ found }`,
 * and last `{ maxRssBytes }`, so the parent can watch progress and name a file that hangs.
 *
 * Usage: node --import tsx hostile-ingest-child.ts <home> '<config overrides JSON>' '<paths JSON>'
 */
import { loadConfig } from '../../config/config.js';
import { isDocSightError } from '../../errors.js';
import { searchLibrary } from '../../find/search-library.js';
import { buildPdf } from '../../read/intake/test-support/build-pdf.js';
import { renderTextPng } from '../../read/intake/test-support/render-text.js';
import { openLibrary } from '../../store/library.js';
import { addToLibrary } from '../add-to-library.js';
import { startIngestWorkers } from '../ingest-workers.js';
import { createLibraryPageReader } from '../library-page-reader.js';

const [home, overrides, pathsJson] = process.argv.slice(2);
const config = loadConfig({ env: {}, flags: { ...JSON.parse(overrides!), home: home! } });
const paths = JSON.parse(pathsJson!) as string[];
const print = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
const library = openLibrary(home!);
const reader = createLibraryPageReader(config);
const workers = startIngestWorkers({
  library,
  readPages: reader.readPages,
  pollMs: 50,
  retryBaseMs: 10,
});
workers.events.on('job', (e) => print({ job: e.jobId, state: e.state, code: e.errorCode ?? null }));
workers.events.on('progress', (p) => print({ progress: p.jobId, pages: p.pagesDone }));
const add = async (input: { path: string } | { bytes: Uint8Array; name: string }) => {
  const r = await addToLibrary(library, input, {
    maxAttempts: config.library.maxAttempts,
    maxFileBytes: config.intake.maxFileBytes,
  });
  return r;
};
for (const path of paths) {
  try {
    const r = await add({ path });
    print({ added: path, job: r.job?.id ?? null });
  } catch (err) {
    print({ rejected: path, code: isDocSightError(err) ? err.code : `uncoded: ${(err as Error).message}` });
  }
}
await workers.settled();
// The same process, after all of that: valid documents still go in and are found.
const pdf = buildPdf([{ texts: [{ text: 'Quarterly invoice 4711 paid', x: 72, y: 700, size: 14 }] }]);
const scan = await renderTextPng('HARDWARE SHOP\nTOTAL 112.45');
const valid = [await add({ bytes: pdf, name: 'valid.pdf' }), await add({ bytes: scan, name: 'valid.png' })];
await workers.settled(valid.map((v) => v.job!.id));
const pdfHits = await searchLibrary(library.store, 'invoice 4711', { k: 3 });
const scanHits = await searchLibrary(library.store, '112.45', { k: 3 });
print({
  found: {
    pdf: pdfHits.results.map((r) => r.documentName),
    scan: scanHits.results.map((r) => r.documentName),
  },
});
await workers.stop();
await reader.close();
await library.close();
print({ maxRssBytes: process.resourceUsage().maxRSS * 1024 });
