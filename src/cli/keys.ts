import 'dotenv/config';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { systemClock } from '../domain/clock.js';
import { createKeyService, type KeyService } from '../domain/keys.js';
import { CreateApiKeySchema, type Scope } from '../schemas/key.js';
import { openStore, type OpenedStore } from '../store/open.js';

/**
 * `npm run keys -- create|list|revoke`: organizer API keys, offline, straight on the database
 * (DATABASE_URL, else DATABASE_PATH: the way to get a first key when no ADMIN_API_KEY is set). Same service, same validation as
 * POST /api/v1/keys; the secret is printed once and only its hash is stored.
 */
export const usage = [
  'usage: npm run keys -- create --name NAME --scopes campaigns,letters,supporters,keys,webhooks',
  '       npm run keys -- list',
  '       npm run keys -- revoke KEY_ID',
].join('\n');

export class UsageError extends Error {
  override name = 'UsageError';
}

export type KeysCommand =
  | { command: 'create'; name: string; scopes: Scope[] }
  | { command: 'list' }
  | { command: 'revoke'; id: string };

/** Parses the arguments without touching the database, so a typo never creates a database file. */
export function parseKeysArgs(argv: string[]): KeysCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { name: { type: 'string' }, scopes: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { positionals, values } = parsed;
  const [command, ...rest] = positionals;
  switch (command) {
    case 'create': {
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      const input = CreateApiKeySchema.safeParse({
        name: values.name,
        scopes: values.scopes?.split(',').map((s) => s.trim()).filter(Boolean),
      });
      if (!input.success) {
        throw new UsageError(input.error.issues.map((i) => `--${String(i.path[0] ?? 'arguments')}: ${i.message}`).join('; '));
      }
      return { command, ...input.data };
    }
    case 'list':
      if (rest.length > 0 || values.name !== undefined || values.scopes !== undefined) throw new UsageError('list takes no arguments');
      return { command };
    case 'revoke':
      if (rest.length !== 1 || values.name !== undefined || values.scopes !== undefined) throw new UsageError('revoke takes exactly one key id');
      return { command, id: rest[0]! };
    default:
      throw new UsageError(command ? `unknown command "${command}"` : 'a command is required');
  }
}

export interface Output {
  /** Machine-readable result (the secret, the list): stdout. */
  out(line: string): void;
  /** Explanations for the person at the terminal: stderr. */
  info(line: string): void;
}

export async function runKeysCommand(cmd: KeysCommand, keys: KeyService, io: Output): Promise<void> {
  switch (cmd.command) {
    case 'create': {
      const created = await keys.mint(cmd.name, cmd.scopes);
      io.info(`Created key ${created.id} "${created.name}" with scopes ${created.scopes.join(',')}.`);
      io.info('The secret below is shown this once; only its hash is stored:');
      io.out(created.key);
      return;
    }
    case 'list':
      for (const k of await keys.list()) {
        io.out([k.id, k.revokedAt ? `revoked ${k.revokedAt}` : 'active', k.scopes.join(','), k.createdAt, k.name].join('\t'));
      }
      return;
    case 'revoke':
      await keys.revoke(cmd.id);
      io.info(`Revoked key ${cmd.id}; it stops working at once.`);
      return;
  }
}

async function main(): Promise<void> {
  let cmd: KeysCommand;
  try {
    cmd = parseKeysArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`chorus keys: ${(err as Error).message}\n${usage}`);
    process.exitCode = 2;
    return;
  }
  let opened: OpenedStore | undefined;
  try {
    const config = loadConfig(process.env);
    opened = await openStore({ path: config.DATABASE_PATH, url: config.DATABASE_URL });
    await runKeysCommand(cmd, createKeyService({ keys: opened.store.keys, clock: systemClock }), {
      out: (line) => console.log(line),
      info: (line) => console.error(line),
    });
  } catch (err) {
    console.error(`chorus keys: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  } finally {
    await opened?.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
