import { z } from 'zod';
import type { JobRecord } from '../../../store/library-store.js';
import type { DocumentRecord } from '../../../store/library-store.js';

/** The API's JSON for documents and jobs: snake_case, times as ISO 8601 strings. */

export const documentSchema = z.object({
  id: z.int(),
  name: z.string(),
  mime: z.string(),
  size_bytes: z.int(),
  sha256: z.string(),
  collection: z.string().nullable(),
  tags: z.array(z.string()),
  status: z.enum(['pending', 'ready', 'failed']),
  page_count: z.int().nullable(),
  error: z.string().nullable(),
  created_at: z.string(),
});

export const toDocumentJson = (d: DocumentRecord): z.infer<typeof documentSchema> => ({
  id: d.id,
  name: d.name,
  mime: d.mime,
  size_bytes: d.sizeBytes,
  sha256: d.sha256,
  collection: d.collection,
  tags: d.tags,
  status: d.status,
  page_count: d.pageCount,
  error: d.error,
  created_at: new Date(d.createdAt).toISOString(),
});

export const errorObjectSchema = z.object({ code: z.string(), message: z.string() });

export const jobSchema = z.object({
  id: z.int(),
  document_id: z.int().nullable(),
  document_name: z.string().nullable(),
  state: z.enum(['queued', 'running', 'done', 'failed', 'cancelled']),
  attempts: z.int(),
  max_attempts: z.int(),
  pages_done: z.int(),
  pages_total: z.int().nullable(),
  error: errorObjectSchema.nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const toJobJson = (j: JobRecord): z.infer<typeof jobSchema> => ({
  id: j.id,
  document_id: j.documentId,
  document_name: j.documentName,
  state: j.state,
  attempts: j.attempts,
  max_attempts: j.maxAttempts,
  pages_done: j.pagesDone,
  pages_total: j.pagesTotal,
  error: j.error === null ? null : { code: (j.errorCode ?? 'internal').toLowerCase(), message: j.error },
  created_at: new Date(j.createdAt).toISOString(),
  updated_at: new Date(j.updatedAt).toISOString(),
});

/** A positive whole number from a path segment (`/api/documents/12`). */
export const idParam = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
