import { createHash, randomBytes } from 'node:crypto';
import { DocSightError } from '../errors.js';
import type { ApiKeyRecord } from '../store/library-store.js';
import { FULL_ACCESS, type Access } from './access.js';
import type { DocSight } from './docsight.js';

/** Keys look like `dsk_` + 43 characters of base64url (256 random bits): easy to spot in a leaked file. */
const KEY_PREFIX = 'dsk_';

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export interface NewKey {
  name?: string;
  /** An admin key sees and does everything; otherwise give the collections it may use. */
  admin?: boolean;
  collections?: string[];
}

/**
 * Creates an API key and returns it — the only time it is shown: only its sha256 is stored (the key has
 * 256 random bits, so a plain hash is as good as a slow one).
 *
 * @example
 *   const { key } = await createKey(app, { collections: ['invoices'], name: 'accounting' });
 */
export async function createKey(
  app: DocSight,
  input: NewKey,
): Promise<{ key: string; record: ApiKeyRecord }> {
  const collections = [...new Set(input.collections ?? [])];
  if (!input.admin && collections.length === 0) {
    throw new DocSightError('BAD_REQUEST', 'A key needs --admin or at least one --collection NAME.');
  }
  if (input.admin && collections.length > 0) {
    throw new DocSightError(
      'BAD_REQUEST',
      'An admin key sees every collection: give --admin or --collection, not both.',
    );
  }
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const record = await app.library().store.createApiKey({
    hash: hashKey(key),
    prefix: key.slice(0, KEY_PREFIX.length + 6),
    name: input.name ?? (input.admin ? 'admin' : collections.join(',')),
    admin: input.admin ?? false,
    collections,
  });
  return { key, record };
}

export const listKeys = (app: DocSight): Promise<ApiKeyRecord[]> => app.library().store.listApiKeys();

export async function revokeKey(app: DocSight, id: number): Promise<void> {
  if (!(await app.library().store.revokeApiKey(id))) {
    throw new DocSightError('NOT_FOUND', `No active key ${id}. See \`docsight keys list\`.`);
  }
}

/** Whether the server must ask for keys: as soon as one exists, every API request needs one. */
export async function keysRequired(app: DocSight): Promise<boolean> {
  return (await app.library().store.countActiveApiKeys()) > 0;
}

/**
 * What a request may do, from its `Authorization` header: full access while no key exists (the server then
 * listens on loopback only), else the access of a valid key; UNAUTHORIZED otherwise.
 */
export async function authenticate(
  app: DocSight,
  authorization: string | undefined,
): Promise<Access & { admin: boolean; keyId?: number }> {
  if (!(await keysRequired(app))) return { ...FULL_ACCESS, admin: true };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) {
    throw new DocSightError(
      'UNAUTHORIZED',
      'This server needs an API key: send "Authorization: Bearer KEY".',
    );
  }
  const record = await app.library().store.findApiKey(hashKey(match[1]!));
  if (!record) throw new DocSightError('UNAUTHORIZED', 'The API key is not valid (unknown or revoked).');
  return record.admin
    ? { kind: 'all', admin: true, keyId: record.id }
    : { kind: 'collections', collections: record.collections, admin: false, keyId: record.id };
}
