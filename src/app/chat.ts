import { randomUUID } from 'node:crypto';
import { DocSightError } from '../errors.js';
import type {
  ConversationDetail,
  ConversationImage,
  ConversationMessage,
  ConversationRecord,
  NewConversationMessage,
} from '../store/library-store.js';
import { DEFAULT_TOKEN_BUDGET } from '../understand/images/token-budget.js';
import { buildTaskRequest, type TaskName } from '../understand/tasks/task-prompts.js';
import type { ChatMessage, EngineImage } from '../understand/vision-language-engine.js';
import { FULL_ACCESS, type Access } from './access.js';
import { DEFAULT_MAX_TOKENS } from './ask.js';
import { canUseConversation } from './conversation-access.js';
import type { DocSight } from './docsight.js';
import { getDocumentSummary } from './documents.js';
import { answerWithEngine, type AnswerDone } from './engine-answer.js';
import { fitToBudget, loadPageSource, type ImageInput, type PageSource } from './page-images.js';

/**
 * Conversations about document images, kept in the library database with their images as blobs, so a
 * server holds many at once and each survives a restart. Every message resends the conversation so far;
 * the engine evaluates only what is new — the image comes from the slot's KV cache (the turn before was
 * answered there) or from the image-state cache (a restart, another slot), and is not encoded again.
 *
 * @example
 *   const { id } = await createConversation(app, { images: [{ bytes, name: 'contract.pdf', page: 3 }] });
 *   for await (const event of sendMessage(app, id, { text: 'Who signed?' })) ...
 *   for await (const event of sendMessage(app, id, { text: 'And when?' })) ... // stats.imagesEncoded === 0
 */

export interface NewConversationInput {
  title?: string;
  /** Images the first message will be about. */
  images?: ImageInput[];
}

