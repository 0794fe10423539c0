import { DocSightError, isDocSightError } from '../../errors.js';

/**
 * Admission control in front of the model engine: at most `concurrency` requests run at once (one per engine
 * slot), at most `maxQueue` wait, in arrival order. Each request gets an AbortSignal that fires on the caller's
 * cancel or on its timeout, so the engine can really stop generating.
 *
 * @example
 *   const scheduler = createRequestScheduler({ concurrency: 1, maxQueue: 8, timeoutMs: 120_000 });
 *   const text = await scheduler.run((signal) => engine.answer(question, { signal }));
 */
export interface SchedulerOptions {
  concurrency: number;
  maxQueue: number;
  /** Per-request limit from the moment it starts running; 0 = none. */
  timeoutMs: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface SchedulerStats {
  running: number;
  queued: number;
  completed: number;
  failed: number;
  /** Stopped by the caller (while running or while queued). */
  cancelled: number;
  rejected: number;
}

/** A slot held by one request: its signal fires on cancel or timeout; `finish` must be called exactly once. */
export interface Admission {
  signal: AbortSignal;
  finish(outcome: 'completed' | 'failed' | 'cancelled'): void;
}

export interface RequestScheduler {
  run<T>(task: (signal: AbortSignal) => Promise<T>, options?: RunOptions): Promise<T>;
  /** Waits for a slot (or fails with BUSY / CANCELLED): for work that is not one promise, such as a stream. */
  admit(options?: RunOptions): Promise<Admission>;
  stats(): SchedulerStats;
}

interface Waiter {
  start: () => void;
}

export function createRequestScheduler(options: SchedulerOptions): RequestScheduler {
  const queue: Waiter[] = [];
  const counts = { running: 0, completed: 0, failed: 0, cancelled: 0, rejected: 0 };

  const next = () => {
    while (counts.running < options.concurrency && queue.length > 0) queue.shift()!.start();
  };

  /** Resolves when a slot is ours; rejects if the caller gives up while waiting. */
  const acquire = (signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        counts.cancelled++;
        return reject(new DocSightError('CANCELLED', 'Request cancelled before it started.'));
      }
      if (counts.running < options.concurrency && queue.length === 0) {
        counts.running++;
        return resolve();
      }
      if (queue.length >= options.maxQueue) {
        counts.rejected++;
        return reject(
          new DocSightError(
            'BUSY',
            `The model is busy (${counts.running} running, ${queue.length} waiting). Retry in a moment.`,
          ),
        );
      }
      const onAbort = () => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        counts.cancelled++;
        reject(new DocSightError('CANCELLED', 'Request cancelled while waiting in the queue.'));
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          counts.running++;
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });

  async function admit(runOptions: RunOptions = {}): Promise<Admission> {
    await acquire(runOptions.signal);
    const controller = new AbortController();
    const onCallerAbort = () =>
      controller.abort(new DocSightError('CANCELLED', 'Request cancelled by the client.'));
    runOptions.signal?.addEventListener('abort', onCallerAbort, { once: true });
    if (runOptions.signal?.aborted) onCallerAbort();
    const timeoutMs = runOptions.timeoutMs ?? options.timeoutMs;
    const timer =
      timeoutMs > 0
        ? setTimeout(
            () =>
              controller.abort(
                new DocSightError(
                  'TIMEOUT',
                  `The request took longer than ${timeoutMs / 1000} s and was stopped.`,
                ),
              ),
            timeoutMs,
          )
        : undefined;
    let finished = false;
    return {
      signal: controller.signal,
      finish(outcome) {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        runOptions.signal?.removeEventListener('abort', onCallerAbort);
        counts[outcome]++;
        counts.running--;
        next();
      },
    };
  }

  return {
    async run(task, runOptions = {}) {
      const admission = await admit(runOptions);
      const { signal } = admission;
      try {
        const result = await task(signal);
        // A task that ignored its signal must not turn a timeout into a success.
        if (signal.aborted) throw signal.reason;
        admission.finish('completed');
        return result;
      } catch (err) {
        admission.finish(isDocSightError(signal.reason, 'CANCELLED') ? 'cancelled' : 'failed');
        throw signal.aborted ? signal.reason : err;
      }
    },
    admit,
    stats: () => ({ ...counts, queued: queue.length }),
  };
}
