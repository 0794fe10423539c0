import type { Command } from 'commander';
import { createDocSight } from '../../app/docsight.js';
import { createKey, listKeys, revokeKey } from '../../app/keys.js';
import type { ApiKeyRecord } from '../../store/library-store.js';
import { configFromGlobals } from './command-config.js';
import { positiveInteger } from './options.js';

function keyLine(k: ApiKeyRecord): string {
  const scope = k.admin ? 'admin' : `collections: ${k.collections.join(', ')}`;
  const state = k.revokedAt ? 'revoked' : 'active';
  const when = new Date(k.createdAt).toISOString().slice(0, 16).replace('T', ' ');
  return `${String(k.id).padStart(4)}  ${k.prefix}…  ${state.padEnd(7)}  ${when}  ${JSON.stringify(k.name)}  ${scope}`;
}

/** `docsight keys create|list|revoke`: the HTTP API's keys. A key is printed once, at creation. */
export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('API keys for the HTTP server: create, list, revoke.');
  keys
    .command('create')
    .description('Create a key and print it (once). With keys, every API request must send one.')
    .option('--admin', 'the key sees every collection and may do everything')
    .option(
      '--collection <name>',
      'a collection the key may use (repeatable)',
      (v: string, all: string[] = []) => [...all, v],
    )
    .option('--name <label>', 'a label to recognise the key by')
    .action(async (opts: { admin?: boolean; collection?: string[]; name?: string }, command: Command) => {
      const app = createDocSight(configFromGlobals(command));
      try {
        const { key, record } = await createKey(app, {
          admin: opts.admin,
          collections: opts.collection,
          name: opts.name,
        });
        process.stdout.write(`${key}\n`);
        process.stderr.write(`${keyLine(record)}\nStore the key now: it is not shown again.\n`);
      } finally {
        await app.close();
      }
    });
  keys
    .command('list', { isDefault: true })
    .description('List keys (their first characters only).')
    .action(async (_opts: object, command: Command) => {
      const app = createDocSight(configFromGlobals(command));
      try {
        const list = await listKeys(app);
        process.stdout.write(
          list.length
            ? `${list.map(keyLine).join('\n')}\n`
            : 'No keys: the server answers loopback clients only, without keys.\n',
        );
      } finally {
        await app.close();
      }
    });
  keys
    .command('revoke')
    .description('Revoke a key; requests with it are refused from then on.')
    .argument(
      '<id>',
      'key id (see keys list)',
      positiveInteger('A key id', { hint: 'See `docsight keys list`.' }),
    )
    .action(async (id: number, _opts: object, command: Command) => {
      const app = createDocSight(configFromGlobals(command));
      try {
        await revokeKey(app, id);
        process.stdout.write(`Revoked key ${id}.\n`);
      } finally {
        await app.close();
      }
    });
}
