import type { PageSource, PageText, Quad } from '../read/types.js';

/**
 * The library's storage interface: every read and write of documents, pages, lines, chunks,
 * vectors and jobs goes through it. The embedded implementation is SQLite
 * (`sqlite-library-store.ts`, the one file holding SQL); a PostgreSQL one can implement the same
 * interface later, which is why every method is async even though better-sqlite3 is not.
 */
export interface LibraryStore {
  /**
   * Adds a document, or returns the existing one with the same sha256 in the same collection (`created: false`).
   * The same bytes in another collection (or in none) are another document; their blob is shared.
   */
  addDocument(input: NewDocument): Promise<{ document: DocumentRecord; created: boolean }>;
  getDocument(id: number): Promise<DocumentRecord | undefined>;
  /** Documents matching every filter given, in the order they were added. */
  listDocuments(options?: DocumentFilters): Promise<DocumentRecord[]>;
  /**
   * Deletes a document with its pages, lines, chunks, index entries and jobs' link to it.
   * Returns the blob ids no other row references any more, for the caller to remove from disk.
   */
  deleteDocument(id: number): Promise<{ deleted: boolean; orphanBlobs: string[] }>;
  /** Every blob a row refers to (documents' originals, pages' renders), for sweeping the blob folder. */
  referencedBlobs(): Promise<Set<string>>;
  /** Marks a document ready (all pages written) or failed. */
  setDocumentStatus(
    id: number,
    status: DocumentStatus,
    details?: { pageCount?: number; error?: string },
  ): Promise<void>;

  /**
   * Writes one read page with its lines, chunks (and vectors) in one transaction, replacing any
   * earlier copy of that page, and counts it on the job: a retried or resumed page never doubles.
   */
  writePage(input: PageWrite): Promise<void>;
  /** Page numbers of a document already written (a resumed job skips them). */
  writtenPages(documentId: number): Promise<Set<number>>;
  getPage(documentId: number, page: number): Promise<StoredPage | undefined>;
  listPages(documentId: number): Promise<PageRecord[]>;
  /**
   * Removes a document's pages with their lines, chunks and index entries (to read it again from its
   * original) and marks it pending; returns the page-image blobs no other row references any more.
   */
  clearPages(documentId: number): Promise<{ cleared: boolean; orphanBlobs: string[] }>;

  enqueueJob(documentId: number, options: { maxAttempts: number }): Promise<JobRecord>;
  /**
   * Atomically takes the oldest runnable job — queued and due, or running with an expired lease (its
   * worker died) — marks it running, counts an attempt and leases it until `now + leaseMs`. A runnable job
   * with no attempt left is failed instead (a re-claim after an expired lease counts), so a file that kills
   * its reader is tried at most `maxAttempts` times.
   */
  claimNextJob(now: number, leaseMs: number): Promise<JobRecord | undefined>;
  /** Extends a running job's lease; false when the job is no longer running. */
  renewLease(id: number, until: number): Promise<boolean>;
  getJob(id: number): Promise<JobRecord | undefined>;
  /**
   * Jobs, newest first; with `collections`, only jobs whose document is in one of them (a job whose
   * document was deleted belongs to no collection).
   */
  listJobs(options?: {
    states?: JobState[];
    limit?: number;
    collections?: readonly string[];
  }): Promise<JobRecord[]>;
  setJobTotal(id: number, pagesTotal: number): Promise<void>;
  /** Ends a running job: done, failed, cancelled, or back to queued to retry at `retryAt`. */
  finishJob(id: number, outcome: JobOutcome): Promise<void>;
  /** Cancels a queued or running job; returns the job as it is now. */
  cancelJob(id: number): Promise<JobRecord | undefined>;
  /**
   * Jobs left `running` whose lease ran out (their process died) go back to the queue, or fail when that
   * was their last attempt; returns how many were queued.
   */
  requeueInterruptedJobs(): Promise<number>;

