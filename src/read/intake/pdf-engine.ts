import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Config } from '../../config/config.js';
import { DocSightError, type ErrorCode } from '../../errors.js';
import type { RawImage } from '../types.js';
import { openPdfDocument, type PdfDocument, type PdfPageFacts } from './pdf-document.js';
import { loadPdfium } from './pdfium-module.js';

/**
 * PDFium, contained. Every PDF call runs on one worker thread that can be stopped and replaced:
 *
 * - Memory is capped: the worker refuses to grow PDFium's WebAssembly memory past `memoryBytes`, so a
 *   content stream inflating to gigabytes, or forms drawing forms 4^15 times, make PDFium fail (it aborts)
 *   instead of taking the machine's memory.
 * - Time is capped: opening the file, or all the calls for one page together (its text layer and renders),
 *   may take `timeoutMs`; past it the thread is ended.
 * - A failure poisons nothing: after an abort, a timeout or a thread crash the worker is thrown away and
 *   the next PDF gets a fresh one. Without this, one hostile file left every later PDF in the process
 *   failing with "not enough memory" until a restart.
 * - WebAssembly memory never shrinks, so a worker whose memory grew past RECYCLE_ABOVE_BYTES is also
 *   replaced once no document is open in it.
 *
 * Errors are DocSightErrors naming the file: TOO_COMPLEX (memory or time limit), CORRUPT_FILE (PDFium
 * stopped on the file for another reason), ENGINE_FAILED (the engine was restarted under an open document
 * because of another file; retry).
 */

/** Defaults of the settings intake.pdfPageTimeoutMs and intake.pdfEngineMemoryBytes. */
export const DEFAULT_PDF_PAGE_TIMEOUT_MS = 10_000;
export const DEFAULT_PDF_ENGINE_MEMORY_BYTES = 1024 * 1024 * 1024;
/** A worker whose memory grew past this is replaced once it has no open document. */
export const RECYCLE_ABOVE_BYTES = 256 * 1024 * 1024;

export interface PdfEngineLimits {
  timeoutMs: number;
  memoryBytes: number;
}

/** The engine limits configured in `intake`, defaults filled in. */
export function pdfEngineLimits(intake: Partial<Config['intake']>): PdfEngineLimits {
  return {
    timeoutMs: intake.pdfPageTimeoutMs ?? DEFAULT_PDF_PAGE_TIMEOUT_MS,
    memoryBytes: intake.pdfEngineMemoryBytes ?? DEFAULT_PDF_ENGINE_MEMORY_BYTES,
  };
}

type Request =
  | { id: number; kind: 'open'; bytes: Uint8Array; name: string; limits: Config['intake'] }
  | { id: number; kind: 'page'; doc: number; n: number; dpi: number }
  | { id: number; kind: 'render'; doc: number; n: number; width: number; height: number; label: string }
  | { id: number; kind: 'close'; doc: number };
type Result = { doc: number; pageCount: number } | PdfPageFacts | RawImage | undefined;
type Reply = { id: number; heapBytes: number } & (
  | { ok: true; result: Result }
  | { ok: false; code: ErrorCode | undefined; message: string; poisoned: boolean; memoryCapHit: boolean }
);

interface WorkerInput {
  memoryBytes: number;
}

