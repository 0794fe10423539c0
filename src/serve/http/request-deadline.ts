import { DocSightError } from '../../errors.js';

/** A time limit on one HTTP request's work, see `startRequestDeadline`. */
export interface RequestDeadline {
  /** True once the limit passed (the work's controller has been aborted). */
  readonly expired: boolean;
  /**
   * What a handler throws when its work ended — by an error, or a "cancelled" finish — after the deadline: the
   * TIMEOUT error once expired, else `err` itself.
   */
  explain(err: unknown): unknown;
  /** Stops the timer (call in `finally`). */
  clear(): void;
}

/**
 * Aborts `controller` once `timeoutMs` pass (0 = never), so the generation behind the request stops, and turns
 * whatever the aborted work then reports into a 504 TIMEOUT. For non-streamed requests: a stream has sent its
 * 200 already and is bounded per generation by understand.requestTimeoutMs instead.
 *
 * @example
 *   const deadline = startRequestDeadline(controller, app.config.server.requestTimeoutMs);
 *   try { for await (const delta of deltas) … } catch (err) { throw deadline.explain(err); }
 *   finally { deadline.clear(); }
 */
export function startRequestDeadline(controller: AbortController, timeoutMs: number): RequestDeadline {
  const error = new DocSightError(
    'TIMEOUT',
    `The request took longer than ${timeoutMs / 1000} s (server.requestTimeoutMs) and was stopped; ` +
      'ask for fewer tokens, stream the answer, or try again when the server is less busy.',
  );
  let expired = false;
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          expired = true;
          controller.abort(error);
        }, timeoutMs)
      : undefined;
  return {
    get expired() {
      return expired;
    },
    explain: (err) => (expired ? error : err),
    clear: () => clearTimeout(timer),
  };
}
