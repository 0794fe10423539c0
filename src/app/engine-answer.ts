import { DocSightError } from '../errors.js';
import { chatWithImageCache, isStatefulEngine } from '../understand/ask/chat-with-image-cache.js';
import type { ScheduledChatRequest } from '../understand/scheduler/scheduled-engine.js';
import { requireValidFields } from '../understand/tasks/fields-output.js';
import type { ChatDelta, ChatStats, ChatUsage, FinishReason } from '../understand/vision-language-engine.js';
import type { DocSight } from './docsight.js';

/**
 * Where the answer's image state came from:
 * - 'loaded': the image-state cache on disk (saved by an earlier request, maybe another process): not encoded;
 * - 'saved': encoded now, and saved to the cache for follow-ups;
 * - 'kept': still in the engine's KV cache from the conversation's previous turn: not encoded;
 * - 'none': nothing kept (an upstream backend, or the cache is off).
 */
export type ImageState = 'loaded' | 'saved' | 'kept' | 'none';

/**
 * What an answer cost: the engine's figures as far as the backend can tell (a local engine knows every stage,
 * an upstream only what its client sees), and where the image state came from.
 */
export interface AnswerStats extends ChatStats {
  imageState: ImageState;
  /** Prompt positions taken from the KV cache instead of being evaluated (local engine). */
  reusedTokens?: number;
  /** ask: what the zoom step did and why (one line), and how many crops it added. */
  zoom?: string;
  zoomedRegions?: number;
}

export interface AnswerDone {
  type: 'done';
  finishReason: FinishReason;
  usage?: ChatUsage;
  stats: AnswerStats;
  /** The fields task: the answer parsed, checked against its schema. */
  fields?: unknown;
}

/** A streamed answer: text pieces, then one `done`. */
export type AnswerEvent = { type: 'text'; text: string } | AnswerDone;

const CHAT_STATS_KEYS = [
  'imagesEncoded',
  'imageTokens',
  'encodeMs',
  'prefillMs',
  'decodeMs',
  'generatedTokens',
  'firstTextMs',
  'totalMs',
] as const satisfies readonly (keyof ChatStats)[];

/** The interface's figures only (a backend may add its own), without the absent ones. */
function pickChatStats(stats: ChatStats | undefined): ChatStats {
  const out: ChatStats = {};
  for (const key of CHAT_STATS_KEYS) if (stats?.[key] !== undefined) out[key] = stats[key];
  return out;
}

/**
 * The conversation whose turns each slot's KV cache holds. Keyed by the slot engine (one per process),
 * so a follow-up that lands on the slot of the previous turn is sent as it is: the engine evaluates only the
 * new text. Anywhere else (another slot, after a restart) it starts from the image's saved state.
 */
const heldConversation = new WeakMap<object, string>();

/**
 * One request to the configured engine, through its scheduler: with the local model, the image state is
 * loaded from (or saved to) the image-state cache on the slot that answers, unless that slot still holds this
 * conversation. A `jsonSchema` answer is checked before `done` (INVALID_OUTPUT when it does not match).
 *
 * @example
 *   for await (const event of answerWithEngine(app, request, { budget: 256 })) ...
 */
export async function* answerWithEngine(
  app: DocSight,
  request: ScheduledChatRequest,
  options: { budget: number; conversationId?: string },
): AsyncGenerator<AnswerEvent> {
  const { engine } = app.engine();
  const cache = await app.imageStateCache();
  // Background ingestion holds back between pages while this answer runs.
  const leave = app.interactive.enter();
  try {
    yield* answerOnSlot(engine, cache, request, options);
  } finally {
    leave();
  }
}

async function* answerOnSlot(
  engine: ReturnType<DocSight['engine']>['engine'],
  cache: Awaited<ReturnType<DocSight['imageStateCache']>>,
  request: ScheduledChatRequest,
  options: { budget: number; conversationId?: string },
): AsyncGenerator<AnswerEvent> {
  let imageState: ImageState = 'none';
  const deltas = engine.chatOnSlot(request, (slot, r): AsyncIterable<ChatDelta> => {
    const held =
      options.conversationId !== undefined && heldConversation.get(slot) === options.conversationId;
    if (options.conversationId !== undefined) heldConversation.set(slot, options.conversationId);
    else heldConversation.delete(slot);
    if (held) {
      imageState = 'kept';
      return slot.chat(r);
    }
    if (cache && isStatefulEngine(slot)) {
      if (r.images?.length) imageState = 'saved';
      return chatWithImageCache(slot, cache, r, options.budget);
    }
    return slot.chat(r);
  });
  let text = '';
  let done: AnswerDone | undefined;
  for await (const delta of deltas) {
    if (delta.type === 'text') {
      text += delta.text;
      yield delta;
      continue;
    }
    if (delta.cacheHit) imageState = 'loaded';
    // The llama engine's stats carry its worker's counters too; reusedTokens is the one worth keeping.
    const { reusedTokens } = (delta.stats ?? {}) as { reusedTokens?: number };
    done = {
      type: 'done',
      finishReason: delta.finishReason,
      usage: delta.usage,
      stats: {
        ...pickChatStats(delta.stats),
        ...(reusedTokens !== undefined && { reusedTokens }),
        imageState,
      },
    };
  }
  // After the stream: the image cache saves the state once the answer is complete.
  if (!done) throw new DocSightError('ENGINE_FAILED', 'The engine ended without finishing its answer.');
  // The grammar shapes the llama answer; the check catches a cut-off answer or an upstream that ignored the schema.
  if (request.jsonSchema && done.finishReason !== 'cancelled') {
    done.fields = requireValidFields(text, request.jsonSchema, done.finishReason);
  }
  yield done;
}
