import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { parseKeysArgs, UsageError } from '../src/cli/keys.js';
import { loadConfig } from '../src/config.js';
import { ADMIN_KEY, auth, buildTestApp, type TestApp } from './helpers/build-app.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('API keys over HTTP', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  const mint = (payload: unknown, headers: Record<string, string> = auth) =>
    t.app.inject({ method: 'POST', url: '/api/v1/keys', headers, payload: payload as object });
  const listCampaigns = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/campaigns', headers });

  it('no key, a malformed header or an unknown key is 401', async () => {
    for (const headers of [{}, { authorization: ADMIN_KEY }, { authorization: 'Basic dXNlcjpwYXNz' }, bearer('short'), bearer('chorus_not-a-real-key-at-all-0000000')]) {
      const res = await listCampaigns(headers);
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.equal(res.headers['content-type'], 'application/problem+json');
      assert.equal(res.json().status, 401);
    }
  });

  it('ADMIN_API_KEY works for every scope', async () => {
    assert.equal((await listCampaigns(auth)).statusCode, 200);
    assert.equal((await mint({ name: 'all', scopes: ['campaigns', 'letters', 'supporters', 'keys'] })).statusCode, 201);
  });

  it('mints a scoped key shown once and stored only as its SHA-256', async () => {
    const res = await mint({ name: 'Campaign desk', scopes: ['campaigns'] });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const created = res.json();
    assert.match(created.key, /^chorus_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(created.scopes, ['campaigns']);
    assert.equal(created.revokedAt, null);
    assert.ok(!('keyHash' in created));

    const row = (await t.app.store.sql.get<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = ?', [created.id]))!;
    assert.equal(row.key_hash, createHash('sha256').update(created.key).digest('hex'));
    assert.ok(!Object.values(row).some((v) => String(v).includes(created.key)));
    // Not anywhere in the database files either (main file and write-ahead log): SQLite-only.
    if (t.app.store.sql.dialect === 'sqlite') {
      await t.app.store.sql.exec('PRAGMA wal_checkpoint(PASSIVE)');
      for (const file of [t.dbPath, `${t.dbPath}-wal`]) {
        if (existsSync(file)) assert.ok(!readFileSync(file).includes(created.key), file);
      }
    }

    assert.equal((await listCampaigns(bearer(created.key))).statusCode, 200);
  });

  it('a key lacking the route’s scope gets 403 naming it', async () => {
    const { key } = (await mint({ name: 'Letters only', scopes: ['letters'] })).json();
    const res = await listCampaigns(bearer(key));
    assert.equal(res.statusCode, 403);
    assert.match(res.json().detail, /"campaigns"/);
    assert.equal((await mint({ name: 'x', scopes: ['letters'] }, bearer(key))).statusCode, 403, 'minting needs the keys scope');
  });

  it('a key can only hand out scopes it holds', async () => {
    const { key } = (await mint({ name: 'Key desk', scopes: ['keys', 'campaigns'] })).json();
    const escalate = await mint({ name: 'x', scopes: ['campaigns', 'supporters'] }, bearer(key));
    assert.equal(escalate.statusCode, 403);
    assert.match(escalate.json().detail, /"supporters"/);
    assert.equal((await mint({ name: 'y', scopes: ['campaigns'] }, bearer(key))).statusCode, 201);
  });

  it('validates the request', async () => {
    for (const payload of [{ name: 'x', scopes: [] }, { name: 'x', scopes: ['root'] }, { name: '', scopes: ['keys'] }, { name: 'x', scopes: ['keys'], admin: true }]) {
      assert.equal((await mint(payload)).statusCode, 422, JSON.stringify(payload));
    }
  });

  it('DELETE revokes at once: the next request is 401', async () => {
    const created = (await mint({ name: 'Temporary', scopes: ['campaigns'] })).json();
    assert.equal((await listCampaigns(bearer(created.key))).statusCode, 200);
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${created.id}`, headers: auth });
    assert.equal(del.statusCode, 204);
    assert.equal(del.body, '');
    assert.equal((await listCampaigns(bearer(created.key))).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${created.id}`, headers: auth })).statusCode, 404);
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/api/v1/keys/key_nope', headers: auth })).statusCode, 404);
  });

  it('without ADMIN_API_KEY configured, no bootstrap key exists', async () => {
    const bare = await buildTestApp({ ADMIN_API_KEY: '' });
    try {
      assert.equal((await bare.app.inject({ method: 'GET', url: '/api/v1/campaigns', headers: auth })).statusCode, 401);
    } finally {
      await bare.close();
    }
  });
});

