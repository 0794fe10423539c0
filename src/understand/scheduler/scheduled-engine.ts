import { isDocSightError } from '../../errors.js';
import type {
  ChatDelta,
  ChatRequest,
  EngineStatus,
  VisionLanguageEngine,
} from '../vision-language-engine.js';
import { createRequestScheduler, type SchedulerStats } from './request-scheduler.js';

/**
 * Admission control in front of any {@link VisionLanguageEngine}: every chat waits its turn in one FIFO queue
 * (bounded: a full queue is a BUSY error), runs on one free slot, and is stopped — really stopped, through
 * the AbortSignal the backend honours — when the caller cancels or its time runs out.
 *
 * A slot is one engine able to answer one request at a time: a llama worker process, or one concurrent
 * request to the upstreams (the same OpenAI engine may fill several slots).
 */
export interface ScheduledEngineOptions<E extends VisionLanguageEngine> {
  slots: E[];
  /** Requests allowed to wait; more are refused with BUSY. */
  maxQueue: number;
  /** Longest a request may run once it has a slot, ms; 0 = no limit. */
  timeoutMs: number;
  /** How many recent requests the tokens/s figure averages over (default 20). */
  recentWindow?: number;
}

export interface ScheduledChatRequest extends ChatRequest {
  /** This request's limit instead of the engine's, ms. */
  timeoutMs?: number;
}

export interface ScheduledEngineStats extends SchedulerStats {
  slots: number;
  /** Completion tokens per second of running time (queue wait excluded), over the recent requests. */
  recentTokensPerSecond?: number;
  /** How many requests that figure covers. */
  recentRequests: number;
}

export interface ScheduledEngine<
  E extends VisionLanguageEngine = VisionLanguageEngine,
> extends VisionLanguageEngine {
  chat(request: ScheduledChatRequest): AsyncGenerator<ChatDelta>;
  /**
   * Runs `work` on one slot under one admission: for a sequence of calls that must reach the same engine,
   * such as load state → chat → save state of the image-state cache. `work` gets the request with the
   * admission's signal in place of the caller's.
   */
  chatOnSlot<D extends ChatDelta>(
    request: ScheduledChatRequest,
    work: (slot: E, request: ChatRequest) => AsyncIterable<D>,
  ): AsyncGenerator<D>;
  stats(): ScheduledEngineStats;
  /** The engines behind the slots (benchmarks read their worker processes). */
  readonly slots: readonly E[];
}

interface Slot<E> {
  engine: E;
  busy: boolean;
  /** The images of the last request it answered: a follow-up on them finds them in its KV cache. */
  imagesKey?: string;
  lastUsed: number;
}

const imagesKeyOf = (request: ChatRequest): string | undefined => {
  const ids = [...(request.images ?? [])];
  for (const message of request.messages) {
    if (typeof message.content === 'string') continue;
    for (const part of message.content) if (part.type === 'image') ids.push(part.image);
  }
  return ids.length === 0 ? undefined : ids.map((image) => image.sha256).join(',');
};

/**
 * @example
 *   const engine = createScheduledEngine({ slots: [llamaA, llamaB], maxQueue: 16, timeoutMs: 300_000 });
 *   for await (const delta of engine.chat({ messages, images: [page], signal })) ...
 *   engine.stats(); // { running: 1, queued: 0, completed: 12, …, recentTokensPerSecond: 9.8 }
 */
export function createScheduledEngine<E extends VisionLanguageEngine>(
  options: ScheduledEngineOptions<E>,
): ScheduledEngine<E> {
  if (options.slots.length === 0) throw new RangeError('A scheduled engine needs at least one slot.');
  const scheduler = createRequestScheduler({
    concurrency: options.slots.length,
    maxQueue: options.maxQueue,
    timeoutMs: options.timeoutMs,
  });
  const slots: Slot<E>[] = options.slots.map((engine) => ({ engine, busy: false, lastUsed: 0 }));
  const recent: { tokens: number; ms: number }[] = [];
  const window = options.recentWindow ?? 20;
  let clock = 0;

  /** A free slot (admission guarantees one): the one that last saw these images, else the longest idle. */
  const takeSlot = (imagesKey: string | undefined): Slot<E> => {
    const free = slots.filter((s) => !s.busy);
    const slot =
      (imagesKey && free.find((s) => s.imagesKey === imagesKey)) ||
      free.reduce((a, b) => (b.lastUsed < a.lastUsed ? b : a));
    slot.busy = true;
    return slot;
  };

  async function* chatOnSlot<D extends ChatDelta>(
    request: ScheduledChatRequest,
    work: (slot: E, request: ChatRequest) => AsyncIterable<D>,
  ): AsyncGenerator<D> {
    const { timeoutMs, ...chatRequest } = request;
    const admission = await scheduler.admit({ signal: request.signal, timeoutMs });
    const { signal } = admission;
    const imagesKey = imagesKeyOf(request);
    const slot = takeSlot(imagesKey);
    const started = performance.now();
    let outcome: 'completed' | 'failed' | 'cancelled' | undefined;
    let completionTokens: number | undefined;
    let sawDone = false;
    try {
      for await (const delta of work(slot.engine, { ...chatRequest, signal })) {
        if (delta.type === 'done') {
          sawDone = true;
          completionTokens = delta.usage?.completionTokens;
          // A timeout is an error, not a short answer: the backend saw only "cancelled".
          if (isDocSightError(signal.reason, 'TIMEOUT')) throw signal.reason;
        }
        yield delta;
      }
      if (isDocSightError(signal.reason, 'TIMEOUT')) throw signal.reason;
      outcome = signal.aborted ? 'cancelled' : 'completed';
    } catch (err) {
      outcome = isDocSightError(signal.reason, 'CANCELLED') ? 'cancelled' : 'failed';
      throw signal.aborted ? signal.reason : err;
    } finally {
      // No outcome: the caller stopped reading — after the answer (done) or in the middle of it.
      outcome ??= sawDone && !signal.aborted ? 'completed' : 'cancelled';
      const ms = performance.now() - started;
      if (outcome === 'completed' && completionTokens !== undefined && ms > 0) {
        recent.push({ tokens: completionTokens, ms });
        if (recent.length > window) recent.shift();
      }
      slot.busy = false;
      slot.imagesKey = imagesKey;
      slot.lastUsed = ++clock;
      admission.finish(outcome);
    }
  }

  return {
    slots: options.slots,
    chatOnSlot,
    chat: (request) => chatOnSlot(request, (engine, r) => engine.chat(r)),
    stats() {
      const tokens = recent.reduce((sum, r) => sum + r.tokens, 0);
      const ms = recent.reduce((sum, r) => sum + r.ms, 0);
      return {
        ...scheduler.stats(),
        slots: slots.length,
        recentTokensPerSecond: recent.length > 0 ? tokens / (ms / 1000) : undefined,
        recentRequests: recent.length,
      };
    },
    async status(): Promise<EngineStatus> {
      const status = await slots[0]!.engine.status();
      const { running, queued } = scheduler.stats();
      const load = `${slots.length} slot(s), ${running} running, ${queued} queued`;
      return { ...status, detail: status.detail ? `${status.detail}; ${load}` : load };
    },
    async close() {
      await Promise.all([...new Set(options.slots)].map((engine) => engine.close()));
    },
  };
}
