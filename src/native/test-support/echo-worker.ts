/**
 * A worker without native code, for WorkerProcessClient's tests: answers, streams, fails and dies on
 * request, like the engine and embedding workers do on a model.
 */
import { DocSightError } from '../../errors.js';
import { send, serveParentRequests } from '../serve-parent-requests.js';

export type ToEchoWorker =
  | { kind: 'echo'; id: number; text: string }
  | { kind: 'stream'; id: number; pieces: string[] }
  | { kind: 'fail'; id: number }
  | { kind: 'exit'; id: number; code: number }
  | { kind: 'notices'; id: number }
  | { kind: 'usage'; id: number }
  | { kind: 'notice'; text: string };

const notices: string[] = [];

serveParentRequests<ToEchoWorker>(
  async (msg) => {
    switch (msg.kind) {
      case 'echo':
        return msg.text;
      case 'stream':
        for (const text of msg.pieces) send({ kind: 'piece', id: msg.id, text });
        return msg.pieces.length;
      case 'fail':
        throw new DocSightError('BAD_REQUEST', 'asked to fail');
      case 'exit':
        return process.exit(msg.code);
      case 'notices':
        return notices;
    }
  },
  (msg) => notices.push(msg.text),
);
