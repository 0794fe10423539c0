import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Config } from '../../config/config.js';
import { DocSightError, type ErrorCode } from '../../errors.js';
import type { RawImage } from '../types.js';
import { createOcrEngine, type OcrEngine, type OcrEngineExtras, type OcrResult } from './engine.js';

/**
 * The OCR engine on a worker thread. onnxruntime-node runs a session synchronously on the thread that calls
 * it, so an in-process engine stops a server's event loop for the seconds a page takes; this one only
 * copies the page's pixels to the worker and waits. Same interface as `createOcrEngine`.
 */

type Request =
  | { id: number; kind: 'recognize'; image: RawImage }
  | { id: number; kind: 'abort'; reason: string }
  | { id: number; kind: 'close' };
type Reply =
  | { id: number; ok: true; result?: OcrResult }
  | { id: number; ok: false; code: ErrorCode | undefined; message: string };

interface WorkerInput {
  options: Config['ocr'];
  /** Only the serialisable extras (no callbacks). */
  extras: Omit<OcrEngineExtras, 'onStage'>;
}

/**
 * Starts a worker thread with its own OCR engine (models load there) and returns the engine's interface.
 *
 * @example
 *   const ocr = await createOcrEngineInWorker(config.ocr);
 *   const { lines } = await ocr.recognize(image); // the event loop keeps running meanwhile
 *   await ocr.close();
 */
export async function createOcrEngineInWorker(
  options: Config['ocr'],
  extras: Omit<OcrEngineExtras, 'onStage'> = {},
): Promise<OcrEngine> {
  const data: WorkerInput = { options, extras };
  // From the TypeScript sources (tests, tsx) the worker must register tsx itself: Node 20 workers do not
  // take `--import` loaders. The built .js file starts directly.
  const worker = import.meta.url.endsWith('.ts')
    ? new Worker(
        `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); });`,
        { eval: true, workerData: data },
      )
    : new Worker(new URL(import.meta.url), { workerData: data });
  const pending = new Map<number, { resolve: (r?: OcrResult) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failed: Error | undefined;
  let closed = false;
  const fail = (err: Error) => {
    failed ??= new DocSightError('ENGINE_FAILED', `The OCR worker stopped: ${err.message}`, { cause: err });
    for (const p of pending.values()) p.reject(failed);
    pending.clear();
  };
  // An idle worker must not keep the process alive (a caller that forgets close() still exits); one
  // with a request in flight must, or the process could end while awaiting the answer.
  const settle = () => {
    if (pending.size === 0) worker.unref();
  };
  worker.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    settle();
    if (reply.ok) p.resolve(reply.result);
    else p.reject(reply.code ? new DocSightError(reply.code, reply.message) : new Error(reply.message));
  });
  worker.on('error', fail);
  // Any exit ends the engine: later calls fail at once instead of waiting for a thread that is gone.
  worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  const call = (request: Request, transfer: ArrayBuffer[] = []) =>
    new Promise<OcrResult | undefined>((resolve, reject) => {
      if (failed) return reject(failed);
      pending.set(request.id, { resolve, reject });
      worker.ref();
      worker.postMessage(request, transfer);
    });
  // The worker answers id 0 once its models are loaded (or with the load error).
  await new Promise<void>((resolve, reject) =>
    pending.set(nextId++, {
      resolve: () => resolve(),
      reject: (e) => void worker.terminate().finally(() => reject(e)),
    }),
  );
  settle();
  return {
    async recognize(image, callOptions = {}) {
      if (closed) throw new DocSightError('ENGINE_FAILED', 'The OCR engine was closed; create a new one.');
      const id = nextId++;
      const signal = callOptions.signal;
      if (signal?.aborted)
        throw new DocSightError('CANCELLED', 'OCR was cancelled by the caller.', { cause: signal.reason });
      const onAbort = () =>
        worker.postMessage({ id, kind: 'abort', reason: String(signal?.reason) } satisfies Request);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        // A copy, so the caller's buffer stays usable; the copy moves to the worker without another one.
        const data = new Uint8Array(image.data);
        return (await call({ id, kind: 'recognize', image: { ...image, data } }, [
          data.buffer as ArrayBuffer,
        ]))!;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (!failed) await call({ id: nextId++, kind: 'close' }).catch(() => undefined);
      await worker.terminate();
    },
  };
}

/** The worker's side: one engine, requests answered in order of arrival. */
async function serve(): Promise<void> {
  const port = parentPort!;
  const { options, extras } = workerData as WorkerInput;
  const reply = (r: Reply) => port.postMessage(r);
  const failure = (id: number, err: unknown): Reply => ({
    id,
    ok: false,
    code: err instanceof DocSightError ? err.code : undefined,
    message: (err as Error).message ?? String(err),
  });
  let engine: OcrEngine;
  try {
    engine = await createOcrEngine(options, extras);
  } catch (err) {
    reply(failure(0, err));
    return;
  }
  reply({ id: 0, ok: true });
  const aborts = new Map<number, AbortController>();
  port.on('message', (request: Request) => {
    if (request.kind === 'abort') {
      aborts.get(request.id)?.abort(new Error(request.reason));
      return;
    }
    if (request.kind === 'close') {
      void engine.close().then(() => reply({ id: request.id, ok: true }));
      return;
    }
    const controller = new AbortController();
    aborts.set(request.id, controller);
    engine
      .recognize(request.image, { signal: controller.signal })
      .then((result) => reply({ id: request.id, ok: true, result }))
      .catch((err: unknown) => reply(failure(request.id, err)))
      .finally(() => aborts.delete(request.id));
  });
}

if (!isMainThread && (workerData as WorkerInput | undefined)?.options) void serve();
