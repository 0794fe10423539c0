import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DocSightError } from '../../errors.js';

/**
 * A route: its zod schemas (the request is parsed by them before the handler runs, and the same schemas make
 * the OpenAPI document at /openapi.json) and a handler that calls one application function.
 */
export interface Route<B = unknown, Q = unknown, P = unknown> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify syntax: `/api/documents/:id`. */
  url: string;
  summary: string;
  tag: string;
  body?: z.ZodType<B>;
  /**
   * A body the handler reads itself (multipart uploads), for the OpenAPI document only; `body` stays unset
   * so nothing parses it first.
   */
  streamedBody?: { contentType: string; schema: z.ZodType };
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  /** Documented responses; the handler's return value is sent as JSON with the first 2xx status. */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  handler(input: {
    body: B;
    query: Q;
    params: P;
    request: FastifyRequest;
    reply: FastifyReply;
  }): Promise<unknown>;
}

/** Identity with types: `defineRoute({ … })` infers body/query/params from the schemas. */
export const defineRoute = <B, Q, P>(route: Route<B, Q, P>): Route<B, Q, P> => route;

/** A zod failure as one readable message naming the field (`messages.0.content`), for a 400. */
export function parseOrThrow<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.join('.');
  throw new DocSightError(
    'BAD_REQUEST',
    `${where}${path ? ` field "${path}"` : ''}: ${issue.message}` +
      (parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem(s))` : ''),
    { param: path || undefined },
  );
}

/** Registers routes on a Fastify instance; requests are parsed by the routes' zod schemas first. */
export function registerRoutes(server: FastifyInstance, routes: readonly Route<never, never, never>[]): void {
  for (const route of routes as readonly Route[]) {
    const success = Number(Object.keys(route.responses).find((s) => s.startsWith('2')) ?? 200);
    server.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        const body = parseOrThrow(route.body, request.body, 'body');
        const query = parseOrThrow(route.query, request.query, 'query');
        const params = parseOrThrow(route.params, request.params, 'path');
        const result = await route.handler({ body, query, params, request, reply });
        // A handler that streamed (or sent a file) has answered already.
        if (reply.sent || reply.raw.headersSent) return reply;
        return reply.code(success).send(result);
      },
    });
  }
}

const openApiPath = (url: string): string => url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any' });
}

/** The OpenAPI 3.1 document of the routes, from their zod schemas. */
export function openApiDocument(
  routes: readonly Route<never, never, never>[],
  info: { title: string; version: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes as readonly Route[]) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', route.params],
      ['query', route.query],
    ] as const) {
      if (!(schema instanceof z.ZodObject)) continue;
      for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
        parameters.push({
          name,
          in: where,
          required: where === 'path' || !field.safeParse(undefined).success,
          schema: jsonSchema(field, 'input'),
        });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(route.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.schema || r.contentType
          ? {
              content: {
                [r.contentType ?? 'application/json']: r.schema
                  ? { schema: jsonSchema(r.schema, 'output') }
                  : {},
              },
            }
          : {}),
      };
    }
    (paths[openApiPath(route.url)] ??= {})[route.method.toLowerCase()] = {
      summary: route.summary,
      tags: [route.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : route.streamedBody
          ? {
              requestBody: {
                required: true,
                content: {
                  [route.streamedBody.contentType]: {
                    schema: jsonSchema(route.streamedBody.schema, 'input'),
                  },
                },
              },
            }
          : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
