import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { demoSlugs } from '../src/demo.js';
import { ADMIN_KEY, auth, buildTestApp, createCampaign, createTarget, createTemplate, testEngine, type TestApp } from './helpers/build-app.js';
import { setDatabaseReadOnly } from './helpers/postgres.js';
import { jsonLines, listeningLine } from './helpers/json-lines.js';
import { spawnCollecting } from './helpers/spawned.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(root, 'node_modules', '.bin', 'tsx');

describe('docs and health', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  it('GET /docs serves the browsable UI', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /swagger-ui/i);
  });

  it('GET /docs/json is the OpenAPI document generated from the zod schemas', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.match(doc.openapi, /^3\./);
    // The document is plain JSON; walk it loosely.
    type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const operations = new Map<string, { path: string; method: string; op: Json }>();
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(methods)) operations.set(op.operationId, { path, method, op });
    }
    for (const id of ['createCampaign', 'listCampaigns', 'getCampaign', 'updateCampaign', 'postCampaignUpdate', 'createTarget', 'updateTarget', 'deleteTarget', 'createTemplate', 'previewLetter', 'createApiKey', 'revokeApiKey', 'liveness', 'readiness',
      'getAction', 'submitLetters', 'getCount', 'countEvents', 'confirmLetters', 'listLetters', 'exportLettersCsv', 'moderateLetter',
      'getStats', 'printLetters', 'markLettersMailed', 'exportSupporter', 'eraseSupporter']) {
      assert.ok(operations.has(id), `operationId ${id}`);
    }
    assert.deepEqual(
      [operations.get('createCampaign')!.path, operations.get('createCampaign')!.method],
      ['/api/v1/campaigns', 'post'],
    );

    // The Campaign schema is the response whitelist, with the fields and status enum of the table.
    const campaign = doc.components.schemas.Campaign;
    assert.ok(campaign, 'components.schemas.Campaign');
    for (const field of ['id', 'slug', 'title', 'summary', 'status', 'delivery', 'rules', 'createdAt']) assert.ok(campaign.properties[field], field);
    assert.deepEqual(campaign.properties.status.enum, ['draft', 'active', 'paused', 'won', 'closed']);
    const created = operations.get('createCampaign')!.op.responses['201'].content['application/json'].schema;
    assert.equal(created.$ref, '#/components/schemas/Campaign');

    // The request side comes from the same chain: strict (no unknown fields), slug pattern included.
    const body = operations.get('createCampaign')!.op.requestBody.content['application/json'].schema;
    assert.equal(body.additionalProperties, false);
    assert.ok(body.required.includes('slug'));
    assert.equal(body.properties.slug.pattern, '^[a-z0-9][a-z0-9-]{1,62}$');
    // Organizer operations declare the bearer scheme.
    assert.deepEqual(operations.get('createCampaign')!.op.security, [{ bearer: [] }]);
    assert.ok(!JSON.stringify(doc).includes('keyHash'), 'the key hash is never part of a response');
  });

  it('/healthz and /readyz answer 200 on a working database', async () => {
    for (const url of ['/healthz', '/readyz']) {
      const res = await t.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { status: 'ok' });
    }
  });

  it('/readyz is 503 when the database no longer takes writes; /healthz stays 200', async () => {
    const other = await buildTestApp();
    const url = other.dbEnv.DATABASE_URL;
    const refuseWrites = (on: boolean) => (url ? setDatabaseReadOnly(url, on) : other.app.store.sql.exec(`PRAGMA query_only = ${on ? 'ON' : 'OFF'}`));
    try {
      await refuseWrites(true);
      const res = await other.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['content-type'], 'application/problem+json');
      assert.equal((await other.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      await refuseWrites(false);
      assert.equal((await other.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready again once writes are taken');
    } finally {
      await other.close();
    }
  });
});

const running = new Set<ChildProcess>();
const limit = { timeout: 60_000 };

/** Starts the server from its sources (`tsx src/server.ts`) and collects its output. */
function startServer(env: Record<string, string>) {
  return spawnCollecting(tsx, ['src/server.ts'], { cwd: root, env: { ...process.env, ...env } }, running);
}

describe('the server process', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'chorus-server-'));
  });
  after(() => {
    // A failed assertion must not leave a server behind.
    for (const child of running) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with the demo campaigns, logs where to go, and shuts down gracefully on SIGTERM (exit 0)', limit, async () => {
    const dbPath = join(dir, 'live', 'chorus.db');
    const { child, out, exited } = startServer({
      DATABASE_PATH: dbPath,
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_API_KEY: ADMIN_KEY,
      MAIL_TRANSPORT: `file:${join(dir, 'outbox')}`,
      LOG_LEVEL: 'info',
      DEMO: 'true',
    });
    const banner = await listeningLine(child, out);
    const base = banner.url;
    assert.equal(banner.docs, `${base}/docs`);
    assert.equal(banner.dashboard, `${base}/admin`);
    assert.equal(banner.demoCampaign, `${base}/c/${demoSlugs.makset}`);

    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const list = (await (await fetch(`${base}/api/v1/campaigns`, { headers: auth })).json()) as { items: { id: string; slug: string; title: string }[] };
    const titles = list.items.map((c) => c.title);
    assert.ok(titles.includes('Stop the extradition of Pastor Makset Djabbarbergenov to Uzbekistan'), titles.join());
    assert.equal(list.items.length, 2);
    const makset = list.items.find((c) => c.slug === demoSlugs.makset)!;
    const targets = (await (await fetch(`${base}/api/v1/campaigns/${makset.id}/targets`, { headers: auth })).json()) as { items: { email: string | null }[] };
    for (const target of targets.items) if (target.email) assert.match(target.email, /@example\.[a-z]+$/, 'demo mail never reaches a real address');

    child.kill('SIGTERM');
    const { code } = await exited;
    assert.equal(code, 0, out.stderr);
    // stdout is JSON lines only, the banner included: log collectors parse every line.
    const lines = jsonLines(out.stdout);
    assert.ok(lines.some((l) => l.msg === 'seeded the demo campaigns'));
    assert.ok(lines.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'), out.stdout);
    assert.equal(out.stderr, '', out.stderr);
    // The database was closed properly: SQLite folds the write-ahead log back and removes it.
    assert.equal(existsSync(`${dbPath}-wal`), false);
    // A restart on the same file does not seed the demo a second time (SQLite-only: the file read directly).
    const db = new Database(dbPath, { readonly: true });
    assert.equal((db.prepare('SELECT count(*) AS n FROM campaigns').get() as { n: number }).n, 2);
    db.close();
  });

  it('without ADMIN_API_KEY, the start log says how to get a key (and never prints the SMTP password)', limit, async () => {
    const { child, out, exited } = startServer({
      DATABASE_PATH: join(dir, 'nokey.db'),
      PORT: '0',
      ADMIN_API_KEY: '',
      DEMO: 'false',
      WORKER: 'off',
      LOG_LEVEL: 'info',
      MAIL_TRANSPORT: 'smtp://chorus:s3cret-pass@127.0.0.1:2525',
    });
    const banner = await listeningLine(child, out);
    assert.equal(banner.mail, 'smtp://***@127.0.0.1:2525');
    assert.equal(banner.demoCampaign, undefined, 'DEMO=false seeds nothing and points at nothing');
    child.kill('SIGTERM');
    assert.equal((await exited).code, 0, out.stderr);
    const lines = jsonLines(out.stdout);
    assert.ok(lines.some((l) => /npm run keys -- create --name \S+ --scopes /.test(l.msg ?? '')), out.stdout);
    assert.doesNotMatch(out.stdout, /s3cret-pass/);
  });

  for (const [what, path] of [
    ['under /proc', '/proc/chorus-cannot-exist/chorus.db'],
    ['under a regular file', join(root, 'package.json', 'chorus.db')],
  ] as const) {
    it(`an unwritable DATABASE_PATH (${what}) exits 1 with one clear line and no stack trace`, limit, async () => {
      const { out, exited } = startServer({ DATABASE_PATH: path, PORT: '0', LOG_LEVEL: 'info' });
      const { code } = await exited;
      assert.equal(code, 1, out.stderr);
      const lines = out.stderr.trim().split('\n');
      assert.equal(lines.length, 1, out.stderr);
      assert.match(lines[0]!, /^chorus: cannot open a writable database at /);
      assert.ok(lines[0]!.includes(path));
      assert.doesNotMatch(out.stderr, /\n\s+at |Error:/);
      assert.doesNotMatch(out.stdout, /listening/);
    });
  }

  it('an unreachable DATABASE_URL exits 1 with one clear line naming host and port, never the password', limit, async () => {
    // Port 9 (discard) on the loopback: nothing listens there, so the connection is refused at once.
    const { out, exited } = startServer({ DATABASE_URL: 'postgres://chorus:s3cret-pw-9@127.0.0.1:9/chorus', PORT: '0', LOG_LEVEL: 'info' });
    assert.equal((await exited).code, 1, out.stderr);
    const lines = out.stderr.trim().split('\n');
    assert.equal(lines.length, 1, out.stderr);
    assert.match(lines[0]!, /^chorus: cannot connect to PostgreSQL at 127\.0\.0\.1:9: /);
    assert.doesNotMatch(out.stderr + out.stdout, /s3cret-pw-9/);
    assert.doesNotMatch(out.stderr, /\n\s+at |Error:/);
    assert.doesNotMatch(out.stdout, /listening/);
  });

  it('an invalid configuration exits 1 naming the variable, without a stack trace', limit, async () => {
    const { out, exited } = startServer({ DATABASE_PATH: join(dir, 'cfg.db'), PORT: 'eighty', LOG_LEVEL: 'loud' });
    assert.equal((await exited).code, 1, out.stderr);
    assert.match(out.stderr, /^chorus: Invalid configuration/, out.stderr);
    assert.match(out.stderr, /PORT/);
    assert.match(out.stderr, /LOG_LEVEL/);
    assert.doesNotMatch(out.stderr, /\n\s+at /);
  });
});

