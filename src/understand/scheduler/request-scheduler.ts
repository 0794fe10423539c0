import { DocSightError } from '../../errors.js';

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
  rejected: number;
}

export interface RequestScheduler {
  run<T>(task: (signal: AbortSignal) => Promise<T>, options?: RunOptions): Promise<T>;
  stats(): SchedulerStats;
}

interface Waiter {
  start: () => void;
}

export function createRequestScheduler(options: SchedulerOptions): RequestScheduler {
  const queue: Waiter[] = [];
  const counts = { running: 0, completed: 0, failed: 0, rejected: 0 };

  const next = () => {
    while (counts.running < options.concurrency && queue.length > 0) queue.shift()!.start();
  };

  /** Resolves when a slot is ours; rejects if the caller gives up while waiting. */
  const acquire = (signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted)
        return reject(new DocSightError('CANCELLED', 'Request cancelled before it started.'));
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

  return {
    async run(task, runOptions = {}) {
      await acquire(runOptions.signal);
      const controller = new AbortController();
      const onCallerAbort = () =>
        controller.abort(new DocSightError('CANCELLED', 'Request cancelled by the client.'));
      runOptions.signal?.addEventListener('abort', onCallerAbort, { once: true });
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
      try {
        const result = await task(controller.signal);
        // A task that ignored its signal must not turn a timeout into a success.
        if (controller.signal.aborted) throw controller.signal.reason;
        counts.completed++;
        return result;
      } catch (err) {
        counts.failed++;
        throw controller.signal.aborted ? controller.signal.reason : err;
      } finally {
        clearTimeout(timer);
        runOptions.signal?.removeEventListener('abort', onCallerAbort);
        counts.running--;
        next();
      }
    },
    stats: () => ({ ...counts, queued: queue.length }),
  };
}
