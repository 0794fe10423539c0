import type { Config } from '../config/config.js';
import { DocSightError, isDocSightError } from '../errors.js';
import { assignBlocks } from './intake/text-layout.js';
import { readLocalFile } from './intake/read-local-file.js';
import type { SourcePage } from './intake/document-source.js';
import { openDocument } from './intake/open-document.js';
import { createOcrEngine, type OcrEngine } from './ocr/engine.js';
import { createOcrEngineInWorker } from './ocr/engine-worker.js';
import { createOcrPool, type OcrPool } from './ocr/ocr-pool.js';
import type { PageText } from './types.js';

export type ReadInput = { path: string } | { bytes: Uint8Array; name: string };

export interface ReadOptions {
  config: Config;
  /** An engine to reuse across documents; otherwise one is created (and closed) only if a page needs OCR. */
  ocr?: OcrEngine;
  signal?: AbortSignal;
  /** Called once the document is open and its page count known, before any page is read. */
  onOpen?(pageCount: number): void;
  /** Called after each page is read, before it is yielded. */
  onPage?(done: number, total: number): void;
  /** Pages not to read (already stored by an earlier, interrupted run): they are neither OCR'd nor yielded. */
  skipPages?: ReadonlySet<number>;
  /** Also render each page to PNG at this resolution (for a page viewer), attached as `image`. */
  pageImageDpi?: number;
}

/** A read page, with its rendered image when `pageImageDpi` was asked for. */
export interface DocumentPage extends PageText {
  image?: Uint8Array;
}

/** Where an engine runs its models: on worker threads (the caller's event loop stays free) or in process. */
export type OcrThread = 'worker' | 'main';

/**
 * The OCR engine a process shares across documents: models load on the first page that needs them, so a
 * caller reading many documents pays nothing for them when every page has a text layer.
 *
 * By default it is a pool of `options.workers` engines on worker threads (`createOcrPool` with
 * `createOcrEngineInWorker`): pages recognised at once go to different threads, and the event loop stays free
 * (onnxruntime runs a model synchronously on the calling thread). A second engine starts only when a page
 * finds the first one busy. `thread: 'main'` runs one engine in process, for one-shot commands with nothing
 * else to serve. When a worker stops (crashed, out of memory), the failed call reports ENGINE_FAILED and the
 * next one starts a new worker.
 *
 * @example
 *   const ocr = createLazyOcrEngine(config.ocr);
 *   for (const path of paths) for await (const page of readDocument({ path }, { config, ocr })) use(page);
 *   await ocr.close();
 */
export function createLazyOcrEngine(
  options: Config['ocr'],
  { thread = 'worker' }: { thread?: OcrThread } = {},
): OcrPool {
  // In process, engines could not overlap anyway: each model run holds the one thread.
  return thread === 'worker'
    ? createOcrPool({ size: options.workers, start: () => createOcrEngineInWorker(options) })
    : createOcrPool({ size: 1, start: () => createOcrEngine(options) });
}

function throwIfAborted(signal: AbortSignal | undefined, name: string): void {
  if (signal?.aborted) {
    throw new DocSightError('CANCELLED', `Reading ${name} was cancelled.`, { cause: signal.reason });
  }
}

/**
 * The page rendered for a viewer. A text-layer page too large to render under `intake.maxPixels` (a poster,
 * or a huge image on the page) keeps its text and goes without an image rather than failing the document;
 * an OCR page that large was already refused when it was rendered for OCR.
 */
async function pageImage(
  page: SourcePage,
  source: PageText['source'],
  dpi: number,
): Promise<Uint8Array | undefined> {
  try {
    return await page.renderPng(dpi);
  } catch (err) {
    if (source === 'text-layer' && isDocSightError(err, 'TOO_MANY_PIXELS')) return undefined;
    throw err;
  }
}

/**
 * Reads a document page by page: the PDF text layer where a page has one, OCR otherwise.
 * Pages are yielded as they are read, so memory stays flat however long the document is.
 * Breaking out of the loop closes the document (and the OCR engine, if this call created it).
 *
 * @example
 *   for await (const page of readDocument({ path: 'scan.pdf' }, { config })) {
 *     console.log(page.page, page.source, page.lines.map((l) => l.text).join('\n'));
 *   }
 */
export async function* readDocument(input: ReadInput, options: ReadOptions): AsyncGenerator<DocumentPage> {
  const { config, signal } = options;
  const name = 'path' in input ? input.path : input.name;
  // Regular files only, size checked on the opened handle (a link to /dev/zero or a FIFO is refused).
  const bytes = 'path' in input ? await readLocalFile(input.path, config.intake) : input.bytes;
  throwIfAborted(signal, name);
  const doc = await openDocument(bytes, name, config.intake);
  let ownEngine: OcrEngine | undefined;
  try {
    options.onOpen?.(doc.pageCount);
    for (let n = 1; n <= doc.pageCount; n++) {
      throwIfAborted(signal, name);
      if (options.skipPages?.has(n)) continue;
      const page = await doc.page(n);
      let text: DocumentPage;
      if (page.textLines) {
        text = {
          page: n,
          width: page.width,
          height: page.height,
          source: 'text-layer',
          lines: page.textLines,
        };
      } else {
        const engine = options.ocr ?? (ownEngine ??= createLazyOcrEngine(config.ocr));
        const result = await engine.recognize(await page.image(), { signal });
        text = {
          page: n,
          width: result.width,
          height: result.height,
          source: 'ocr',
          // The OCR engine numbers blocks; assignBlocks only fills them in for an engine that does not.
          lines: assignBlocks(result.lines),
          rotation: result.rotation,
        };
      }
      if (options.pageImageDpi) {
        const image = await pageImage(page, text.source, options.pageImageDpi);
        if (image) text.image = image;
      }
      options.onPage?.(n, doc.pageCount);
      yield text;
    }
  } finally {
    await doc.close();
    await ownEngine?.close();
  }
}
