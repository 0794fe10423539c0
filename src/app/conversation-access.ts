import type { Access } from './access.js';

/**
 * Who may use a conversation: full access (an admin key, the CLI, a server without keys) uses every one; a
 * collection-scoped key only those it started (the store records the starting key). Another key's
 * conversation does not exist for it (NOT_FOUND), as with documents outside its collections.
 *
 * @example
 *   canUseConversation({ kind: 'collections', collections: ['a'], keyId: 3 }, 4); // false
 */
export function canUseConversation(access: Access, ownerKeyId: number | null): boolean {
  return access.kind === 'all' || (access.keyId !== undefined && ownerKeyId === access.keyId);
}
