/**
 * The embedding worker: a child process that owns the native addon's EmbedSession, so a native abort
 * while embedding ends here and the parent (LlamaEmbedder) starts a new one. Entry point for
 * child_process.fork; answers each request with one `done` or `error` message.
 */
import { DocSightError, isDocSightError } from '../errors.js';
import type { FromWorker } from '../understand/engine/engine-protocol.js';
import {
  loadNativeAddon,
  type NativeEmbedLoadOptions,
  type NativeEmbedSession,
} from '../understand/engine/native-addon.js';

/** Requests from LlamaEmbedder. */
export type ToEmbedWorker =
  | { kind: 'load'; id: number; options: NativeEmbedLoadOptions }
  | { kind: 'embed'; id: number; texts: string[] }
  | { kind: 'usage'; id: number };

let session: NativeEmbedSession | undefined;

async function handle(msg: ToEmbedWorker): Promise<unknown> {
  switch (msg.kind) {
    case 'load': {
      session?.release();
      session = new (loadNativeAddon().EmbedSession)();
      return session.load(msg.options);
    }
    case 'embed': {
      if (!session) throw new DocSightError('ENGINE_FAILED', 'the embedding model is not loaded');
      const cpu0 = process.cpuUsage();
      const result = await session.embed(msg.texts);
      const cpu = process.cpuUsage(cpu0);
      // CPU time of this process (all threads) for the call: robust to a busy machine.
      return { ...result, cpuMs: (cpu.user + cpu.system) / 1000 };
    }
    case 'usage':
      return { peakRssKb: process.resourceUsage().maxRSS };
  }
}

process.on('message', (msg: ToEmbedWorker) => {
  handle(msg).then(
    (value) => process.send?.({ kind: 'done', id: msg.id, value } satisfies FromWorker),
    (err: unknown) => {
      const code = isDocSightError(err) ? err.code : ((err as { code?: string }).code ?? 'ENGINE_FAILED');
      process.send?.({
        kind: 'error',
        id: msg.id,
        code,
        message: (err as Error).message ?? String(err),
      } satisfies FromWorker);
    },
  );
});
// The parent going away must not leave a process holding the model.
process.on('disconnect', () => process.exit(0));
