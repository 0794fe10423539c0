import { isDocSightError } from '../errors.js';
import type { FromWorker, UsageRequest } from './worker-process-client.js';

/**
 * The child's side of WorkerProcessClient: answers each id-tagged request from the parent with one
 * `done` (what `handle` returns) or `error` (its code and message) message with the same id, and
 * `usage` requests itself. Messages without an id (e.g. abort) go to `notice` and get no answer.
 *
 * @example
 *   serveParentRequests<ToEmbedWorker>(async (msg) => session.embed(msg.texts));
 */
export function serveParentRequests<Request extends { kind: string }>(
  handle: (msg: Exclude<Extract<Request, { id: number }>, UsageRequest>) => Promise<unknown>,
  notice?: (msg: Exclude<Request, { id: number }>) => void,
): void {
  process.on('message', (msg: Request) => {
    if (!('id' in msg)) {
      notice?.(msg as Exclude<Request, { id: number }>);
      return;
    }
    const request = msg as Extract<Request, { id: number }>;
    const answer =
      request.kind === 'usage'
        ? Promise.resolve({ peakRssKb: process.resourceUsage().maxRSS })
        : handle(request as Exclude<typeof request, UsageRequest>);
    answer.then(
      (value) => send({ kind: 'done', id: request.id, value }),
      (err: unknown) => {
        const code = isDocSightError(err) ? err.code : ((err as { code?: string }).code ?? 'ENGINE_FAILED');
        send({ kind: 'error', id: request.id, code, message: (err as Error).message ?? String(err) });
      },
    );
  });
  // The parent going away (crash, kill) must not leave a process holding the model's memory.
  process.on('disconnect', () => process.exit(0));
}

/** Sends a message to the parent (also the `piece` messages a handler streams). */
export function send(msg: FromWorker): void {
  process.send?.(msg);
}
