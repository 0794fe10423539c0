import { DocSightError } from '../errors.js';
import type { Access } from './access.js';

/**
 * Who may use conversations: full access only (an admin key, or a server without keys). A conversation does
 * not record the key that started it (that needs a column, so a migration), so a collection-scoped key could
 * not be kept to its own conversations — nor from the library pages an admin's conversation shows. Until the
 * store records an owner, scoped keys are refused outright rather than shown other keys' conversations.
 *
 * @example
 *   requireConversationAccess(request.access); // FORBIDDEN for { kind: 'collections', … }
 */
export function requireConversationAccess(access: Access): void {
  if (access.kind !== 'all') {
    throw new DocSightError(
      'FORBIDDEN',
      'Conversations are not kept per key yet: only an admin key (or a server without keys) may use them. ' +
        'Use POST /api/ask or /v1/chat/completions with this key.',
    );
  }
}
