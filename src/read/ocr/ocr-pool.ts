import { DocSightError, isDocSightError } from '../../errors.js';
import type { RawImage } from '../types.js';
import type { OcrEngine, OcrResult } from './engine.js';

/**
 * A pool of OCR engines behind the one `OcrEngine` interface. onnxruntime runs a model on the thread that calls
 * it, and one intra-op thread per engine scales best on a shared machine (FACTS.md), so pages are read in
 * parallel by several engines, each on its own worker thread, not by more threads in one engine.
 *
 * - Lazy: an engine starts only when a page finds every started engine busy and the pool is below `size`, so a
 *   process that reads no scanned page loads no model, and one that reads pages one at a time loads one set.
 * - Each call goes to an idle engine; when all `size` are busy it waits its turn (first come, first served).
 * - An engine that fails with ENGINE_FAILED (its worker crashed or ran out of memory) is dropped: that call
 *   reports the error, later calls get a fresh engine. Other errors (a bad page) leave the engine in the pool.
 * - `close()` closes every engine and fails the calls still waiting; later calls fail with ENGINE_FAILED.
 */
export interface OcrPool extends OcrEngine {
  /** What the pool is doing now (for progress displays, metrics and tests). */
  state(): OcrPoolState;
}

export interface OcrPoolState {
  /** Most engines the pool runs at once. */
  size: number;
  /** Engines started or starting. */
  engines: number;
  /** Engines reading a page (or loading their models for one). */
  busy: number;
  /** Calls waiting for an engine. */
  waiting: number;
}

export interface OcrPoolOptions {
  /** Most engines at once (each holds its own copy of the models: ~0.7 GB at peak, see docs/ocr-pool.md). */
  size: number;
  /** Starts one engine, e.g. `() => createOcrEngineInWorker(config.ocr)`. */
  start: () => Promise<OcrEngine>;
}

interface Slot {
  engine: Promise<OcrEngine>;
  busy: boolean;
  /** The engine loaded (an engine whose start failed is never reused). */
  started: boolean;
}

interface Waiter {
  take(slot: Slot): void;
  fail(err: Error): void;
}

const cancelled = (signal?: AbortSignal): DocSightError =>
  new DocSightError('CANCELLED', 'OCR was cancelled by the caller.', { cause: signal?.reason });

const closedError = (): DocSightError =>
  new DocSightError('ENGINE_FAILED', 'The OCR engine was closed; create a new one.');

/**
 * @example
 *   const ocr = createOcrPool({ size: 2, start: () => createOcrEngineInWorker(config.ocr) });
 *   const [a, b] = await Promise.all([ocr.recognize(page1), ocr.recognize(page2)]); // two threads at once
 *   await ocr.close();
 */
export function createOcrPool({ size, start }: OcrPoolOptions): OcrPool {
  if (!Number.isInteger(size) || size < 1) {
    throw new DocSightError(
      'BAD_CONFIG',
      `An OCR pool needs at least one engine (got ${size}); set ocr.workers ≥ 1.`,
    );
  }
  const slots: Slot[] = [];
  const queue: Waiter[] = [];
  let closed = false;

  const startSlot = (): Slot => {
    const slot: Slot = { engine: Promise.resolve().then(start), busy: true, started: false };
    slot.engine.then(
      () => (slot.started = true),
      () => undefined,
    );
    slots.push(slot);
    return slot;
  };

  /** Gives each waiting call an idle engine, or a new one while the pool has room. */
  const dispatch = (): void => {
    while (queue.length > 0) {
      const slot = slots.find((s) => !s.busy) ?? (slots.length < size ? startSlot() : undefined);
      if (!slot) return;
      slot.busy = true;
      queue.shift()!.take(slot);
    }
  };

  /** Drops an engine that failed to start or stopped working, freeing its place for a new one. */
  const drop = (slot: Slot): void => {
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    void slot.engine.then(
      (e) => e.close(),
      () => undefined,
    );
  };

  const acquire = (signal?: AbortSignal): Promise<Slot> => {
    // A started idle engine first: a new one costs seconds and its own copy of the models.
    const idle = slots.find((s) => !s.busy);
    if (idle) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    if (slots.length < size) return Promise.resolve(startSlot());
    return new Promise<Slot>((resolve, reject) => {
      // A call cancelled while it waits leaves the queue at once, without taking an engine.
      const onAbort = (): void => {
        queue.splice(queue.indexOf(waiter), 1);
        reject(cancelled(signal));
      };
      const waiter: Waiter = {
        take: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        },
        fail: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  };

  return {
    async recognize(image: RawImage, options: { signal?: AbortSignal } = {}): Promise<OcrResult> {
      if (closed) throw closedError();
      if (options.signal?.aborted) throw cancelled(options.signal);
      const slot = await acquire(options.signal);
      // Healthy until shown otherwise: a bad page (BAD_REQUEST) or a cancelled call leaves the engine usable.
      let healthy = true;
      try {
        return await (await slot.engine).recognize(image, options);
      } catch (err) {
        // Failed to start (missing model, no memory), or its worker died: this call reports it, and the
        // next call that needs an engine starts a new one.
        if (isDocSightError(err, 'ENGINE_FAILED') || !slot.started) healthy = false;
        throw err;
      } finally {
        if (healthy && !closed) slot.busy = false;
        else drop(slot);
        if (!closed) dispatch();
      }
    },
    state() {
      return {
        size,
        engines: slots.length,
        busy: slots.filter((s) => s.busy).length,
        waiting: queue.length,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      // Calls still waiting are told at once instead of waiting for an engine that will not come.
      for (const waiter of queue.splice(0)) waiter.fail(closedError());
      const engines = slots.splice(0).map((s) => s.engine);
      // A failed start was already reported by the call that caused it; it has nothing left to free.
      await Promise.all(
        engines.map((e) =>
          e.then(
            (x) => x.close(),
            () => undefined,
          ),
        ),
      );
    },
  };
}
