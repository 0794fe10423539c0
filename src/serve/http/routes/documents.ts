import { z } from 'zod';
import {
  deleteDocuments,
  exportStoredDocument,
  getDocumentFile,
  getDocumentSummary,
  getPage,
  getPageImage,
  getPageThumbnail,
  listDocuments,
  reingestDocument,
  THUMBNAIL_WIDTHS,
} from '../../../app/documents.js';
import type { DocSight } from '../../../app/docsight.js';
import { DocSightError } from '../../../errors.js';
import { contentDisposition } from '../content-disposition.js';
import { accessOf } from '../request-access.js';
import { defineRoute } from '../route.js';
import { documentSchema, idParam, jobSchema, toDocumentJson, toJobJson } from './document-shapes.js';
import type { FastifyReply, FastifyRequest } from 'fastify';

const TAG = 'Documents';
const idParams = z.object({ id: idParam });
const pageParams = z.object({ id: idParam, n: z.coerce.number().int().min(1).max(1_000_000) });

/** An ISO 8601 date or date-time in a query, as milliseconds since the epoch. */
export const dateParam = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, 'must be an ISO 8601 date or date-time')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'is not a valid date')
  .transform((s) => Date.parse(s));

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).max(20)]);

const listQuery = z
  .object({
    collection: z.string().min(1).optional(),
    /** Repeat it for documents carrying every tag. */
    tag: oneOrMany.optional(),
    status: z.enum(['pending', 'ready', 'failed']).optional(),
    /** A MIME type (`application/pdf`) or a prefix ending in `/` (`image/`). */
    type: z.string().min(1).max(255).optional(),
    since: dateParam.optional(),
    until: dateParam.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const pageSummarySchema = z.object({
  page: z.int(),
  width: z.int(),
  height: z.int(),
  source: z.enum(['ocr', 'text-layer']),
  line_count: z.int(),
  has_image: z.boolean(),
});

const lineSchema = z.object({
  text: z.string(),
  /** Four corners, clockwise from top-left: [x1, y1, x2, y2, x3, y3, x4, y4] in page pixels. */
  box: z.array(z.number()).length(8),
  confidence: z.number(),
  block: z.int().nullable(),
});

/** Headers for bytes that may be cached by the caller only (they are access-checked) until they change. */
function cacheable(request: FastifyRequest, reply: FastifyReply, etag: string): boolean {
  reply.header('etag', etag);
  reply.header('cache-control', 'private, max-age=300');
  reply.header('x-content-type-options', 'nosniff');
  if (request.headers['if-none-match'] === etag) {
    reply.code(304).send();
    return true;
  }
  return false;
}

/** The document routes: list, look at, download, export, delete and read again. */
export function documentRoutes(app: DocSight) {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/documents',
      tag: TAG,
      summary: 'List documents (filtered by collection, tag, status, type, date; paged)',
      query: listQuery,
      responses: {
        200: {
          description: 'Documents in the order they were added',
          schema: z.object({ documents: z.array(documentSchema) }),
        },
      },
      async handler({ query, request }) {
        const documents = await listDocuments(
          app,
          {
            collection: query.collection,
            tags: query.tag === undefined ? undefined : [query.tag].flat(),
            status: query.status,
            type: query.type,
            ingestedFrom: query.since,
            ingestedTo: query.until,
            limit: query.limit,
            offset: query.offset,
          },
          accessOf(request),
        );
        return { documents: documents.map(toDocumentJson) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/documents/:id',
      tag: TAG,
      summary: 'A document: status, error and a summary of its pages',
      params: idParams,
      responses: {
        200: {
          description: 'The document',
          schema: documentSchema.extend({ pages: z.array(pageSummarySchema) }),
        },
        404: { description: 'No such document (or not visible to this key)' },
      },
      async handler({ params, request }) {
        const document = await getDocumentSummary(app, params.id, accessOf(request));
        return {
          ...toDocumentJson(document),
          pages: document.pages.map((p) => ({
            page: p.page,
            width: p.width,
            height: p.height,
            source: p.source,
            line_count: p.lineCount,
            has_image: p.imageSha256 !== null,
          })),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/documents/:id/pages/:n',
      tag: TAG,
      summary: 'One page: its lines with their boxes',
      params: pageParams,
      responses: {
        200: {
          description: 'The page',
          schema: pageSummarySchema.omit({ line_count: true }).extend({
            document_id: z.int(),
            rotation: z.int(),
            lines: z.array(lineSchema),
          }),
        },
        404: { description: 'No such document or page' },
      },
      async handler({ params, request }) {
        const page = await getPage(app, params.id, params.n, accessOf(request));
        return {
          document_id: page.documentId,
          page: page.page,
          width: page.width,
          height: page.height,
          source: page.source,
          rotation: page.rotation,
          has_image: page.imageSha256 !== null,
          lines: page.lines.map((l) => ({
            text: l.text,
            box: [...l.box],
            confidence: l.confidence,
            block: l.block,
          })),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/documents/:id/pages/:n/image',
      tag: TAG,
      summary: 'The picture of a page (PNG, or the original image)',
      params: pageParams,
      responses: {
        200: { description: 'The page image', contentType: 'image/*' },
        304: { description: 'Not modified (If-None-Match)' },
        404: { description: 'No such page, or the page has no picture (plain text)' },
      },
      async handler({ params, request, reply }) {
        const image = await getPageImage(app, params.id, params.n, accessOf(request));
        if (cacheable(request, reply, `"${image.sha256}"`)) return undefined;
        reply.type(image.mime);
        return Buffer.from(image.bytes);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/documents/:id/pages/:n/thumbnail',
      tag: TAG,
      summary: 'A small JPEG of a page',
      params: pageParams,
      query: z
        .object({
          width: z.coerce
            .number()
            .pipe(z.union(THUMBNAIL_WIDTHS.map((w) => z.literal(w))))
            .default(256),
        })
        .strict(),
      responses: {
        200: { description: 'The thumbnail', contentType: 'image/jpeg' },
        304: { description: 'Not modified (If-None-Match)' },
        404: { description: 'No such page, or the page has no picture' },
      },
      async handler({ params, query, request, reply }) {
        const thumbnail = await getPageThumbnail(app, params.id, params.n, query.width, accessOf(request));
        if (cacheable(request, reply, `"${thumbnail.sha256}-w${query.width}"`)) return undefined;
        reply.type(thumbnail.mime);
        return Buffer.from(thumbnail.bytes);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/documents/:id/file',
      tag: TAG,
      summary: 'The original file, as it was added',
      params: idParams,
      responses: {
        200: {
          description: 'The original, with its MIME type and name',
          contentType: 'application/octet-stream',
        },
        404: { description: 'No such document' },
      },
      async handler({ params, request, reply }) {
        const file = await getDocumentFile(app, params.id, accessOf(request));
        if (cacheable(request, reply, `"${file.sha256}"`)) return undefined;
        // Never rendered as a page of this origin: a download, in a sandbox, whatever its type says.
        reply.header('content-disposition', contentDisposition('attachment', file.name));
        reply.header('content-security-policy', "sandbox; default-src 'none'");
        reply.type(file.mime);
        return Buffer.from(file.bytes);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/documents/:id/export',
      tag: TAG,
      summary: 'The document as Markdown or the documented JSON (from its stored lines)',
      params: idParams,
      query: z.object({ format: z.enum(['markdown', 'json', 'text']).default('markdown') }).strict(),
      responses: {
        200: { description: 'The export', contentType: 'text/markdown' },
        404: { description: 'No such document' },
      },
      async handler({ params, query, request, reply }) {
        const { name, text } = await exportStoredDocument(app, params.id, query.format, accessOf(request));
        const extension = { markdown: 'md', json: 'json', text: 'txt' }[query.format];
        reply.header('content-disposition', contentDisposition('inline', `${name}.${extension}`));
        reply.header('x-content-type-options', 'nosniff');
        reply.type(
          query.format === 'json'
            ? 'application/json; charset=utf-8'
            : query.format === 'markdown'
              ? 'text/markdown; charset=utf-8'
              : 'text/plain; charset=utf-8',
        );
        return text;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/documents/:id',
      tag: TAG,
      summary: 'Delete a document with its pages, index entries and files',
      params: idParams,
      responses: {
        200: { description: 'Deleted', schema: z.object({ id: z.int(), deleted: z.literal(true) }) },
        404: { description: 'No such document' },
      },
      async handler({ params, request }) {
        const { removed } = await deleteDocuments(app, [params.id], accessOf(request));
        if (removed.length === 0) {
          throw new DocSightError('NOT_FOUND', `No document ${params.id}. See GET /api/documents.`);
        }
        return { id: params.id, deleted: true };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/documents/:id/reingest',
      tag: TAG,
      summary: 'Read a document again from its original (queues a job)',
      params: idParams,
      responses: {
        202: {
          description: 'Queued (or already queued: that job)',
          schema: z.object({ document: documentSchema, job: jobSchema, already_queued: z.boolean() }),
        },
        404: { description: 'No such document' },
      },
      async handler({ params, request }) {
        const { document, job, alreadyQueued } = await reingestDocument(app, params.id, accessOf(request));
        return { document: toDocumentJson(document), job: toJobJson(job), already_queued: alreadyQueued };
      },
    }),
  ];
}
