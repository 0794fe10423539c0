import { z } from 'zod';
import type { DocSight } from '../../../app/docsight.js';
import { MAX_SEARCH_K, search } from '../../../app/search.js';
import { accessOf } from '../request-access.js';
import { defineRoute } from '../route.js';
import { dateParam } from './documents.js';

const searchRequestSchema = z
  .object({
    query: z.string().min(1).max(4000),
    k: z.int().min(1).max(MAX_SEARCH_K).default(10),
    collection: z.string().min(1).optional(),
    /** A document id: search inside one document. */
    document: z.int().min(1).optional(),
    /** Documents carrying every one of these tags. */
    tags: z.array(z.string().min(1)).max(20).optional(),
    /** A MIME type (`application/pdf`) or a prefix ending in `/` (`image/`). */
    type: z.string().min(1).max(255).optional(),
    /** Documents added at or after / before this ISO 8601 date or date-time. */
    since: dateParam.optional(),
    until: dateParam.optional(),
  })
  .strict();

const searchResponseSchema = z.object({
  mode: z.enum(['bm25', 'hybrid']),
  note: z.string().optional(),
  results: z.array(
    z.object({
      document_id: z.int(),
      document_name: z.string(),
      page: z.int(),
      /** Higher is better; comparable within one response only. */
      score: z.number(),
      /** The matching lines, matches in [brackets]. */
      snippet: z.string(),
      /** Boxes of the matching lines: four corners each, [x1, y1, …, x4, y4] in page pixels. */
      boxes: z.array(z.array(z.number()).length(8)),
    }),
  ),
});

/** `POST /api/search`: pages of the library that match a query (BM25, or hybrid with an embedding model). */
export function searchRoute(app: DocSight) {
  return defineRoute({
    method: 'POST',
    url: '/api/search',
    tag: 'Search',
    summary: 'Search the library: best pages first, with snippets and the boxes of matching lines',
    body: searchRequestSchema,
    responses: {
      200: { description: 'Results, best first', schema: searchResponseSchema },
      400: { description: 'Invalid request (names the field)' },
    },
    async handler({ body, request }) {
      const response = await search(
        app,
        {
          query: body.query,
          k: body.k,
          filters: {
            collection: body.collection,
            documentId: body.document,
            tags: body.tags,
            type: body.type,
            ingestedFrom: body.since,
            ingestedTo: body.until,
          },
        },
        accessOf(request),
      );
      return {
        mode: response.mode,
        ...(response.note ? { note: response.note } : {}),
        results: response.results.map((r) => ({
          document_id: r.documentId,
          document_name: r.documentName,
          page: r.page,
          score: r.score,
          snippet: r.snippet,
          boxes: r.boxes.map((b) => [...b]),
        })),
      };
    },
  });
}
