import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { DocSightError } from '../errors.js';
import type { Quad } from '../read/types.js';
import type {
  ApiKeyRecord,
  NewApiKey,
  ChunkDetails,
  ChunkHit,
  ConversationDetail,
  ConversationImage,
  ConversationMessage,
  ConversationRecord,
  ConversationTurnWrite,
  DocumentFilters,
  DocumentRecord,
  DocumentStatus,
  JobOutcome,
  JobRecord,
  JobState,
  LibraryStats,
  LibraryStore,
  NewConversation,
  NewDocument,
  PageRecord,
  PageWrite,
  SearchFilters,
  StoredLine,
  TermQuery,
  StoredPage,
} from './library-store.js';
import { migrate } from './sqlite-migrations.js';

/**
 * The embedded library: one SQLite file in WAL mode. This module is the only place with SQL.
 *
 * WAL lets searches read while ingestion writes, and with `synchronous = NORMAL` a killed process
 * loses at most its open transaction: each page is one transaction, so a page is either fully
 * stored (page, lines, chunks, index entries, job count) or not at all.
 */
export function openSqliteLibraryStore(
  file: string,
  options: {
    readonly?: boolean;
    /** Caps the database at this many bytes (SQLite then reports it full, as a full disk would). */
    maxBytes?: number;
  } = {},
): LibraryStore {
  let db: Database.Database;
  try {
    db = new Database(file, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
    });
  } catch (err) {
    throw new DocSightError(
      'BAD_CONFIG',
      `Cannot open the library database ${file}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  db.pragma('busy_timeout = 10000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  sqliteVec.load(db);
  if (!options.readonly) migrate(db);
  if (options.maxBytes !== undefined) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
  }
  return new SqliteLibraryStore(db);
}

type Row = Record<string, unknown>;

function toApiKey(r: Row): ApiKeyRecord {
  return {
    id: r.id as number,
    prefix: r.prefix as string,
    name: r.name as string,
    admin: r.admin === 1,
    collections: JSON.parse(r.collections as string) as string[],
    createdAt: r.created_at as number,
    revokedAt: (r.revoked_at as number | null) ?? null,
  };
}

const DOCUMENT_COLUMNS = `d.id, d.sha256, d.name, d.mime, d.size_bytes, c.name AS collection, d.page_count,
  d.status, d.error, d.created_at,
  (SELECT json_group_array(tag) FROM document_tags t WHERE t.document_id = d.id) AS tags`;

function toDocument(r: Row): DocumentRecord {
  return {
    id: r.id as number,
    sha256: r.sha256 as string,
    name: r.name as string,
    mime: r.mime as string,
    sizeBytes: r.size_bytes as number,
    collection: (r.collection as string | null) ?? null,
    tags: (JSON.parse(r.tags as string) as string[]).sort(),
    pageCount: (r.page_count as number | null) ?? null,
    status: r.status as DocumentStatus,
    error: (r.error as string | null) ?? null,
    createdAt: r.created_at as number,
  };
}

const JOB_COLUMNS = `j.*, d.name AS document_name`;

function toJob(r: Row): JobRecord {
  return {
    id: r.id as number,
    kind: 'ingest',
    documentId: (r.document_id as number | null) ?? null,
    documentName: (r.document_name as string | null) ?? null,
    state: r.state as JobState,
    attempts: r.attempts as number,
    maxAttempts: r.max_attempts as number,
    nextRunAt: r.next_run_at as number,
    pagesDone: r.pages_done as number,
    pagesTotal: (r.pages_total as number | null) ?? null,
    error: (r.error as string | null) ?? null,
    errorCode: (r.error_code as string | null) ?? null,
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  };
}

function toLine(r: Row): StoredLine {
  return {
    text: r.text as string,
    box: JSON.parse(r.box as string) as Quad,
    confidence: r.confidence as number,
    block: (r.block as number | null) ?? null,
  };
}

function toPage(r: Row): PageRecord {
  return {
    documentId: r.document_id as number,
    page: r.page as number,
    width: r.width as number,
    height: r.height as number,
    source: r.source as PageRecord['source'],
    rotation: r.rotation as number,
    imageSha256: (r.image_sha256 as string | null) ?? null,
    lineCount: r.line_count as number,
  };
}

/** SQL conditions (on documents `d`) and their parameters for the search filters. */
function filterSql(filters: SearchFilters): { where: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (filters.collection !== undefined) {
    parts.push('d.collection_id = (SELECT id FROM collections WHERE name = ?)');
    params.push(filters.collection);
  }
  if (filters.collections !== undefined) {
    parts.push(
      'd.collection_id IN (SELECT id FROM collections WHERE name IN (SELECT value FROM json_each(?)))',
    );
    params.push(JSON.stringify(filters.collections));
  }
  if (filters.documentId !== undefined) {
    parts.push('d.id = ?');
    params.push(filters.documentId);
  }
  if (filters.type !== undefined) {
    if (filters.type.endsWith('/')) {
      parts.push('substr(d.mime, 1, ?) = ?');
      params.push(filters.type.length, filters.type);
    } else {
      parts.push('d.mime = ?');
      params.push(filters.type);
    }
  }
  if (filters.ingestedFrom !== undefined) {
    parts.push('d.created_at >= ?');
    params.push(filters.ingestedFrom);
  }
  if (filters.ingestedTo !== undefined) {
    parts.push('d.created_at < ?');
    params.push(filters.ingestedTo);
  }
  for (const tag of filters.tags ?? []) {
    parts.push('EXISTS (SELECT 1 FROM document_tags t WHERE t.document_id = d.id AND t.tag = ?)');
    params.push(tag);
  }
  return { where: parts.length ? parts.map((p) => ` AND ${p}`).join('') : '', params };
}

/**
 * The FTS5 MATCH expression of a term query. Each term is quoted, so no term is read as FTS5 syntax
 * (AND, OR, NEAR, column filters, prefix stars).
 */
function ftsExpression(query: TermQuery): string {
  const quoted = query.terms.map((t) => `"${t.replaceAll('"', '""')}"`);
  return quoted.join(query.match === 'all' ? ' AND ' : ' OR ');
}

function hasFilters(filters: SearchFilters): boolean {
  // An empty scope is a filter that matches nothing; an empty tag list is no filter.
  if (filters.collections !== undefined) return true;
  return Object.values(filters).some((v) => v !== undefined && !(Array.isArray(v) && v.length === 0));
}

class SqliteLibraryStore implements LibraryStore {
  constructor(private readonly db: Database.Database) {}

  private now(): number {
    return Date.now();
  }

  async addDocument(input: NewDocument): Promise<{ document: DocumentRecord; created: boolean }> {
    const add = this.db.transaction(() => {
      // One document per content within a collection (no collection counts as one): see migration 6.
      const existing = this.db
        .prepare(
          `SELECT d.id FROM documents d LEFT JOIN collections c ON c.id = d.collection_id
           WHERE d.sha256 = ? AND c.name IS ?`,
        )
        .get(input.sha256, input.collection ?? null) as Row | undefined;
      if (existing) return { id: existing.id as number, created: false };
      let collectionId: number | null = null;
      if (input.collection !== undefined) {
        this.db
          .prepare('INSERT INTO collections (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING')
          .run(input.collection, this.now());
        collectionId = (
          this.db.prepare('SELECT id FROM collections WHERE name = ?').get(input.collection) as Row
        ).id as number;
      }
      const info = this.db
        .prepare(
          'INSERT INTO documents (sha256, name, mime, size_bytes, collection_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(input.sha256, input.name, input.mime, input.sizeBytes, collectionId, this.now());
      const id = Number(info.lastInsertRowid);
      const tag = this.db.prepare('INSERT OR IGNORE INTO document_tags (document_id, tag) VALUES (?, ?)');
      for (const t of input.tags ?? []) tag.run(id, t);
      return { id, created: true };
    });
    const { id, created } = add.immediate();
    return { document: (await this.getDocument(id))!, created };
  }

  async getDocument(id: number): Promise<DocumentRecord | undefined> {
    const r = this.db
      .prepare(
        `SELECT ${DOCUMENT_COLUMNS} FROM documents d LEFT JOIN collections c ON c.id = d.collection_id WHERE d.id = ?`,
      )
      .get(id) as Row | undefined;
    return r ? toDocument(r) : undefined;
  }

  async listDocuments(options: DocumentFilters = {}): Promise<DocumentRecord[]> {
    const { where, params } = filterSql(options);
    const status = options.status === undefined ? '' : ' AND d.status = ?';
    if (options.status !== undefined) params.push(options.status);
    const rows = this.db
      .prepare(
        `SELECT ${DOCUMENT_COLUMNS} FROM documents d LEFT JOIN collections c ON c.id = d.collection_id
         WHERE 1 ${where}${status} ORDER BY d.id LIMIT ? OFFSET ?`,
      )
      .all(...params, options.limit ?? -1, options.offset ?? 0) as Row[];
    return rows.map(toDocument);
  }

  async referencedBlobs(): Promise<Set<string>> {
    const rows = this.db
      .prepare(
        // Every table that names a blob: a sweep that missed one would delete files still shown.
        `SELECT sha256 AS sha FROM documents
         UNION SELECT image_sha256 FROM pages WHERE image_sha256 IS NOT NULL
         UNION SELECT sha256 FROM conversation_images`,
      )
      .all() as Row[];
    return new Set(rows.map((r) => r.sha as string));
  }

  async deleteDocument(id: number): Promise<{ deleted: boolean; orphanBlobs: string[] }> {
    const del = this.db.transaction(() => {
      const doc = this.db.prepare('SELECT sha256 FROM documents WHERE id = ?').get(id) as Row | undefined;
      if (!doc) return { deleted: false, orphanBlobs: [] };
      const candidates = new Set<string>([doc.sha256 as string]);
      for (const r of this.db
        .prepare('SELECT image_sha256 FROM pages WHERE document_id = ? AND image_sha256 IS NOT NULL')
        .all(id) as Row[]) {
        candidates.add(r.image_sha256 as string);
      }
      // A running job of this document must stop: it will find its document gone.
      this.db
        .prepare(
          "UPDATE jobs SET state = 'cancelled', updated_at = ? WHERE document_id = ? AND state IN ('queued', 'running')",
        )
        .run(this.now(), id);
      // Chunks first: their delete trigger removes the index entries (FTS and vectors).
      this.db.prepare('DELETE FROM chunks WHERE document_id = ?').run(id);
      this.db.prepare('DELETE FROM documents WHERE id = ?').run(id);
      const orphanBlobs = [...candidates].filter((sha) => !this.blobInUse(sha));
      return { deleted: true, orphanBlobs };
    });
    return del.immediate();
  }

  async clearPages(documentId: number): Promise<{ cleared: boolean; orphanBlobs: string[] }> {
    const clear = this.db.transaction(() => {
      const doc = this.db.prepare('SELECT 1 FROM documents WHERE id = ?').get(documentId);
      if (!doc) return { cleared: false, orphanBlobs: [] };
      const images = (
        this.db
          .prepare('SELECT image_sha256 FROM pages WHERE document_id = ? AND image_sha256 IS NOT NULL')
          .all(documentId) as Row[]
      ).map((r) => r.image_sha256 as string);
      // Chunks first: their delete trigger removes the index entries (FTS and vectors); lines cascade.
      this.db.prepare('DELETE FROM chunks WHERE document_id = ?').run(documentId);
      this.db.prepare('DELETE FROM pages WHERE document_id = ?').run(documentId);
      this.db
        .prepare("UPDATE documents SET status = 'pending', page_count = NULL, error = NULL WHERE id = ?")
        .run(documentId);
      return { cleared: true, orphanBlobs: [...new Set(images)].filter((sha) => !this.blobInUse(sha)) };
    });
    return clear.immediate();
  }

  async setDocumentStatus(
    id: number,
    status: DocumentStatus,
    details: { pageCount?: number; error?: string } = {},
  ): Promise<void> {
    this.db
      .prepare(
        'UPDATE documents SET status = ?, page_count = coalesce(?, page_count), error = ? WHERE id = ?',
      )
      .run(status, details.pageCount ?? null, details.error ?? null, id);
  }

  async writePage(input: PageWrite): Promise<void> {
    const { page } = input;
    const write = this.db.transaction(() => {
      const doc = this.db.prepare('SELECT 1 FROM documents WHERE id = ?').get(input.documentId);
      if (!doc) throw new DocSightError('NOT_FOUND', `Document ${input.documentId} was deleted.`);
      const old = this.db
        .prepare('SELECT id FROM pages WHERE document_id = ? AND page = ?')
        .get(input.documentId, page.page) as Row | undefined;
      if (old) {
        this.db.prepare('DELETE FROM chunks WHERE page_id = ?').run(old.id);
        this.db.prepare('DELETE FROM pages WHERE id = ?').run(old.id);
      }
      const pageId = Number(
        this.db
          .prepare(
            'INSERT INTO pages (document_id, page, width, height, source, rotation, image_sha256) VALUES (?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            input.documentId,
            page.page,
            Math.round(page.width),
            Math.round(page.height),
            page.source,
            page.rotation ?? 0,
            input.imageSha256 ?? null,
          ).lastInsertRowid,
      );
      const line = this.db.prepare(
        'INSERT INTO lines (page_id, line_no, text, box, confidence, block) VALUES (?, ?, ?, ?, ?, ?)',
      );
      page.lines.forEach((l, i) =>
        line.run(
          pageId,
          i,
          l.text,
          JSON.stringify(l.box.map((v) => Math.round(v * 10) / 10)),
          l.confidence,
          l.block ?? null,
        ),
      );
      const chunk = this.db.prepare(
        'INSERT INTO chunks (page_id, document_id, first_line, last_line, text) VALUES (?, ?, ?, ?, ?)',
      );
      const fts = this.db.prepare('INSERT INTO chunk_fts (rowid, terms) VALUES (?, ?)');
      const vec = input.chunks.some((c) => c.vector)
        ? this.db.prepare('INSERT INTO chunk_vec (rowid, embedding) VALUES (?, ?)')
        : undefined;
      for (const c of input.chunks) {
        const chunkId = chunk.run(pageId, input.documentId, c.firstLine, c.lastLine, c.text).lastInsertRowid;
        fts.run(chunkId, c.terms);
        if (c.vector && vec)
          vec.run(BigInt(chunkId), Buffer.from(c.vector.buffer, c.vector.byteOffset, c.vector.byteLength));
      }
      if (input.jobId !== null) {
        this.db
          .prepare(
            'UPDATE jobs SET pages_done = (SELECT count(*) FROM pages WHERE document_id = ?), updated_at = ? WHERE id = ?',
          )
          .run(input.documentId, this.now(), input.jobId);
      }
    });
    try {
      write.immediate();
    } catch (err) {
      throw asDiskFull(err);
    }
  }

  async writtenPages(documentId: number): Promise<Set<number>> {
    const rows = this.db.prepare('SELECT page FROM pages WHERE document_id = ?').all(documentId) as Row[];
    return new Set(rows.map((r) => r.page as number));
  }

  async getPage(documentId: number, page: number): Promise<StoredPage | undefined> {
    const r = this.db
      .prepare(
        `SELECT p.*, (SELECT count(*) FROM lines l WHERE l.page_id = p.id) AS line_count
         FROM pages p WHERE p.document_id = ? AND p.page = ?`,
      )
      .get(documentId, page) as Row | undefined;
    if (!r) return undefined;
    const lines = this.db
      .prepare('SELECT * FROM lines WHERE page_id = ? ORDER BY line_no')
      .all(r.id) as Row[];
    return { ...toPage(r), lines: lines.map(toLine) };
  }

  async listPages(documentId: number): Promise<PageRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT p.*, (SELECT count(*) FROM lines l WHERE l.page_id = p.id) AS line_count
         FROM pages p WHERE p.document_id = ? ORDER BY p.page`,
      )
      .all(documentId) as Row[];
    return rows.map(toPage);
  }

  async enqueueJob(documentId: number, options: { maxAttempts: number }): Promise<JobRecord> {
    const now = this.now();
    const id = this.db
      .prepare(
        `INSERT INTO jobs (kind, document_id, state, max_attempts, next_run_at, created_at, updated_at)
         VALUES ('ingest', ?, 'queued', ?, ?, ?, ?)`,
      )
      .run(documentId, options.maxAttempts, now, now, now).lastInsertRowid;
    return (await this.getJob(Number(id)))!;
  }

  async claimNextJob(now: number, leaseMs: number): Promise<JobRecord | undefined> {
    // Every claim is an attempt, a re-claim after a lease ran out included (the process reading it was
    // killed or crashed, maybe by this very file): a job whose attempts are spent is failed, never taken.
    const claim = this.db.transaction((): Row | undefined => {
      this.failExhaustedJobs(now);
      return this.db
        .prepare(
          `UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = ?, updated_at = ?
           WHERE id = (
             SELECT id FROM jobs
             WHERE ((state = 'queued' AND next_run_at <= ?) OR (state = 'running' AND coalesce(lease_until, 0) < ?))
               AND attempts < max_attempts
             ORDER BY next_run_at, id LIMIT 1)
           RETURNING id`,
        )
        .get(now + leaseMs, now, now, now) as Row | undefined;
    });
    const r = claim.immediate();
    return r ? this.getJob(r.id as number) : undefined;
  }

  /**
   * Fails the runnable jobs that have no attempt left — left running by a process that died while holding
   * the last one, or queued again after it — with their document, so nothing waits on them for ever.
   */
  private failExhaustedJobs(now: number): void {
    const rows = this.db
      .prepare(
        `UPDATE jobs SET state = 'failed', updated_at = ?,
           error = CASE WHEN state = 'running'
             THEN 'The process reading it stopped (killed or crashed) ' || attempts || ' time(s); ' ||
                  'the file may be built to hang or exhaust the reader. Check it, then ingest it again.'
             ELSE coalesce(error, 'No attempt left.') END,
           error_code = CASE WHEN state = 'running' THEN 'ENGINE_FAILED' ELSE coalesce(error_code, 'INTERNAL') END
         WHERE attempts >= max_attempts
           AND ((state = 'queued' AND next_run_at <= ?) OR (state = 'running' AND coalesce(lease_until, 0) < ?))
         RETURNING document_id, error`,
      )
      .all(now, now, now) as Row[];
    const failDocument = this.db.prepare(
      `UPDATE documents SET status = 'failed', error = ? WHERE id = ? AND status != 'ready'`,
    );
    for (const r of rows) if (r.document_id !== null) failDocument.run(r.error, r.document_id);
  }

  async renewLease(id: number, until: number): Promise<boolean> {
    return (
      this.db.prepare(`UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running'`).run(until, id)
        .changes > 0
    );
  }

  async getJob(id: number): Promise<JobRecord | undefined> {
    const r = this.db
      .prepare(
        `SELECT ${JOB_COLUMNS} FROM jobs j LEFT JOIN documents d ON d.id = j.document_id WHERE j.id = ?`,
      )
      .get(id) as Row | undefined;
    return r ? toJob(r) : undefined;
  }

  async listJobs(
    options: { states?: JobState[]; limit?: number; collections?: readonly string[] } = {},
  ): Promise<JobRecord[]> {
    const states = options.states ?? [];
    const scope =
      options.collections === undefined
        ? ''
        : ' AND d.collection_id IN (SELECT id FROM collections WHERE name IN (SELECT value FROM json_each(?)))';
    const scopeParams = options.collections === undefined ? [] : [JSON.stringify(options.collections)];
    const rows = this.db
      .prepare(
        `SELECT ${JOB_COLUMNS} FROM jobs j LEFT JOIN documents d ON d.id = j.document_id
         WHERE (? = 0 OR j.state IN (SELECT value FROM json_each(?)))${scope} ORDER BY j.id DESC LIMIT ?`,
      )
      .all(states.length, JSON.stringify(states), ...scopeParams, options.limit ?? -1) as Row[];
    return rows.map(toJob);
  }

  async setJobTotal(id: number, pagesTotal: number): Promise<void> {
    this.db
      .prepare('UPDATE jobs SET pages_total = ?, updated_at = ? WHERE id = ?')
      .run(pagesTotal, this.now(), id);
  }

  async finishJob(id: number, outcome: JobOutcome): Promise<void> {
    const now = this.now();
    const error = outcome.state === 'failed' || outcome.state === 'queued' ? outcome.error : null;
    const code = outcome.state === 'failed' || outcome.state === 'queued' ? outcome.errorCode : null;
    const runAt = outcome.state === 'queued' ? outcome.retryAt : null;
    // A job cancelled while it ran stays cancelled whatever the worker reports.
    this.db
      .prepare(
        `UPDATE jobs SET state = ?, error = ?, error_code = ?, next_run_at = coalesce(?, next_run_at), updated_at = ?,
           attempts = attempts - ?
         WHERE id = ? AND state = 'running'`,
      )
      // A job handed back at shutdown did not fail: that attempt is given back.
      .run(
        outcome.state,
        error,
        code,
        runAt,
        now,
        outcome.state === 'queued' && outcome.interrupted ? 1 : 0,
        id,
      );
  }

  async cancelJob(id: number): Promise<JobRecord | undefined> {
    this.db
      .prepare(
        `UPDATE jobs SET state = 'cancelled', updated_at = ? WHERE id = ? AND state IN ('queued', 'running')`,
      )
      .run(this.now(), id);
    return this.getJob(id);
  }

  async requeueInterruptedJobs(): Promise<number> {
    const now = this.now();
    const requeue = this.db.transaction((): number => {
      this.failExhaustedJobs(now);
      return this.db
        .prepare(
          `UPDATE jobs SET state = 'queued', next_run_at = ?, updated_at = ?
           WHERE state = 'running' AND coalesce(lease_until, 0) < ?`,
        )
        .run(now, now, now).changes;
    });
    return requeue.immediate();
  }

  async searchChunks(query: TermQuery, filters: SearchFilters, limit: number): Promise<ChunkHit[]> {
    if (query.terms.length === 0) return [];
    const match = ftsExpression(query);
    try {
      if (!hasFilters(filters)) {
        // The common case: let FTS5 rank and cut inside the index, then look up pages.
        const rows = this.db
          .prepare(
            `SELECT f.rowid AS chunk_id, f.score, c.document_id, p.page
             FROM (SELECT rowid, bm25(chunk_fts) AS score FROM chunk_fts WHERE chunk_fts MATCH ? ORDER BY rank LIMIT ?) f
             JOIN chunks c ON c.id = f.rowid JOIN pages p ON p.id = c.page_id ORDER BY f.score`,
          )
          .all(match, limit) as Row[];
        return rows.map(toHit);
      }
      const { where, params } = filterSql(filters);
      const rows = this.db
        .prepare(
          `SELECT chunk_fts.rowid AS chunk_id, bm25(chunk_fts) AS score, c.document_id, p.page
           FROM chunk_fts JOIN chunks c ON c.id = chunk_fts.rowid JOIN pages p ON p.id = c.page_id
           JOIN documents d ON d.id = c.document_id
           WHERE chunk_fts MATCH ? ${where} ORDER BY score LIMIT ?`,
        )
        .all(match, ...params, limit) as Row[];
      return rows.map(toHit);
    } catch (err) {
      if (err instanceof Database.SqliteError && /fts5/i.test(err.message)) {
        throw new DocSightError(
          'BAD_REQUEST',
          `The search query could not be run (${err.message}). Rephrase it.`,
        );
      }
      throw err;
    }
  }

  async termChunkCounts(terms: string[]): Promise<{ chunks: number; counts: Map<string, number> }> {
    const counts = new Map<string, number>();
    const doc = this.db.prepare('SELECT doc FROM chunk_fts_vocab WHERE term = ?');
    for (const t of terms) counts.set(t, ((doc.get(t) as Row | undefined)?.doc as number | undefined) ?? 0);
    // max(id) is an index lookup, unlike count(*); deletions only make it an overestimate.
    const chunks =
      ((this.db.prepare('SELECT max(id) AS n FROM chunks').get() as Row).n as number | null) ?? 0;
    return { chunks, counts };
  }

  async ensureVectorIndex(model: string, dimensions: number): Promise<void> {
    const existing = await this.vectorIndexInfo();
    if (existing) {
      if (existing.model === model && existing.dimensions === dimensions) return;
      throw new DocSightError(
        'BAD_CONFIG',
        `The library's vectors come from ${existing.model} (${existing.dimensions} dimensions), not ${model} (${dimensions}). Re-index the library or configure the same embedding model.`,
      );
    }
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 8192) {
      throw new DocSightError('BAD_CONFIG', `Embedding dimensions must be 1..8192, got ${dimensions}.`);
    }
    this.db
      .transaction(() => {
        this.db.exec(
          `CREATE VIRTUAL TABLE chunk_vec USING vec0(embedding float[${dimensions}] distance_metric=cosine)`,
        );
        this.db.exec(`CREATE TRIGGER chunks_delete_vec AFTER DELETE ON chunks BEGIN
        DELETE FROM chunk_vec WHERE rowid = old.id;
      END`);
        this.db
          .prepare("INSERT INTO meta (key, value) VALUES ('vector_index', ?)")
          .run(JSON.stringify({ model, dimensions }));
      })
      .immediate();
  }

  async dropVectorIndex(): Promise<void> {
    this.db
      .transaction(() => {
        this.db.exec('DROP TRIGGER IF EXISTS chunks_delete_vec');
        this.db.exec('DROP TABLE IF EXISTS chunk_vec');
        this.db.prepare("DELETE FROM meta WHERE key = 'vector_index'").run();
      })
      .immediate();
  }

  async vectorIndexInfo(): Promise<{ model: string; dimensions: number } | undefined> {
    const r = this.db.prepare("SELECT value FROM meta WHERE key = 'vector_index'").get() as Row | undefined;
    return r ? (JSON.parse(r.value as string) as { model: string; dimensions: number }) : undefined;
  }

  async nearestChunks(vector: Float32Array, filters: SearchFilters, limit: number): Promise<ChunkHit[]> {
    if (!(await this.vectorIndexInfo())) return [];
    const { where, params } = filterSql(filters);
    // vec0 finds k nearest before filters apply: ask for more when filtering, then cut.
    const k = hasFilters(filters) ? Math.min(4096, limit * 20) : limit;
    const rows = this.db
      .prepare(
        `SELECT v.rowid AS chunk_id, v.distance AS score, c.document_id, p.page
         FROM (SELECT rowid, distance FROM chunk_vec WHERE embedding MATCH ? AND k = ?) v
         JOIN chunks c ON c.id = v.rowid JOIN pages p ON p.id = c.page_id JOIN documents d ON d.id = c.document_id
         WHERE 1 ${where} ORDER BY v.distance LIMIT ?`,
      )
      .all(Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength), k, ...params, limit) as Row[];
    return rows.map(toHit);
  }

  async chunksWithoutVectors(limit: number, afterChunkId = 0): Promise<{ chunkId: number; text: string }[]> {
    const hasIndex = (await this.vectorIndexInfo()) !== undefined;
    // A vec0 rowid lookup is a point query, so the anti-join costs one probe per chunk.
    const rows = this.db
      .prepare(
        `SELECT c.id, c.text FROM chunks c WHERE c.id > ?
         ${hasIndex ? 'AND NOT EXISTS (SELECT 1 FROM chunk_vec v WHERE v.rowid = c.id)' : ''}
         ORDER BY c.id LIMIT ?`,
      )
      .all(afterChunkId, limit) as Row[];
    return rows.map((r) => ({ chunkId: r.id as number, text: r.text as string }));
  }

  async writeChunkVectors(vectors: { chunkId: number; vector: Float32Array }[]): Promise<void> {
    const info = await this.vectorIndexInfo();
    if (!info) throw new DocSightError('INTERNAL', 'writeChunkVectors before ensureVectorIndex.');
    const del = this.db.prepare('DELETE FROM chunk_vec WHERE rowid = ?');
    const ins = this.db.prepare('INSERT INTO chunk_vec (rowid, embedding) VALUES (?, ?)');
    const exists = this.db.prepare('SELECT 1 FROM chunks WHERE id = ?');
    const write = this.db.transaction(() => {
      for (const { chunkId, vector } of vectors) {
        if (vector.length !== info.dimensions) {
          throw new DocSightError(
            'INTERNAL',
            `A ${vector.length}-dimensional vector for an index of ${info.dimensions} dimensions.`,
          );
        }
        if (!exists.get(chunkId)) continue; // deleted meanwhile
        del.run(BigInt(chunkId));
        ins.run(BigInt(chunkId), Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
      }
    });
    try {
      write.immediate();
    } catch (err) {
      throw asDiskFull(err);
    }
  }

  async chunkDetails(chunkIds: number[]): Promise<Map<number, ChunkDetails>> {
    const out = new Map<number, ChunkDetails>();
    const chunk = this.db.prepare(
      `SELECT c.id, c.document_id, c.page_id, c.first_line, c.last_line, c.text, p.page, d.name
       FROM chunks c JOIN pages p ON p.id = c.page_id JOIN documents d ON d.id = c.document_id WHERE c.id = ?`,
    );
    const lines = this.db.prepare(
      'SELECT * FROM lines WHERE page_id = ? AND line_no BETWEEN ? AND ? ORDER BY line_no',
    );
    for (const id of chunkIds) {
      const r = chunk.get(id) as Row | undefined;
      if (!r) continue;
      out.set(id, {
        chunkId: id,
        documentId: r.document_id as number,
        documentName: r.name as string,
        page: r.page as number,
        text: r.text as string,
        lines: (lines.all(r.page_id, r.first_line, r.last_line) as Row[]).map(toLine),
      });
    }
    return out;
  }

  /** True when a document, a page or a conversation still references the blob (call inside a transaction). */
  private blobInUse(sha: string): boolean {
    return (
      this.db
        .prepare(
          `SELECT 1 FROM documents WHERE sha256 = ? UNION ALL SELECT 1 FROM pages WHERE image_sha256 = ?
           UNION ALL SELECT 1 FROM conversation_images WHERE sha256 = ? LIMIT 1`,
        )
        .get(sha, sha, sha) !== undefined
    );
  }

  async createConversation(input: NewConversation): Promise<ConversationRecord> {
    const now = this.now();
    this.db
      .transaction(() => {
        this.db
          .prepare(
            'INSERT INTO conversations (id, title, owner_key_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
          )
          .run(input.id, input.title, input.ownerKeyId ?? null, now, now);
        this.insertConversationImages(input.id, input.images ?? [], null);
      })
      .immediate();
    return (await this.getConversationRecord(input.id))!;
  }

  private insertConversationImages(id: string, images: ConversationImage[], messageSeq: number | null): void {
    const next =
      ((
        this.db
          .prepare('SELECT max(position) AS n FROM conversation_images WHERE conversation_id = ?')
          .get(id) as Row
      ).n as number | null) ?? -1;
    const insert = this.db.prepare(
      `INSERT INTO conversation_images (conversation_id, position, message_seq, sha256, name, document_id, page)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    images.forEach((image, i) =>
      insert.run(id, next + 1 + i, messageSeq, image.sha256, image.name, image.documentId, image.page),
    );
  }

  private getConversationRecord(id: string): ConversationRecord | undefined {
    const r = this.db
      .prepare(`SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?`)
      .get(id) as Row | undefined;
    return r ? toConversation(r) : undefined;
  }

  async listConversations(
    options: { limit?: number; offset?: number; ownerKeyId?: number } = {},
  ): Promise<ConversationRecord[]> {
    const owner = options.ownerKeyId === undefined ? '' : 'WHERE c.owner_key_id = ?';
    const rows = this.db
      .prepare(
        `SELECT ${CONVERSATION_COLUMNS} FROM conversations c ${owner}
         ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ? OFFSET ?`,
      )
      .all(
        ...(options.ownerKeyId === undefined ? [] : [options.ownerKeyId]),
        options.limit ?? -1,
        options.offset ?? 0,
      ) as Row[];
    return rows.map(toConversation);
  }

  async getConversation(id: string): Promise<ConversationDetail | undefined> {
    const record = this.getConversationRecord(id);
    if (!record) return undefined;
    const images = this.db
      .prepare('SELECT * FROM conversation_images WHERE conversation_id = ? ORDER BY position')
      .all(id) as Row[];
    const rows = this.db
      .prepare('SELECT * FROM conversation_messages WHERE conversation_id = ? ORDER BY seq')
      .all(id) as Row[];
    const messages: ConversationMessage[] = rows.map((r) => ({
      seq: r.seq as number,
      role: r.role as ConversationMessage['role'],
      text: r.text as string,
      prompt: (r.prompt as string | null) ?? null,
      task: (r.task as string | null) ?? null,
      stats: r.stats === null ? null : (JSON.parse(r.stats as string) as Record<string, unknown>),
      images: images.filter((i) => i.message_seq === r.seq).map(toConversationImage),
      createdAt: r.created_at as number,
    }));
    const waitingImages = images.filter((i) => i.message_seq === null).map(toConversationImage);
    return { ...record, messages, waitingImages };
  }

  async renameConversation(id: string, title: string): Promise<boolean> {
    return (
      this.db
        .prepare('UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?')
        .run(title, this.now(), id).changes > 0
    );
  }

  async appendConversationTurn(id: string, turn: ConversationTurnWrite): Promise<ConversationMessage[]> {
    const now = this.now();
    const append = this.db.transaction(() => {
      const updated = this.db
        .prepare('UPDATE conversations SET updated_at = ?, budget = coalesce(budget, ?) WHERE id = ?')
        .run(now, turn.budget ?? null, id);
      if (updated.changes === 0) throw new DocSightError('NOT_FOUND', `Conversation ${id} was deleted.`);
      let seq =
        ((
          this.db
            .prepare('SELECT max(seq) AS n FROM conversation_messages WHERE conversation_id = ?')
            .get(id) as Row
        ).n as number | null) ?? 0;
      const insert = this.db.prepare(
        `INSERT INTO conversation_messages (conversation_id, seq, role, text, prompt, task, stats, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      let waitingTaken = false;
      for (const m of turn.messages) {
        seq++;
        insert.run(
          id,
          seq,
          m.role,
          m.text,
          m.prompt ?? null,
          m.task ?? null,
          m.stats === undefined ? null : JSON.stringify(m.stats),
          now,
        );
        if (m.role === 'user' && !waitingTaken) {
          // Images given when the conversation was created go with its first message, before the new ones.
          this.db
            .prepare(
              'UPDATE conversation_images SET message_seq = ? WHERE conversation_id = ? AND message_seq IS NULL',
            )
            .run(seq, id);
          waitingTaken = true;
        }
        this.insertConversationImages(id, m.images ?? [], seq);
      }
      return seq - turn.messages.length;
    });
    let before: number;
    try {
      before = append.immediate();
    } catch (err) {
      throw asDiskFull(err);
    }
    const detail = (await this.getConversation(id))!;
    return detail.messages.filter((m) => m.seq > before);
  }

  async deleteConversation(id: string): Promise<{ deleted: boolean; orphanBlobs: string[] }> {
    const del = this.db.transaction(() => {
      const candidates = (
        this.db
          .prepare('SELECT DISTINCT sha256 FROM conversation_images WHERE conversation_id = ?')
          .all(id) as Row[]
      ).map((r) => r.sha256 as string);
      const deleted = this.db.prepare('DELETE FROM conversations WHERE id = ?').run(id).changes > 0;
      return { deleted, orphanBlobs: candidates.filter((sha) => !this.blobInUse(sha)) };
    });
    return del.immediate();
  }

  async getMeta(key: string): Promise<string | undefined> {
    const r = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as Row | undefined;
    return r ? (r.value as string) : undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  async createApiKey(input: NewApiKey): Promise<ApiKeyRecord> {
    const r = this.db
      .prepare(
        `INSERT INTO api_keys (hash, prefix, name, admin, collections, created_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(
        input.hash,
        input.prefix,
        input.name,
        input.admin ? 1 : 0,
        JSON.stringify(input.collections),
        Date.now(),
      ) as Row;
    return toApiKey(r);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY id DESC').all() as Row[]).map(toApiKey);
  }

  async findApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL').get(hash) as
      Row | undefined;
    return r ? toApiKey(r) : undefined;
  }

  async revokeApiKey(id: number): Promise<boolean> {
    return (
      this.db
        .prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
        .run(Date.now(), id).changes > 0
    );
  }

  async countActiveApiKeys(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL').get() as Row)
      .n as number;
  }

  async stats(): Promise<LibraryStats> {
    const count = (sql: string): number => (this.db.prepare(sql).get() as Row).n as number;
    return {
      documents: count('SELECT count(*) AS n FROM documents'),
      pages: count('SELECT count(*) AS n FROM pages'),
      chunks: count('SELECT count(*) AS n FROM chunks'),
      queuedJobs: count("SELECT count(*) AS n FROM jobs WHERE state = 'queued'"),
      runningJobs: count("SELECT count(*) AS n FROM jobs WHERE state = 'running'"),
    };
  }

  async checkIntegrity(): Promise<string> {
    const rows = this.db.pragma('integrity_check') as Row[];
    const result = rows.map((r) => String(r.integrity_check)).join('; ');
    if (result !== 'ok') return result;
    // FTS5's own consistency check raises an error when the index and its rows disagree.
    try {
      this.db.prepare("INSERT INTO chunk_fts (chunk_fts, rank) VALUES ('integrity-check', 0)").run();
    } catch (err) {
      return `chunk_fts: ${(err as Error).message}`;
    }
    return 'ok';
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/**
 * SQLite reports a full disk as SQLITE_FULL (the transaction is rolled back, the file stays intact);
 * say it in words a user can act on, with the code the ingest workers retry.
 */
function asDiskFull(err: unknown): unknown {
  if (
    err instanceof Database.SqliteError &&
    (err.code === 'SQLITE_FULL' || err.code === 'SQLITE_IOERR_WRITE')
  ) {
    return new DocSightError(
      'DISK_FULL',
      `The disk holding the library is full (${err.message}). Free some space; the job will retry.`,
      {
        cause: err,
      },
    );
  }
  return err;
}

const CONVERSATION_COLUMNS = `c.id, c.title, c.budget, c.owner_key_id, c.created_at, c.updated_at,
  (SELECT count(*) FROM conversation_messages m WHERE m.conversation_id = c.id) AS message_count`;

function toConversation(r: Row): ConversationRecord {
  return {
    id: r.id as string,
    title: r.title as string,
    budget: (r.budget as number | null) ?? null,
    ownerKeyId: (r.owner_key_id as number | null) ?? null,
    messageCount: r.message_count as number,
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  };
}

function toConversationImage(r: Row): ConversationImage {
  return {
    sha256: r.sha256 as string,
    name: r.name as string,
    documentId: (r.document_id as number | null) ?? null,
    page: (r.page as number | null) ?? null,
  };
}

function toHit(r: Row): ChunkHit {
  return {
    chunkId: r.chunk_id as number,
    documentId: r.document_id as number,
    page: r.page as number,
    score: r.score as number,
  };
}