/** One worker thread holding one PDFium module, and the documents open in it. */
class EngineThread {
  readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (r: Result) => void; reject: (e: Error) => void; label: string }
  >();
  private nextId = 0;
  /** Why the thread is unusable, once it is. */
  dead: string | undefined;
  openDocuments = 0;
  heapBytes = 0;

  constructor(private readonly limits: PdfEngineLimits) {
    const data: WorkerInput = { memoryBytes: limits.memoryBytes };
    // From the TypeScript sources (tests, tsx) the worker registers tsx itself: Node 20 workers do not take
    // `--import` loaders. The built .js file starts directly.
    this.worker = import.meta.url.endsWith('.ts')
      ? new Worker(
          `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); });`,
          { eval: true, workerData: data },
        )
      : new Worker(new URL(import.meta.url), { workerData: data });
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      this.settle();
      this.heapBytes = reply.heapBytes;
      if (reply.ok) return p.resolve(reply.result);
      if (reply.poisoned) this.kill(`PDFium stopped on ${p.label}`);
      if (reply.memoryCapHit) {
        p.reject(
          new DocSightError(
            'TOO_COMPLEX',
            `${p.label}: drawing it needs more than the PDF engine's ${mib(this.limits.memoryBytes)} of memory ` +
              '(intake.pdfEngineMemoryBytes); no real page does. Print it to a new PDF or scan it, or raise the limit.',
          ),
        );
      } else if (reply.code) {
        p.reject(new DocSightError(reply.code, reply.message));
      } else {
        p.reject(
          new DocSightError(
            'CORRUPT_FILE',
            `${p.label}: the PDF engine stopped on this file (${reply.message}). Re-export or re-scan it.`,
          ),
        );
      }
    });
    this.worker.on('error', (err) => this.kill(`the PDF engine failed: ${err.message}`));
    this.worker.on('exit', (code) => this.kill(`the PDF engine stopped (exit code ${code})`));
  }

  /** Sends a request; no reply within `timeoutMs` (default: the whole time limit) ends the thread. */
  call(
    request: Request,
    label: string,
    transfer: ArrayBuffer[] = [],
    timeoutMs = this.limits.timeoutMs,
  ): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      if (this.dead) {
        return reject(
          new DocSightError(
            'ENGINE_FAILED',
            `${label}: the PDF engine was restarted (${this.dead}); try again.`,
          ),
        );
      }
      const timer = setTimeout(() => {
        this.pending.delete(request.id);
        reject(
          new DocSightError(
            'TOO_COMPLEX',
            `${label}: the PDF engine took longer than ${this.limits.timeoutMs / 1000} s on it ` +
              '(intake.pdfPageTimeoutMs) and was stopped. Print it to a new PDF or scan it, or raise the limit.',
          ),
        );
        this.kill(`${label} took too long`);
      }, timeoutMs);
      this.pending.set(request.id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
        label,
      });
      this.worker.ref();
      this.worker.postMessage(request, transfer);
    });
  }

  newId(): number {
    return this.nextId++;
  }

  /** Ends the thread; every request still waiting fails with ENGINE_FAILED. */
  kill(why: string): void {
    if (this.dead) return;
    this.dead = why;
    if (current === this) current = undefined;
    void this.worker.terminate();
    for (const p of this.pending.values()) {
      p.reject(
        new DocSightError('ENGINE_FAILED', `${p.label}: the PDF engine was restarted (${why}); try again.`),
      );
    }
    this.pending.clear();
  }

  /** An idle thread must not keep the process alive; one with a request in flight must. */
  private settle(): void {
    if (this.pending.size === 0) this.worker.unref();
  }
}

