import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The folder `vite build` writes the WebUI to: `<package root>/dist/web`, from src/ (tests) and dist/ alike. */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'web');
}

/** Paths that belong to the API: never answered with the WebUI's index.html. */
const API_PATH = /^\/(api|v1)(\/|$)|^\/(docs|openapi\.json|health|ready|metrics)$/;

/**
 * Serves the built WebUI (static files) for GET requests no route answered: a file under `root` by its path,
 * or index.html for client-side routes (`/library`, `/viewer/3/1`) when the browser asks for a page.
 * Hashed assets (`/assets/*`) are cached for a year; index.html is revalidated on every load, so a new build
 * is picked up at once. Returns false when the request is not the WebUI's (the caller answers 404).
 */
export async function serveWebApp(
  root: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<boolean> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  let path: string;
  try {
    path = decodeURIComponent(request.url.split('?')[0]!);
  } catch {
    return false; // A malformed escape (`%E0`): not a file of ours.
  }
  if (API_PATH.test(path)) return false;
  const index = join(root, 'index.html');
  if (!existsSync(index)) {
    if (path !== '/') return false;
    await reply
      .code(503)
      .type('text/plain; charset=utf-8')
      .send('The WebUI is not built: run `npm run build` (it writes dist/web), then reload.');
    return true;
  }
  const file = normalize(join(root, path));
  const inside = file.startsWith(root + sep);
  if (inside && existsSync(file) && statSync(file).isFile()) {
    const immutable = path.startsWith('/assets/');
    reply
      .type(MIME[extname(file)] ?? 'application/octet-stream')
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    await reply.send(await readFile(file));
    return true;
  }
  // A client route: only for page loads, so that a missing script or image still answers 404.
  if (extname(path) !== '' || !String(request.headers.accept ?? '').includes('text/html')) return false;
  await reply
    .type(MIME['.html']!)
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .send(await readFile(index));
  return true;
}