  /**
   * How many chunks hold each term, and (an upper bound of) how many chunks there are — for telling
   * common terms from rare ones.
   */
  termChunkCounts(terms: string[]): Promise<{ chunks: number; counts: Map<string, number> }>;
  /**
   * Chunks holding all (or any) of the query's terms, best BM25 first (lower score = better, as FTS5
   * reports it). No terms: no hits. Terms are matched as given, never read as query syntax.
   */
  searchChunks(query: TermQuery, filters: SearchFilters, limit: number): Promise<ChunkHit[]>;
  /** Creates the vector index for one embedding model; a different model/dimension is an error until re-indexed. */
  ensureVectorIndex(model: string, dimensions: number): Promise<void>;
  /** Drops the vector index and its vectors (to switch to another embedding model). */
  dropVectorIndex(): Promise<void>;
  /** The embedding model the vector index holds, if any. */
  vectorIndexInfo(): Promise<{ model: string; dimensions: number } | undefined>;
  /** Chunks nearest to `vector` (cosine distance, lower = better). */
  nearestChunks(vector: Float32Array, filters: SearchFilters, limit: number): Promise<ChunkHit[]>;
  /**
   * Chunks without a vector (written before an embedding model was configured), in id order after
   * `afterChunkId`, for filling the vector index in batches.
   */
  chunksWithoutVectors(limit: number, afterChunkId?: number): Promise<{ chunkId: number; text: string }[]>;
  /** Stores (or replaces) the vectors of existing chunks in one transaction; the vector index must exist. */
  writeChunkVectors(vectors: { chunkId: number; vector: Float32Array }[]): Promise<void>;
  /** Text, page and lines of chunks, for snippets and boxes. */
  chunkDetails(chunkIds: number[]): Promise<Map<number, ChunkDetails>>;

  /** Starts a conversation; `images` wait (message `null`) for the first user message to be sent with. */
  createConversation(input: NewConversation): Promise<ConversationRecord>;
  /** Most recently active first. */
  listConversations(options?: {
    limit?: number;
    offset?: number;
    ownerKeyId?: number;
  }): Promise<ConversationRecord[]>;
  /** A conversation with its messages (in order) and images. */
  getConversation(id: string): Promise<ConversationDetail | undefined>;
  /** False when there is no such conversation. */
  renameConversation(id: string, title: string): Promise<boolean>;
  /**
   * Appends one turn in one transaction: its messages (numbered after the last), their new images, and the
   * conversation's waiting images, which go with the turn's first user message. `budget` is set once.
   */
  appendConversationTurn(id: string, turn: ConversationTurnWrite): Promise<ConversationMessage[]>;
  /**
   * Deletes a conversation with its messages. Returns the blob ids no document, page or other conversation
   * references any more, for the caller to remove from disk.
   */
  deleteConversation(id: string): Promise<{ deleted: boolean; orphanBlobs: string[] }>;

  /** Small library-wide settings, e.g. the version of the index terms. */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;

  /** Stores a new API key by its hash. */
  createApiKey(input: NewApiKey): Promise<ApiKeyRecord>;
  /** Every key, revoked ones included, newest first. */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** The key with this hash, unless revoked. */
  findApiKey(hash: string): Promise<ApiKeyRecord | undefined>;
  /** Revokes a key; false when there is no such key or it was revoked already. */
  revokeApiKey(id: number): Promise<boolean>;
  /** How many keys are not revoked: with none, the server runs without authentication (loopback only). */
  countActiveApiKeys(): Promise<number>;

  stats(): Promise<LibraryStats>;
  /** PRAGMA integrity_check (or the backend's equivalent): 'ok' when healthy. */
  checkIntegrity(): Promise<string>;
  close(): Promise<void>;
}

export type DocumentStatus = 'pending' | 'ready' | 'failed';

export interface NewDocument {
  sha256: string;
  name: string;
  mime: string;
  sizeBytes: number;
  collection?: string;
  tags?: string[];
}