describe('npm run keys (offline CLI)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'chorus-keys-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Exactly what a person types: `npm run -s keys -- ...` (-s keeps npm's banner off stdout). */
  const keys = (dbPath: string, ...args: string[]) =>
    spawnSync('npm', ['run', '-s', 'keys', '--', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_PATH: dbPath, ADMIN_API_KEY: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('creates a key on a database no server has opened; the server then accepts it; list and revoke work', async () => {
    const dbPath = join(dir, 'fresh', 'chorus.db');
    const created = keys(dbPath, 'create', '--name', 'First organizer', '--scopes', 'campaigns,letters');
    assert.equal(created.status, 0, created.stderr);
    const secret = created.stdout.trim();
    assert.match(secret, /^chorus_[A-Za-z0-9_-]{43}$/, 'stdout is the secret alone (scriptable)');
    assert.match(created.stderr, /shown this once/);

    const listed = keys(dbPath, 'list');
    assert.equal(listed.status, 0, listed.stderr);
    const [line, ...others] = listed.stdout.trim().split('\n');
    assert.equal(others.length, 0);
    const [id, state, scopes, , name] = line!.split('\t');
    assert.match(id!, /^key_/);
    assert.deepEqual([state, scopes, name], ['active', 'campaigns,letters', 'First organizer']);
    assert.ok(!listed.stdout.includes(secret));

    const t = await buildTestAppAt(dbPath);
    try {
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/campaigns', headers: bearer(secret) })).statusCode, 200);
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(secret), payload: { name: 'x', scopes: ['campaigns'] } })).statusCode, 403);

      // Revoked from the command line while the server runs: refused on the very next request.
      const revoked = keys(dbPath, 'revoke', id!);
      assert.equal(revoked.status, 0, revoked.stderr);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/campaigns', headers: bearer(secret) })).statusCode, 401);
    } finally {
      await t.app.close();
    }
    assert.match(keys(dbPath, 'list').stdout, /\trevoked \d{4}-/);
    const again = keys(dbPath, 'revoke', id!);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /not found/);
  });

  it('bad arguments exit 2 with usage and never create a database', () => {
    const dbPath = join(dir, 'untouched', 'chorus.db');
    for (const args of [[], ['create', '--name', 'x', '--scopes', 'campaigns,root']]) {
      const res = keys(dbPath, ...args);
      assert.equal(res.status, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, /usage: npm run keys -- create/);
      assert.equal(res.stdout, '');
    }
    assert.equal(existsSync(dbPath), false);
  });

  it('parses arguments through the same schema as the API', () => {
    assert.deepEqual(parseKeysArgs(['create', '--name', ' Desk ', '--scopes', 'keys, campaigns,keys']), {
      command: 'create',
      name: 'Desk',
      scopes: ['keys', 'campaigns', 'keys'],
    });
    assert.deepEqual(parseKeysArgs(['revoke', 'key_1']), { command: 'revoke', id: 'key_1' });
    for (const args of [[], ['make'], ['create', '--name', 'x'], ['create', '--scopes', 'keys'], ['create', '--name', 'a\nb', '--scopes', 'keys'], ['create', '--name', 'x', '--scopes', 'keys', '--admin'], ['revoke'], ['revoke', 'a', 'b'], ['list', 'extra']]) {
      assert.throws(() => parseKeysArgs(args), UsageError, args.join(' '));
    }
  });
});

/** The real app on an existing database file (the CLI made it), without deleting it on close. */
async function buildTestAppAt(dbPath: string) {
  const app = await buildApp(loadConfig({ DATABASE_PATH: dbPath, WORKER: 'off', LOG_LEVEL: 'silent', DEMO: 'false', MAIL_TRANSPORT: 'log' }));
  await app.ready();
  return { app };
}
