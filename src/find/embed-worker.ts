/**
 * The embedding worker: a child process that owns the native addon's EmbedSession, so a native abort
 * while embedding ends here and the parent (LlamaEmbedder) starts a new one. Entry point for
 * child_process.fork; serveParentRequests() answers each request with one `done` or `error` message.
 */
import { DocSightError } from '../errors.js';
import {
  loadNativeAddon,
  type NativeEmbedLoadOptions,
  type NativeEmbedSession,
} from '../native/native-addon.js';
import { serveParentRequests } from '../native/serve-parent-requests.js';

/** Requests from LlamaEmbedder. */
export type ToEmbedWorker =
  | { kind: 'load'; id: number; options: NativeEmbedLoadOptions }
  | { kind: 'embed'; id: number; texts: string[] }
  | { kind: 'usage'; id: number };

let session: NativeEmbedSession | undefined;

serveParentRequests<ToEmbedWorker>(async (msg) => {
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
  }
});
