import multipart from '@fastify/multipart';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Access } from '../../app/access.js';
import type { DocSight } from '../../app/docsight.js';
import type { Ingestion } from '../../app/ingest.js';
import { authenticate } from '../../app/keys.js';
import { DocSightError } from '../../errors.js';
import { toHttpError } from './error-response.js';
import { openApiDocument, registerRoutes, type Route } from './route.js';
import { chatCompletionsRoute } from './routes/chat-completions.js';
import { healthRoute, readyRoute } from './routes/health.js';
import { modelsRoute } from './routes/models.js';
import { documentRoutes } from './routes/documents.js';
import { jobRoutes } from './routes/jobs.js';
import { libraryModelRoutes } from './routes/library-models.js';
import { searchRoute } from './routes/search.js';
import { uploadDocumentsRoute } from './routes/upload-documents.js';
import { askRoute } from './routes/ask.js';
import { conversationRoutes, conversationUploadRoutes } from './routes/conversations.js';
import { docsPage } from './routes/docs-page.js';
import { createServerMetrics } from './metrics.js';
import { createRateLimiter } from './rate-limit.js';
import { defaultWebRoot, serveWebApp } from './web-app.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request's API key may see and do; set for /api and /v1 routes. */
    access: (Access & { admin: boolean; keyId?: number }) | null;
  }
}

export interface HttpServerOptions {
  /** Where unexpected errors are reported (their text never reaches a client). */
  log?: (line: string) => void;
  /**
   * The ingestion this process runs (`startIngestion`): job events come from it, and cancelling a job it
   * runs stops it at once. Without it, /api/jobs/{id}/events follows jobs by reading their records and
   * /api/events answers 404. The caller starts and stops it.
   */
  ingestion?: Ingestion;
  /** Hub or mirror base URL for model downloads; default `$HF_ENDPOINT` or https://huggingface.co. */
  modelEndpoint?: string;
  /**
   * TESTS ONLY: replaces the rule that remote images are fetched from public addresses only (see
   * fetchRemoteImage), so that a test can serve images from a local server. `docsight serve` never sets it.
   */
  testOnlyAddressPolicy?: (address: string) => boolean;
  /** The built WebUI served at `/` (default `<package>/dist/web`, written by `npm run build`). */
  webRoot?: string;
}

/** Fastify's own request errors (bad JSON, wrong content type, body too large) as our codes. */
function frameworkError(err: FastifyError): DocSightError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DocSightError('FILE_TOO_LARGE', 'The request body is too large (server.maxJsonBytes).');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DocSightError('UNSUPPORTED_TYPE', 'Send the request body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new DocSightError('BAD_REQUEST', 'The request body is empty; send a JSON object.');
    // Uploads (@fastify/multipart).
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new DocSightError('UNSUPPORTED_TYPE', 'Send the files as multipart/form-data.');
    case 'FST_REQ_FILE_TOO_LARGE':
      return new DocSightError('FILE_TOO_LARGE', 'A file is larger than intake.maxFileBytes.');
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new DocSightError(
        'BAD_REQUEST',
        'Too many files or form fields in one upload; send them in several requests.',
      );
    default:
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
        // Fastify's JSON parser reports syntax errors as 400 with the parser's message (no server internals).
        return new DocSightError('BAD_REQUEST', `The request is malformed: ${err.message}`);
      }
      return undefined;
  }
}

/**
 * The HTTP API over one application: every route is a thin shell over an `src/app/` function. Errors become
 * OpenAI-shaped bodies in one place (error-response.ts).
 *
 * @example
 *   const server = createHttpServer(createDocSight(config));
 *   await server.listen({ host: '127.0.0.1', port: 8080 });
 */