export interface MessageInput {
  /** The question, or an extra instruction for the other tasks. */
  text?: string;
  /** Images this message adds to the conversation. */
  images?: ImageInput[];
  task?: TaskName;
  /** For `fields`: a preset (`receipt`, `invoice`, `contract`) or a JSON Schema object. */
  schema?: string | Record<string, unknown>;
  /** Image token budget of the conversation: only the first message sets it (default per task). */
  budget?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

/** A streamed reply; `done` carries the turn as stored (empty when it was cancelled: nothing is kept). */
export type ChatEvent = { type: 'text'; text: string } | (AnswerDone & { turn: ConversationMessage[] });

const MAX_TITLE = 200;

function checkTitle(title: string): string {
  const trimmed = title.trim();
  if (trimmed === '' || trimmed.length > MAX_TITLE) {
    throw new DocSightError('BAD_REQUEST', `A conversation title must be 1 to ${MAX_TITLE} characters.`);
  }
  return trimmed;
}

const notFound = (id: string) =>
  new DocSightError('NOT_FOUND', `There is no conversation ${id} (it may have been deleted).`);

/**
 * A library page given to a conversation must be one `access` may see: another collection's document is
 * NOT_FOUND, as everywhere else.
 */
async function checkVisiblePages(app: DocSight, images: ImageInput[], access: Access): Promise<void> {
  for (const image of images) {
    if ('documentId' in image) await getDocumentSummary(app, image.documentId, access);
  }
}

/** Stores a page source as a conversation image (a library page's render is already a blob). */
function keepImage(app: DocSight, source: PageSource): ConversationImage {
  return {
    sha256: source.blobSha256 ?? app.library().blobs.put(source.bytes),
    name: source.name,
    documentId: source.documentId,
    page: source.page,
  };
}

/**
 * Starts a conversation, owned by the key of `access` (see canUseConversation); its images (bytes, or library
 * pages `access` may see) are kept as blobs and go with the first message. The title defaults to the first
 * image's name.
 */
export async function createConversation(
  app: DocSight,
  input: NewConversationInput = {},
  access: Access = FULL_ACCESS,
): Promise<ConversationRecord> {
  await checkVisiblePages(app, input.images ?? [], access);
  const images: ConversationImage[] = [];
  for (const image of input.images ?? []) images.push(keepImage(app, await loadPageSource(app, image)));
  const title = checkTitle(input.title ?? images[0]?.name ?? 'New conversation');
  return app.library().store.createConversation({
    id: randomUUID(),
    title,
    images,
    ownerKeyId: access.keyId ?? null,
  });
}

/**
 * A conversation with its messages (system, user and assistant, in order) and their images; NOT_FOUND if there
 * is none, or `access` may not use it (another key's).
 */
export async function getConversation(
  app: DocSight,
  id: string,
  access: Access = FULL_ACCESS,
): Promise<ConversationDetail> {
  const detail = await app.library().store.getConversation(id);
  if (!detail || !canUseConversation(access, detail.ownerKeyId)) throw notFound(id);
  return detail;
}

/** Conversations `access` may use, most recently active first. */
export async function listConversations(
  app: DocSight,
  options: { limit?: number; offset?: number } = {},
  access: Access = FULL_ACCESS,
): Promise<ConversationRecord[]> {
  if (access.kind === 'all') return app.library().store.listConversations(options);
  if (access.keyId === undefined) return [];
  return app.library().store.listConversations({ ...options, ownerKeyId: access.keyId });
}

/** Renames a conversation (1–200 characters, trimmed); NOT_FOUND if there is none (for `access`). */
export async function renameConversation(
  app: DocSight,
  id: string,
  title: string,
  access: Access = FULL_ACCESS,
): Promise<ConversationDetail> {
  const checked = checkTitle(title);
  await getConversation(app, id, access);
  if (!(await app.library().store.renameConversation(id, checked))) throw notFound(id);
  return getConversation(app, id, access);
}

/**
 * Deletes a conversation (NOT_FOUND if there is none for `access`) and the image blobs that nothing else (a
 * document, a page, another conversation) uses.
 */
export async function deleteConversation(
  app: DocSight,
  id: string,
  access: Access = FULL_ACCESS,
): Promise<void> {
  await getConversation(app, id, access);
  const library = app.library();
  const { deleted, orphanBlobs } = await library.store.deleteConversation(id);
  if (!deleted) throw notFound(id);
  for (const sha of orphanBlobs) library.blobs.remove(sha);
}

/**
 * The bytes of one of a conversation's images (for a page viewer), as it was given or rendered; NOT_FOUND
 * unless the image belongs to that conversation.
 */
export async function readConversationImage(
  app: DocSight,
  id: string,
  sha256: string,
  access: Access = FULL_ACCESS,
): Promise<Buffer> {
  const detail = await getConversation(app, id, access);
  const images = [...detail.waitingImages, ...detail.messages.flatMap((m) => m.images)];
  if (!images.some((image) => image.sha256 === sha256)) {
    throw new DocSightError('NOT_FOUND', `Conversation ${id} has no image ${sha256}.`);
  }
  return app.library().blobs.get(sha256);
}

/** The conversation's stored messages as the engine takes them, images fitted to the conversation's budget. */
async function history(
  app: DocSight,
  detail: ConversationDetail,
  budget: number,
): Promise<{ messages: ChatMessage[]; firstImages: EngineImage[] }> {
  const fit = async (images: ConversationImage[]) => {
    const out: EngineImage[] = [];
    for (const image of images) {
      out.push(await fitToBudget(app, await app.library().blobs.get(image.sha256), budget));
    }
    return out;
  };
  const messages: ChatMessage[] = [];
  let firstImages: EngineImage[] | undefined;
  for (const m of detail.messages) {
    const text = m.prompt ?? m.text;
    if (m.role !== 'user') {
      messages.push({ role: m.role, content: text });
    } else if (!firstImages) {
      // The first message's images go through the request's `images`: what the image-state cache keys on.
      firstImages = await fit(m.images);
      messages.push({ role: 'user', content: text });
    } else {
      const parts = (await fit(m.images)).map((image) => ({ type: 'image' as const, image }));
      messages.push({ role: 'user', content: parts.length ? [...parts, { type: 'text', text }] : text });
    }
  }
  return { messages, firstImages: firstImages ?? (await fit(detail.waitingImages)) };
}

/** Conversations answering a message now, per app: a second message waits for no one, it is refused. */
const answering = new WeakMap<DocSight, Set<string>>();

/**
 * Sends one message and streams the answer. The turn (question, answer, its stats and any new images) is
 * stored once the answer is complete; a cancelled answer leaves the conversation as it was. One message at a
 * time per conversation: another while one is being answered is refused with BUSY (its history would fork).
 * A conversation `access` may not use is NOT_FOUND, checked first (a busy one of another key says nothing).
 */
export async function* sendMessage(
  app: DocSight,
  conversationId: string,
  input: MessageInput,
  access: Access = FULL_ACCESS,
): AsyncGenerator<ChatEvent> {
  await getConversation(app, conversationId, access);
  let busy = answering.get(app);
  if (!busy) answering.set(app, (busy = new Set()));
  if (busy.has(conversationId)) {
    throw new DocSightError(
      'BUSY',
      `Conversation ${conversationId} is still answering a message: wait for it, or cancel it.`,
    );
  }
  busy.add(conversationId);
  try {
    yield* answerTurn(app, conversationId, input, access);
  } finally {
    busy.delete(conversationId);
  }
}

async function* answerTurn(
  app: DocSight,
  conversationId: string,
  input: MessageInput,
  access: Access,
): AsyncGenerator<ChatEvent> {
  const detail = await getConversation(app, conversationId, access);
  const task = input.task ?? 'ask';
  const firstUser = detail.messages.find((m) => m.role === 'user');
  if (detail.budget !== null && input.budget !== undefined && input.budget !== detail.budget) {
    throw new DocSightError(
      'BAD_REQUEST',
      `This conversation's images are sent at ${detail.budget} tokens (set by its first message); start a new conversation for another budget.`,
    );
  }
  const budget = detail.budget ?? input.budget ?? DEFAULT_TOKEN_BUDGET[task];
  await checkVisiblePages(app, input.images ?? [], access);
  app.engine(); // a missing or broken model is reported before any page is rendered
  const sources: PageSource[] = [];
  for (const image of input.images ?? []) sources.push(await loadPageSource(app, image));
  const added = await Promise.all(sources.map((s) => fitToBudget(app, s.bytes, budget)));
  const { messages, firstImages } = await history(app, detail, budget);
  // The first message's images (waiting ones, then its own) travel as the request's `images`; later ones inline.
  const images = firstUser ? firstImages : [...firstImages, ...added];
  const all = firstUser ? [...firstImages, ...added] : images;
  if (all.length === 0) {
    throw new DocSightError(
      'BAD_REQUEST',
      'This conversation has no image yet: send one with the message, or create the conversation with images.',
    );
  }
  const built = buildTaskRequest(task, {
    images: all,
    question: input.text,
    schema: input.schema,
  });
  const [system, user] = built.messages.map((m) => m.content as string) as [string, string];
  const turn: NewConversationMessage[] = [];
  let prompt = user;
  if (!firstUser) {
    messages.push({ role: 'system', content: system }, { role: 'user', content: user });
    turn.push({ role: 'system', text: system });
  } else {
    // The system message stays the first task's; another task's instruction goes with this question.
    if (task !== (firstUser.task ?? 'ask')) prompt = `${system}\n\n${user}`;
    const parts = added.map((image) => ({ type: 'image' as const, image }));
    messages.push({
      role: 'user',
      content: parts.length ? [...parts, { type: 'text', text: prompt }] : prompt,
    });
  }
  const text = input.text?.trim() ?? '';
  const request = {
    ...built,
    messages,
    images,
    maxTokens: input.maxTokens ?? DEFAULT_MAX_TOKENS,
    signal: input.signal,
  };
  let answer = '';
  for await (const event of answerWithEngine(app, request, { budget, conversationId })) {
    if (event.type === 'text') {
      answer += event.text;
      yield event;
      continue;
    }
    if (event.finishReason === 'cancelled') {
      yield { ...event, turn: [] };
      return;
    }
    turn.push(
      {
        role: 'user',
        text,
        prompt: prompt === text ? undefined : prompt,
        task,
        images: sources.map((s) => keepImage(app, s)),
      },
      { role: 'assistant', text: answer, stats: { ...event.stats, finishReason: event.finishReason } },
    );
    const stored = await app
      .library()
      .store.appendConversationTurn(conversationId, { budget, messages: turn });
    yield { ...event, turn: stored };
  }
}
