import type { Config } from '../config/config.js';
import type { Embedder } from '../find/embedder.js';
import type { OcrEngine } from '../read/ocr/engine.js';
import type { Library } from '../store/library.js';
import { startIngestWorkers, type IngestWorkers } from './ingest-workers.js';
import { createLibraryPageReader } from './library-page-reader.js';

/** Ingest workers with the default reader, configured from `config.library`. */
export interface LibraryIngestion {
  workers: IngestWorkers;
  /** Stops the workers (running jobs go back to the queue) and closes the OCR engines it started. */
  stop(): Promise<void>;
}

/**
 * Starts ingestion for a library as the CLI and the server run it: the default page reader (plain
 * text, PDF text layer, OCR with one shared pool of `ocr.workers` engines) and the `library.*` settings (concurrency,
 * retries, chunk size). With an embedder (see find/open-configured-embedder.ts) every chunk is
 * written with its vector. Forward `workers.events` ('progress', 'job') to clients.
 *
 * @example
 *   const ingestion = startLibraryIngestion(library, config);
 *   ingestion.workers.events.on('progress', (p) => send(p));
 *   // … on shutdown:
 *   await ingestion.stop();
 */
export function startLibraryIngestion(
  library: Library,
  config: Config,
  options: {
    pollMs?: number;
    embedder?: Embedder;
    /** The process's OCR engine (e.g. `DocSight.ocr`), shared and left open; default a pool of its own. */
    ocr?: OcrEngine;
    /** Awaited before each next page: interactive work (a question being answered) goes first. */
    beforePage?: () => Promise<void>;
  } = {},
): LibraryIngestion {
  const reader = createLibraryPageReader(config, { ocr: options.ocr });
  const workers = startIngestWorkers({
    library,
    readPages: reader.readPages,
    concurrency: config.library.concurrency,
    retryBaseMs: config.library.retryBaseMs,
    chunkChars: config.library.chunkChars,
    pollMs: options.pollMs,
    embedder: options.embedder,
    beforePage: options.beforePage,
  });
  return {
    workers,
    async stop() {
      await workers.stop();
      await reader.close();
    },
  };
}