export function createHttpServer(app: DocSight, options: HttpServerOptions = {}): FastifyInstance {
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const server = Fastify({
    bodyLimit: app.config.server.maxJsonBytes,
    // Long generations: never cut a streamed answer because the socket was quiet for a while.
    requestTimeout: 0,
    // Clients' own header sizes are bounded by Node (16 KiB); keep-alive sockets close with the server.
    forceCloseConnections: 'idle',
    logger: false,
  });

  // JSON only (and multipart where a route takes uploads): a text/plain body is a 415, not a string to validate.
  server.removeContentTypeParser('text/plain');

  // Every /api and /v1 request carries the access of its key (or full access while no key exists).
  server.decorateRequest('access', null);
  const rateLimit = app.config.server.rateLimitPerMinute;
  const limiter = rateLimit > 0 ? createRateLimiter({ perMinute: rateLimit }) : undefined;
  server.addHook('onRequest', async (request, reply) => {
    if (!/^\/(api|v1)(\/|$)/.test(request.url)) return;
    request.access = await authenticate(app, request.headers.authorization);
    // After authentication, so that a request with a bad key is a 401 and spends nobody's tokens.
    if (limiter) {
      const keyId = request.access.keyId;
      const verdict = limiter.take(keyId === undefined ? `address:${request.ip}` : `key:${keyId}`);
      if (!verdict.allowed) {
        reply.header('retry-after', String(verdict.retryAfterSeconds));
        throw new DocSightError(
          'RATE_LIMITED',
          `Too many requests: this ${keyId === undefined ? 'client' : 'key'} may make ` +
            `${rateLimit} a minute (server.rateLimitPerMinute); try again in ${verdict.retryAfterSeconds} s.`,
        );
      }
    }
  });

  // Aborted as the server starts closing: endless streams (job events, model downloads) end, so that closing
  // does not wait for clients that never hang up.
  const closing = new AbortController();
  server.addHook('preClose', async () => closing.abort());

  const metrics = createServerMetrics(server, app, options.ingestion);
  const routes: Route<never, never, never>[] = [
    healthRoute,
    readyRoute(app),
    modelsRoute(app),
    chatCompletionsRoute(app, metrics, { testOnlyAddressPolicy: options.testOnlyAddressPolicy }),
    ...documentRoutes(app),
    ...jobRoutes(app, options.ingestion, closing.signal),
    searchRoute(app),
    ...libraryModelRoutes(app, { endpoint: options.modelEndpoint, closing: closing.signal }),
    askRoute(app),
    ...conversationRoutes(app),
  ] as Route<never, never, never>[];
  registerRoutes(server, routes);
  // Multipart is parsed in the scopes of the routes that take files only: every JSON route still answers a
  // multipart body with 415.
  const upload = uploadDocumentsRoute(app) as Route<never, never, never>;
  void server.register(async (uploads) => {
    await uploads.register(multipart, { throwFileSizeLimit: true });
    registerRoutes(uploads, [upload]);
  });
  const conversationUploads = conversationUploadRoutes(app) as Route<never, never, never>[];
  void server.register(async (scope) => {
    await scope.register(multipart);
    registerRoutes(scope, conversationUploads);
  });
  const openapi = openApiDocument([...routes, upload, ...conversationUploads], {
    title: 'DocSight API',
    version: '0.1.0',
  });
  server.get('/openapi.json', async () => openapi);
  server.get('/docs', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(docsPage(openapi)),
  );

  const webRoot = options.webRoot ?? defaultWebRoot();
  server.setNotFoundHandler(async (request, reply) => {
    if (await serveWebApp(webRoot, request, reply)) return reply;
    const { status, body } = toHttpError(
      new DocSightError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}; see /docs.`),
    );
    return reply.code(status).send(body);
  });
  server.setErrorHandler(async (err: FastifyError, request, reply) => {
    const mapped = err instanceof DocSightError ? err : (frameworkError(err) ?? err);
    const { status, body, retryAfter, logged } = toHttpError(mapped);
    if (logged) log(`docsight: ${request.method} ${request.url}: ${logged}`);
    // A rate limit sets its own Retry-After (from its bucket) before it throws.
    if (retryAfter !== undefined && !reply.hasHeader('retry-after')) {
      reply.header('retry-after', String(retryAfter));
    }
    return reply.code(status).send(body);
  });
  return server;
}
