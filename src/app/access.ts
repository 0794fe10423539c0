/**
 * Who is asking: what an API key may see. Use cases take one and filter by it, so a collection-scoped key
 * never sees another collection's documents, pages, jobs, search hits, citations or conversations — and what
 * it cannot see does not exist for it (NOT_FOUND, never FORBIDDEN, which would confirm it exists).
 */
export type Access = { kind: 'all' } | { kind: 'collections'; collections: readonly string[] };

/** Everything: the CLI, and a server without keys (loopback only). */
export const FULL_ACCESS: Access = { kind: 'all' };

/** True when `access` may see a document of `collection` (null: no collection, visible to full access only). */
export function canSee(access: Access, collection: string | null): boolean {
  return access.kind === 'all' || (collection !== null && access.collections.includes(collection));
}
