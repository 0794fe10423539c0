import type Database from 'better-sqlite3';
import { DocSightError } from '../errors.js';
import { TERM_INNER_CHARS } from '../text/search-terms.js';

/**
 * The SQLite schema as an ordered list of migrations; `PRAGMA user_version` records how many ran.
 * Never edit a shipped migration: append a new one, so every existing library upgrades the same way.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the library.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    collection_id INTEGER REFERENCES collections(id) ON DELETE SET NULL,
    page_count INTEGER,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
    error TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX documents_collection ON documents(collection_id);
  CREATE INDEX documents_created ON documents(created_at);
  CREATE TABLE document_tags (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (document_id, tag)
  ) WITHOUT ROWID;
  CREATE INDEX document_tags_tag ON document_tags(tag);
  CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    page INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('ocr', 'text-layer')),
    rotation INTEGER NOT NULL DEFAULT 0,
    image_sha256 TEXT,
    UNIQUE (document_id, page)
  );
  CREATE TABLE lines (
    page_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    line_no INTEGER NOT NULL,
    text TEXT NOT NULL,
    box TEXT NOT NULL,
    confidence REAL NOT NULL,
    block INTEGER,
    PRIMARY KEY (page_id, line_no)
  ) WITHOUT ROWID;
  CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    page_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL,
    first_line INTEGER NOT NULL,
    last_line INTEGER NOT NULL,
    text TEXT NOT NULL
  );
  CREATE INDEX chunks_page ON chunks(page_id);
  CREATE INDEX chunks_document ON chunks(document_id);
  -- Contentless: the text lives in chunks; the index keeps only terms (about half the size).
  CREATE VIRTUAL TABLE chunk_fts USING fts5(
    terms, content='', contentless_delete=1,
    tokenize="unicode61 remove_diacritics 0 tokenchars '${TERM_INNER_CHARS}'"
  );
  -- Index entries follow their chunk, however the chunk goes (page rewrite, document delete).
  CREATE TRIGGER chunks_delete_fts AFTER DELETE ON chunks BEGIN
    DELETE FROM chunk_fts WHERE rowid = old.id;
  END;
  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    document_id INTEGER REFERENCES documents(id) ON DELETE SET NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    next_run_at INTEGER NOT NULL,
    pages_done INTEGER NOT NULL DEFAULT 0,
    pages_total INTEGER,
    error TEXT,
    error_code TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX jobs_runnable ON jobs(state, next_run_at);
  `,
  // 2: a running job holds a lease its worker renews; a job whose lease ran out (its process died)
  // can be taken by any worker, so two processes never run one job while both are alive.
  `
  ALTER TABLE jobs ADD COLUMN lease_until INTEGER;
  `,
  // 3: per-term document counts straight from the FTS5 index, to keep very common terms out of
  // ranked OR queries.
  `
  CREATE VIRTUAL TABLE chunk_fts_vocab USING fts5vocab(chunk_fts, row);
  `,
  // 4: API keys of the HTTP server, stored as sha256 hashes (the key itself is shown once, at creation).
  // A key sees either everything (admin) or the collections listed for it.
  `
  CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    name TEXT NOT NULL,
    admin INTEGER NOT NULL CHECK (admin IN (0, 1)),
    collections TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  `,
  // 5: conversations about images (src/app/chat.ts), kept so a server holds many and they survive restarts.
  // Images are blobs (content-addressed, maybe shared with library documents and pages), listed one row each
  // so "is this blob still used?" is an index lookup. No foreign key to documents: a conversation about a
  // library page keeps its image when the document is deleted.
  `
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    budget INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX conversations_updated ON conversations(updated_at);
  CREATE TABLE conversation_messages (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    text TEXT NOT NULL,
    prompt TEXT,
    task TEXT,
    stats TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
  ) WITHOUT ROWID;
  CREATE TABLE conversation_images (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    message_seq INTEGER,
    sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    document_id INTEGER,
    page INTEGER,
    PRIMARY KEY (conversation_id, position)
  ) WITHOUT ROWID;
  CREATE INDEX conversation_images_sha256 ON conversation_images(sha256);
  `,
  // 6: a document is its bytes within its collection: the same file in two collections is two documents (a
  // collection-scoped key gets its own, and learns nothing of the other); "no collection" counts as one.
  // SQLite cannot drop the column's UNIQUE, so the table is rebuilt with its ids kept (pages, jobs and tags
  // point at them); migrate() turns foreign keys off around this and checks them before committing.
  `
  CREATE TABLE documents_new (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    collection_id INTEGER REFERENCES collections(id) ON DELETE SET NULL,
    page_count INTEGER,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
    error TEXT,
    created_at INTEGER NOT NULL
  );
  INSERT INTO documents_new (id, sha256, name, mime, size_bytes, collection_id, page_count, status, error, created_at)
    SELECT id, sha256, name, mime, size_bytes, collection_id, page_count, status, error, created_at FROM documents;
  DROP TABLE documents;
  ALTER TABLE documents_new RENAME TO documents;
  CREATE UNIQUE INDEX documents_identity ON documents(sha256, coalesce(collection_id, 0));
  CREATE INDEX documents_collection ON documents(collection_id);
  CREATE INDEX documents_created ON documents(created_at);
  `,
  // 7: who started a conversation: the API key (NULL without one: the CLI, a server without keys), so a
  // collection-scoped key is kept to its own conversations.
  `
  ALTER TABLE conversations ADD COLUMN owner_key_id INTEGER REFERENCES api_keys(id);
  CREATE INDEX conversations_owner ON conversations(owner_key_id, updated_at);
  `,
];

/**
 * Runs the migrations `db` has not seen yet, each in its own transaction. Foreign keys are off while they
 * run (a migration may rebuild a table others point at, and SQLite ignores the pragma inside a transaction)
 * and each migration checks them before it commits: one that broke a reference rolls back.
 */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current >= MIGRATIONS.length) return;
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    for (let v = current; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]!);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) {
          throw new DocSightError(
            'INTERNAL',
            `Upgrading the library database (step ${v + 1}) would break ${broken.length} references ` +
              `(first: ${JSON.stringify(broken[0])}); it was left as it was. Report this with the database.`,
          );
        }
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}