const mib = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MiB`;

let current: EngineThread | undefined;

function engineThread(limits: PdfEngineLimits): EngineThread {
  const fits =
    current &&
    !current.dead &&
    current['limits'].timeoutMs === limits.timeoutMs &&
    current['limits'].memoryBytes === limits.memoryBytes;
  if (!fits) {
    if (current && current.openDocuments === 0) current.kill('replaced');
    current = new EngineThread(limits);
  }
  return current!;
}

/** A PDF open in the contained engine; the same operations as PdfDocument, asynchronous. */
export interface ContainedPdf {
  pageCount: number;
  readPage(n: number, dpi: number): Promise<PdfPageFacts>;
  render(n: number, width: number, height: number, label: string): Promise<RawImage>;
  close(): Promise<void>;
}

/**
 * Opens a PDF in the contained engine. The bytes are copied to the engine's thread.
 *
 * @example
 *   const pdf = await openContainedPdf(bytes, 'scan.pdf', config.intake);
 *   const facts = await pdf.readPage(1, 300);
 *   await pdf.close();
 */
export async function openContainedPdf(
  bytes: Uint8Array,
  name: string,
  intake: Config['intake'],
): Promise<ContainedPdf> {
  const thread = engineThread(pdfEngineLimits(intake));
  const copy = new Uint8Array(bytes);
  const opened = (await thread.call(
    { id: thread.newId(), kind: 'open', bytes: copy, name, limits: intake },
    name,
    [copy.buffer as ArrayBuffer],
  )) as { doc: number; pageCount: number };
  thread.openDocuments++;
  let open = true;
  // The calls for one page (its text layer, its render for OCR, its render for the viewer) share one time
  // limit, so a page cannot take the limit once per call.
  const { timeoutMs } = pdfEngineLimits(intake);
  let clock: { n: number; deadline: number } | undefined;
  const timeLeft = (n: number): number => {
    if (clock?.n !== n) clock = { n, deadline: Date.now() + timeoutMs };
    return Math.max(1, clock.deadline - Date.now());
  };
  return {
    pageCount: opened.pageCount,
    async readPage(n, dpi) {
      return (await thread.call(
        { id: thread.newId(), kind: 'page', doc: opened.doc, n, dpi },
        `${name} page ${n}`,
        [],
        timeLeft(n),
      )) as PdfPageFacts;
    },
    async render(n, width, height, label) {
      return (await thread.call(
        { id: thread.newId(), kind: 'render', doc: opened.doc, n, width, height, label },
        label,
        [],
        timeLeft(n),
      )) as RawImage;
    },
    async close() {
      if (!open) return;
      open = false;
      thread.openDocuments--;
      if (thread.dead) return;
      await thread.call({ id: thread.newId(), kind: 'close', doc: opened.doc }, name).catch(() => undefined);
      if (thread.openDocuments === 0 && (thread.heapBytes > RECYCLE_ABOVE_BYTES || thread !== current))
        thread.kill('recycled');
    },
  };
}

/** The current engine thread's WebAssembly memory, bytes, as last reported (for tests and benchmarks). */
export function pdfEngineHeapBytes(): number | undefined {
  return current?.heapBytes;
}

/** The worker's side: caps memory growth, loads PDFium, answers requests in order. */
async function serve(): Promise<void> {
  const port = parentPort!;
  const { memoryBytes } = workerData as WorkerInput;
  let memoryCapHit = false;
  // Emscripten grows its heap through Memory.prototype.grow and treats a throw as "out of memory":
  // malloc returns NULL, and PDFium aborts or fails the call. Only this thread's WebAssembly is patched.
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function (this: WebAssembly.Memory, delta: number): number {
    if (this.buffer.byteLength + delta * 65536 > memoryBytes) {
      memoryCapHit = true;
      throw new RangeError(`over the PDF engine's memory cap of ${memoryBytes} bytes`);
    }
    return grow.call(this, delta);
  };
  // PDFium's runtime reports heap growth failures and aborts on stderr; the caller gets a coded error instead.
  const api = await loadPdfium(() => undefined);
  const documents = new Map<number, PdfDocument>();
  let nextDoc = 1;
  port.on('message', (request: Request) => {
    memoryCapHit = false;
    let reply: Reply;
    const transfer: ArrayBuffer[] = [];
    try {
      let result: Result;
      if (request.kind === 'open') {
        const doc = openPdfDocument(api, request.bytes, request.name, request.limits);
        documents.set(nextDoc, doc);
        result = { doc: nextDoc++, pageCount: doc.pageCount };
      } else {
        const doc = documents.get(request.doc);
        if (!doc) throw new DocSightError('BAD_REQUEST', 'The document was already closed.');
        if (request.kind === 'page') result = doc.readPage(request.n, request.dpi);
        else if (request.kind === 'render') {
          const image = doc.render(request.n, request.width, request.height, request.label);
          transfer.push(image.data.buffer as ArrayBuffer);
          result = image;
        } else {
          doc.close();
          documents.delete(request.doc);
          result = undefined;
        }
      }
      reply = { id: request.id, heapBytes: api.HEAPU8.length, ok: true, result };
    } catch (err) {
      const known = err instanceof DocSightError;
      reply = {
        id: request.id,
        heapBytes: api.HEAPU8.length,
        ok: false,
        code: known ? err.code : undefined,
        message: err instanceof Error ? err.message : String(err),
        // Anything but our own error came from inside PDFium (an abort, a trap): its state is unknown.
        poisoned: !known,
        memoryCapHit: memoryCapHit && !known,
      };
    }
    port.postMessage(reply, transfer);
  });
}

if (!isMainThread && (workerData as WorkerInput | undefined)?.memoryBytes) void serve();
