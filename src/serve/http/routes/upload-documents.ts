import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type {} from '@fastify/multipart';
import { z } from 'zod';
import { uploadCollection } from '../../../app/access.js';
import type { DocSight } from '../../../app/docsight.js';
import { addDocuments, type AddOutcome } from '../../../app/ingest.js';
import { DocSightError } from '../../../errors.js';
import { accessOf } from '../request-access.js';
import { defineRoute } from '../route.js';
import { errorObjectSchema } from './document-shapes.js';

/** Files in one upload request: a folder's worth; larger batches go as several requests. */
export const MAX_FILES_PER_UPLOAD = 100;
/** Form fields besides files (collection, tags), and the size of each. */
const MAX_FIELDS = 20;
const MAX_FIELD_BYTES = 4096;

const resultSchema = z.object({
  documents: z.array(
    z.object({
      /** Null when the file was refused (see `error`). */
      id: z.int().nullable(),
      name: z.string(),
      /** The job that reads it; null for a duplicate already read, or a refused file. */
      job_id: z.int().nullable(),
      status: z.enum(['added', 'duplicate', 'rejected']),
      error: errorObjectSchema.optional(),
    }),
  ),
});

const toEntry = (outcome: AddOutcome): z.infer<typeof resultSchema>['documents'][number] =>
  outcome.status === 'rejected'
    ? {
        id: null,
        name: outcome.name,
        job_id: null,
        status: 'rejected',
        error: { code: outcome.error.code.toLowerCase(), message: outcome.error.message },
      }
    : {
        id: outcome.document.id,
        name: outcome.name,
        job_id: outcome.job?.id ?? null,
        status: outcome.status,
      };

/** Tags from a form field: comma-separated, and the field may repeat. */
const splitTags = (value: string): string[] =>
  value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/**
 * `POST /api/documents`: multipart upload of one or more `file` parts with `collection` and `tags` fields.
 * Each file is streamed to a temporary file under `<home>/tmp` as it arrives, which then becomes its blob
 * (hashed, then renamed into the blob store — copied only when that is another file system) or is removed:
 * an upload is never whole in memory. Answers 202:
 * the documents are queued for reading; follow their jobs at /api/jobs/{id}/events.
 *
 * Must be registered where @fastify/multipart is (server.ts registers it for this route only, so JSON
 * routes still answer a multipart body with 415).
 */
export function uploadDocumentsRoute(app: DocSight) {
  return defineRoute({
    method: 'POST',
    url: '/api/documents',
    tag: 'Documents',
    summary: 'Upload documents (multipart: one or more `file` parts, `collection`, `tags`)',
    streamedBody: {
      contentType: 'multipart/form-data',
      schema: z.object({
        file: z
          .array(z.string().meta({ format: 'binary' }))
          .min(1)
          .max(MAX_FILES_PER_UPLOAD),
        collection: z
          .string()
          .optional()
          .meta({ description: 'Required for a key with several collections' }),
        tags: z.string().optional().meta({ description: 'Comma-separated; the field may repeat' }),
      }),
    },
    responses: {
      202: {
        description: 'Queued for reading; refused files are listed with their error',
        schema: resultSchema,
      },
      400: { description: 'No file, too many files or fields, or no collection named' },
      403: { description: 'The key may not add to that collection' },
      413: { description: 'A file is larger than intake.maxFileBytes' },
      415: { description: 'The body is not multipart/form-data' },
    },
    async handler({ request, reply }) {
      const access = accessOf(request);
      const maxFileBytes = app.config.intake.maxFileBytes;
      const tmp = join(app.config.home, 'tmp');
      await mkdir(tmp, { recursive: true });
      const files: { name: string; path: string }[] = [];
      let collection: string | undefined;
      const tags: string[] = [];
      try {
        const parts = request.parts({
          limits: {
            fileSize: maxFileBytes,
            files: MAX_FILES_PER_UPLOAD,
            fields: MAX_FIELDS,
            fieldSize: MAX_FIELD_BYTES,
            parts: MAX_FILES_PER_UPLOAD + MAX_FIELDS,
          },
        });
        for await (const part of parts) {
          if (part.type === 'field') {
            const value = typeof part.value === 'string' ? part.value : String(part.value);
            if (part.fieldname === 'collection') collection = value.trim() || undefined;
            else if (part.fieldname === 'tags') tags.push(...splitTags(value));
            else {
              throw new DocSightError(
                'BAD_REQUEST',
                `Unknown form field "${part.fieldname}"; send file, collection, tags.`,
                { param: part.fieldname },
              );
            }
            continue;
          }
          if (part.fieldname !== 'file') {
            part.file.resume();
            throw new DocSightError(
              'BAD_REQUEST',
              `Send files in parts named "file", not "${part.fieldname}".`,
              { param: part.fieldname },
            );
          }
          // A collection named before the files is checked before their bytes are received (addDocuments
          // checks again, whatever the order of the parts).
          if (files.length === 0 && collection !== undefined) uploadCollection(access, collection);
          const path = join(tmp, `upload-${randomUUID()}`);
          files.push({ name: part.filename || `upload-${files.length + 1}`, path });
          await pipeline(part.file, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
          if (part.file.truncated) {
            throw new DocSightError(
              'FILE_TOO_LARGE',
              `${part.filename || 'A file'} is larger than ${maxFileBytes} bytes (intake.maxFileBytes); ` +
                'split it, or raise intake.maxFileBytes in config.json on the server.',
              { param: 'file' },
            );
          }
        }
        if (files.length === 0) {
          throw new DocSightError('BAD_REQUEST', 'Send at least one file in a part named "file".', {
            param: 'file',
          });
        }
        // Each temporary file becomes its blob (moved, hashed on the way): none is ever whole in memory.
        const summary = await addDocuments(
          app,
          files.map((f) => ({ name: f.name, temporaryFile: f.path })),
          { collection, tags: tags.length > 0 ? [...new Set(tags)] : undefined },
          access,
        );
        reply.code(202);
        return { documents: summary.outcomes.map(toEntry) };
      } finally {
        await Promise.all(files.map((f) => rm(f.path, { force: true })));
      }
    },
  });
}