describe('npm run backup', { skip: testEngine === 'postgres' && 'SQLite only: the backup copies the database file (PostgreSQL: pg_dump)' }, () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  const backup = (...args: string[]) =>
    spawnSync('npm', ['run', '-s', 'backup', '--', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_PATH: t.dbPath },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('copies the live database (WAL included) while the app runs; the copy passes integrity_check', async () => {
    const c = await createCampaign(t.app);
    await createTarget(t.app, c.id);
    await createTemplate(t.app, c.id);
    // The newest writes are still in the write-ahead log, not yet in the main file.
    assert.ok(existsSync(`${t.dbPath}-wal`));
    const dest = join(t.dir, 'backups', 'chorus-backup.db');
    const res = backup(dest);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /integrity_check ok/);

    const copy = new Database(dest, { readonly: true });
    try {
      assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
      assert.equal(copy.pragma('journal_mode', { simple: true }), 'delete', 'a single self-contained file');
      const row = copy.prepare('SELECT slug FROM campaigns WHERE id = ?').get(c.id) as { slug: string } | undefined;
      assert.equal(row?.slug, c.slug);
      assert.equal((copy.prepare('SELECT count(*) AS n FROM templates').get() as { n: number }).n, 1);
    } finally {
      copy.close();
    }
    // The app kept working throughout.
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${c.id}`, headers: auth })).statusCode, 200);

    // Backing up again replaces the old copy atomically.
    await createCampaign(t.app);
    assert.equal(backup(dest).status, 0);
    const again = new Database(dest, { readonly: true });
    assert.equal((again.prepare('SELECT count(*) AS n FROM campaigns').get() as { n: number }).n, 2);
    again.close();
  });

  it('refuses bad arguments (exit 2) and a missing database (exit 1, one line)', () => {
    assert.equal(backup().status, 2);
    assert.equal(backup('a.db', 'b.db').status, 2);
    assert.equal(backup(t.dbPath).status, 1, 'never onto the live database itself');
    const missing = spawnSync('npm', ['run', '-s', 'backup', '--', join(t.dir, 'x.db')], {
      cwd: root,
      env: { ...process.env, DATABASE_PATH: join(t.dir, 'nothing-here.db') },
      encoding: 'utf8',
    });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^chorus backup: no database at /);
    assert.equal(existsSync(join(t.dir, 'x.db')), false);
  });
});
