import { DocSightError } from '../errors.js';

/**
 * Who is asking: what an API key may see. Use cases take one and filter by it, so a collection-scoped key
 * never sees another collection's documents, pages, jobs, search hits, citations or conversations — and what
 * it cannot see does not exist for it (NOT_FOUND, never FORBIDDEN, which would confirm it exists).
 */
export type Access = ({ kind: 'all' } | { kind: 'collections'; collections: readonly string[] }) & {
  /** The API key asking (absent without one: the CLI, a server without keys); owns what it creates. */
  keyId?: number;
};

/** Everything: the CLI, and a server without keys (loopback only). */
export const FULL_ACCESS: Access = { kind: 'all' };

/** True when `access` may see a document of `collection` (null: no collection, visible to full access only). */
export function canSee(access: Access, collection: string | null): boolean {
  return access.kind === 'all' || (collection !== null && access.collections.includes(collection));
}

/**
 * The collections a store query must stay inside for `access`: undefined for full access, else the key's
 * collections (a list the store matches exactly; empty matches nothing). A collection asked for by the caller
 * narrows it further; one outside the key's scope leaves nothing to see.
 *
 * @example
 *   store.listDocuments({ ...filters, collections: visibleCollections(access, filters.collection) });
 */
export function visibleCollections(access: Access, requested?: string): readonly string[] | undefined {
  if (access.kind === 'all') return undefined;
  if (requested === undefined) return access.collections;
  return access.collections.includes(requested) ? [requested] : [];
}

/**
 * The collection an upload goes into. A scoped key writes only into its own collections: naming another is
 * FORBIDDEN (the name is the caller's own input, so refusing confirms nothing), and naming none is fine only
 * when the key has exactly one.
 *
 * @example
 *   uploadCollection({ kind: 'collections', collections: ['invoices'] }, undefined); // 'invoices'
 */
export function uploadCollection(access: Access, requested: string | undefined): string | undefined {
  if (access.kind === 'all') return requested;
  if (requested === undefined) {
    if (access.collections.length === 1) return access.collections[0];
    throw new DocSightError(
      'BAD_REQUEST',
      `Name the collection to add to: this key may use ${access.collections.join(', ')}.`,
      { param: 'collection' },
    );
  }
  if (!access.collections.includes(requested)) {
    throw new DocSightError(
      'FORBIDDEN',
      `This key may not add documents to collection "${requested}"; it may use ${access.collections.join(', ')}.`,
      { param: 'collection' },
    );
  }
  return requested;
}

/** Actions on the whole server (model downloads) need full access: an admin key, or no keys at all. */
export function requireAdmin(access: Access, action: string): void {
  if (access.kind !== 'all') {
    throw new DocSightError('FORBIDDEN', `Only an admin key may ${action}.`);
  }
}
