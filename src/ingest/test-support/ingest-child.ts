/**
 * A child process for the crash-safety test: runs the ingest workers on a library until every job
 * has finished, then exits 0. With a delay argument each page is held back that many milliseconds
 * (standing in for OCR time) so the parent can kill -9 it in the middle of a document.
 *
 * Usage: node --import tsx ingest-child.ts <home> [pageDelayMs]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openLibrary } from '../../store/library.js';
import { startIngestWorkers } from '../ingest-workers.js';
import type { PageReader } from '../page-reader.js';
import { readPlainTextPages } from '../plain-text-reader.js';

const [home, delayArg] = process.argv.slice(2);
const delayMs = Number(delayArg ?? 0);
const library = openLibrary(home!);
const slowed: PageReader = async function* (source, options) {
  for await (const page of readPlainTextPages(source, options)) {
    if (delayMs > 0) await sleep(delayMs);
    yield page;
  }
};
// A short lease, so the restarted child takes over the killed one's job within a second.
const workers = startIngestWorkers({ library, readPages: slowed, pollMs: 50, leaseMs: 1000 });
// settled(), not idle(): the killed child's job becomes claimable only when its lease runs out.
await workers.settled();
await workers.stop();
await library.close();
