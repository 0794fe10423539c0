import { readFile } from 'node:fs/promises';
import type { Config } from '../config/config.js';
import { createLazyOcrEngine, readDocument } from '../read/read-document.js';
import type { OcrEngine } from '../read/ocr/engine.js';
import type { PageReader } from './page-reader.js';
import { createPlainTextReader } from './plain-text-reader.js';

/** The page reader ingestion uses by default, with the OCR pool it shares across documents. */
export interface LibraryPageReader {
  readPages: PageReader;
  /** Closes the OCR engines this reader started (not an engine it was given). */
  close(): Promise<void>;
}

/**
 * Reads stored originals for ingestion: plain text directly (as text-layer pages), everything else
 * through the read path (`readDocument`: PDF text layer, or OCR). One OCR pool (`createLazyOcrEngine`: up to
 * `ocr.workers` engines, each started when a page finds the others busy) serves every document, so
 * `library.concurrency` documents ingested at once have their scanned pages read in parallel.
 *
 * Give it the process's engine (`ocr`, e.g. `DocSight.ocr`) so ingestion and the other use cases share one
 * pool, and one set of loaded models per worker, instead of each starting its own.
 *
 * @example
 *   const reader = createLibraryPageReader(config, { ocr: app.ocr });
 *   const workers = startIngestWorkers({ library, readPages: reader.readPages });
 */
export function createLibraryPageReader(
  config: Config,
  options: { ocr?: OcrEngine } = {},
): LibraryPageReader {
  // On worker threads: ingestion runs inside the server, whose event loop must keep answering requests
  // while pages are read (onnxruntime blocks the thread that runs a model for the whole run).
  const own = options.ocr ? undefined : createLazyOcrEngine(config.ocr, { thread: 'worker' });
  const engine = options.ocr ?? own!;
  // readDocument must not close the shared engine after each document: LibraryPageReader.close does.
  const sharedOcr: OcrEngine = {
    recognize: (image, options) => engine.recognize(image, options),
    close: async () => {},
  };
  const readPlainTextPages = createPlainTextReader(config.intake);
  const readPages: PageReader = (source, options) => {
    if (source.mime === 'text/plain') return readPlainTextPages(source, options);
    // Bytes + the user's file name, so errors name the file, not its blob path.
    return (async function* () {
      const bytes = new Uint8Array(await readFile(source.path));
      yield* readDocument(
        { bytes, name: source.name },
        {
          config,
          ocr: sharedOcr,
          signal: options.signal,
          onOpen: (pages) => options.onPage?.(0, pages),
          onPage: options.onPage,
          skipPages: options.skipPages,
          // A single-image file is its own page image; PDFs and multi-page TIFFs get a render per page.
          pageImageDpi:
            source.mime === 'application/pdf' || source.mime === 'image/tiff'
              ? config.library.pageImageDpi
              : undefined,
        },
      );
    })();
  };
  return {
    readPages,
    close: async () => {
      await own?.close();
    },
  };
}