export interface DocumentRecord {
  id: number;
  sha256: string;
  name: string;
  mime: string;
  sizeBytes: number;
  collection: string | null;
  tags: string[];
  pageCount: number | null;
  status: DocumentStatus;
  error: string | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

export interface PageRecord {
  documentId: number;
  page: number;
  width: number;
  height: number;
  source: PageSource;
  rotation: number;
  /** Blob id of the rendered page image, when one was kept. */
  imageSha256: string | null;
  lineCount: number;
}

export interface StoredLine {
  text: string;
  box: Quad;
  confidence: number;
  block: number | null;
}

export interface StoredPage extends PageRecord {
  lines: StoredLine[];
}

/** A retrieval chunk: a run of consecutive lines of one page, with its index terms. */
export interface ChunkInput {
  firstLine: number;
  lastLine: number;
  text: string;
  /** Space-separated index terms (see text/search-terms.ts). */
  terms: string;
  /** Embedding, when an embedder is configured (length = the vector index's dimensions). */
  vector?: Float32Array;
}

export interface PageWrite {
  jobId: number | null;
  documentId: number;
  page: PageText;
  imageSha256?: string;
  chunks: ChunkInput[];
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobRecord {
  id: number;
  kind: 'ingest';
  documentId: number | null;
  documentName: string | null;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  nextRunAt: number;
  pagesDone: number;
  pagesTotal: number | null;
  error: string | null;
  errorCode: string | null;
  createdAt: number;
  updatedAt: number;
}

export type JobOutcome =
  | { state: 'done' }
  | { state: 'cancelled' }
  | { state: 'failed'; error: string; errorCode: string }
  /** `interrupted`: handed back at shutdown, not failed — the attempt does not count. */
  | { state: 'queued'; error: string; errorCode: string; retryAt: number; interrupted?: boolean };

/**
 * A full-text query: index terms (as `searchTerms`/`queryTerms` in text/search-terms.ts make them), which
 * a chunk must hold all of, or any of. Terms, not a query language, so every store can run it.
 */
export interface TermQuery {
  terms: string[];
  match: 'all' | 'any';
}

export interface SearchFilters {
  collection?: string;
  /**
   * Documents in one of these collections only — an API key's scope. An empty list matches nothing
   * (never "no filter"), and documents without a collection are never in it.
   */
  collections?: readonly string[];
  documentId?: number;
  /** MIME type, or a prefix such as "image/". */
  type?: string;
  /** Ingested at or after / before, milliseconds since the epoch. */
  ingestedFrom?: number;
  ingestedTo?: number;
  /** Documents carrying every one of these tags. */
  tags?: string[];
}

/** What `listDocuments` filters by: the search filters, the document's status, and a page of the list. */
export interface DocumentFilters extends SearchFilters {
  status?: DocumentStatus;
  limit?: number;
  offset?: number;
}

export interface ChunkHit {
  chunkId: number;
  documentId: number;
  page: number;
  score: number;
}

export interface ChunkDetails {
  chunkId: number;
  documentId: number;
  documentName: string;
  page: number;
  text: string;
  lines: StoredLine[];
}

export interface NewApiKey {
  /** sha256 (hex) of the key. */
  hash: string;
  /** The key's first characters, to tell keys apart in listings without revealing them. */
  prefix: string;
  name: string;
  admin: boolean;
  /** The collections the key may see and write; ignored for an admin key. */
  collections: string[];
}

export interface ApiKeyRecord extends Omit<NewApiKey, 'hash'> {
  id: number;
  createdAt: number;
  revokedAt: number | null;
}

export interface LibraryStats {
  documents: number;
  pages: number;
  chunks: number;
  queuedJobs: number;
  runningJobs: number;
}

/** An image of a conversation: a blob, and where it came from (a library page, or an upload's name). */
export interface ConversationImage {
  sha256: string;
  name: string;
  documentId: number | null;
  page: number | null;
}

export type ConversationRole = 'system' | 'user' | 'assistant';

export interface NewConversationMessage {
  role: ConversationRole;
  /** What the person typed (or the answer). */
  text: string;
  /** What the model was sent for this message when it differs from `text` (task instructions, schema). */
  prompt?: string;
  task?: string;
  stats?: Record<string, unknown>;
  /** Images first sent with this message. */
  images?: ConversationImage[];
}

export interface ConversationMessage {
  seq: number;
  role: ConversationRole;
  text: string;
  prompt: string | null;
  task: string | null;
  stats: Record<string, unknown> | null;
  images: ConversationImage[];
  createdAt: number;
}

export interface NewConversation {
  id: string;
  title: string;
  images?: ConversationImage[];
  /** The API key that starts it; null or absent without one (the CLI, a server without keys). */
  ownerKeyId?: number | null;
}

export interface ConversationRecord {
  id: string;
  title: string;
  /** Image token budget, fixed by the first message (a state in the image cache is only valid for one). */
  budget: number | null;
  /** The API key that started it (null: started without a key). */
  ownerKeyId: number | null;
  messageCount: number;
  createdAt: number;
  updatedAt: number;
}

export interface ConversationDetail extends ConversationRecord {
  messages: ConversationMessage[];
  /** Images given at creation that no message has been sent with yet. */
  waitingImages: ConversationImage[];
}

export interface ConversationTurnWrite {
  messages: NewConversationMessage[];
  budget?: number;
}
