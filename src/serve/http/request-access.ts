import type { FastifyRequest } from 'fastify';
import type { Access } from '../../app/access.js';
import { DocSightError } from '../../errors.js';

/**
 * The access of the request's API key, as the onRequest hook set it for /api and /v1 routes. A route outside
 * those prefixes asking for it is a server bug: it fails closed rather than acting with full access.
 */
export function accessOf(request: FastifyRequest): Access {
  if (!request.access) {
    throw new DocSightError('INTERNAL', `No access was established for ${request.url.split('?')[0]}.`);
  }
  return request.access;
}
