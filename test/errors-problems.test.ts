import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { bodyLimit, buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ADMIN_KEY, auth, buildTestApp, createCampaign, createTarget, type TestApp } from './helpers/build-app.js';
import { failWrites } from './helpers/storage-failure.js';

const json = { ...auth, 'content-type': 'application/json' };
const campaignBody = { slug: 'errors-test', title: 'Free Makset', summary: 'A refugee pastor.' };

/** Every problem document has the RFC 9457 members API.md promises. */
function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number) {
  assert.equal(res.statusCode, status);
  assert.equal(res.headers['content-type'], 'application/problem+json');
  const p = res.json() as Record<string, unknown>;
  assert.equal(p.status, status);
  assert.equal(typeof p.type, 'string');
  assert.equal(typeof p.title, 'string');
  assert.equal(typeof p.detail, 'string');
  return p as { type: string; title: string; status: number; detail: string; errors?: { path: string; message: string }[] };
}

describe('errors are RFC 9457 problem documents', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  const campaignCount = async () => (await t.app.inject({ method: 'GET', url: '/api/v1/campaigns?limit=500', headers: auth })).json().items.length;
  const post = (payload: string, headers: Record<string, string> = json) =>
    t.app.inject({ method: 'POST', url: '/api/v1/campaigns', headers, payload });

  it('malformed JSON is 400', async () => {
    for (const body of ['{"slug":', '{slug: "x"}', "{'a':1}", '[1,]']) {
      assertProblem(await post(body), 400);
    }
  });

  it('an unknown route is 404, with or without a key', async () => {
    const p = assertProblem(await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here' }), 404);
    assert.match(p.detail, /GET \/api\/v1\/nothing-here/);
    assertProblem(await t.app.inject({ method: 'POST', url: '/api/v1/campaigns/x/nothing', headers: auth, payload: {} }), 404);
    assertProblem(await t.app.inject({ method: 'PUT', url: '/api/v1/campaigns', headers: auth, payload: {} }), 404);
  });

  it('a body that is not JSON is 415', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      assertProblem(await post('slug=x', { ...auth, 'content-type': type }), 415);
    }
    assert.equal(await campaignCount(), 0);
  });

  it(`a body over the explicit limit (${bodyLimit} bytes) is 413 and creates nothing`, async () => {
    const big = JSON.stringify({ ...campaignBody, story: 'x'.repeat(bodyLimit) });
    const p = assertProblem(await post(big), 413);
    assert.match(p.detail, new RegExp(String(bodyLimit)));
    assert.equal(await campaignCount(), 0);
    // Just under the limit is read (and then judged on its content).
    const fits = JSON.stringify({ ...campaignBody, story: 'x'.repeat(40_000) });
    assert.equal((await post(fits)).statusCode, 201);
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/api/v1/keys/none', headers: auth })).statusCode, 404);
  });

  it('validation errors are 422 with one errors[] entry per problem', async () => {
    const p = assertProblem(await post(JSON.stringify({ slug: 'Bad Slug', summary: 42, goal: -1 })), 422);
    const paths = p.errors!.map((e) => e.path).sort();
    assert.deepEqual(paths, ['goal', 'slug', 'summary', 'title']);
    assert.ok(p.errors!.every((e) => typeof e.message === 'string' && e.message.length > 0));
  });

  it('unknown request fields are 422 naming each one, nested ones with their path', async () => {
    const p = assertProblem(
      await post(JSON.stringify({ ...campaignBody, slug: 'unknown-fields', isAdmin: true, delivery: { mode: 'email', sendVia: 'x' } })),
      422,
    );
    assert.deepEqual(p.errors!.map((e) => e.path).sort(), ['delivery.sendVia', 'isAdmin']);
    assert.ok(p.errors!.every((e) => e.message === 'is not a recognised field'));
    const q = assertProblem(await t.app.inject({ method: 'GET', url: '/api/v1/campaigns?limit=5&sort=desc', headers: auth }), 422);
    assert.deepEqual(q.errors!.map((e) => e.path), ['querystring.sort']);
  });

  it('__proto__ and constructor keys are refused (422 naming the key) and pollute nothing', async () => {
    const bodies: [string, string][] = [
      [`{"slug":"proto-1","title":"T","summary":"S","__proto__":{"polluted":true}}`, '__proto__'],
      [`{"slug":"proto-2","title":"T","summary":"S","rules":{"__proto__":{"polluted":true}}}`, '__proto__'],
      [`{"slug":"proto-3","title":"T","summary":"S","constructor":{"prototype":{"polluted":true}}}`, 'constructor'],
      [`{"slug":"proto-4","title":"T","summary":"S","constructor":"x"}`, 'constructor'],
    ];
    for (const [body, key] of bodies) {
      const p = assertProblem(await post(body), 422);
      assert.ok(p.errors!.some((e) => e.path === key), JSON.stringify(p));
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(await campaignCount(), 1);
  });

  it('an unknown id in the path is a 404 problem, an over-long one too', async () => {
    assertProblem(await t.app.inject({ method: 'GET', url: '/api/v1/campaigns/cmp_missing', headers: auth }), 404);
    assertProblem(await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${'x'.repeat(100)}`, headers: auth }), 404);
  });
});

describe('a 5xx says nothing about internals', () => {
  let t: TestApp;
  const log = new PassThrough();
  let logged = '';
  log.on('data', (chunk: Buffer) => (logged += chunk.toString()));
  before(async () => {
    t = await buildTestApp({ LOG_LEVEL: 'error' }, { logStream: log });
  });
  after(() => t.close());

  it('no stack, no SQL, no driver message in the response; the log has them, without personal values', async () => {
    const c = await createCampaign(t.app);
    // Make the storage fail underneath the running app, mid-statement, as a failing disk would.
    const repair = await failWrites(t.app.store.sql, { name: 'fail_insert', table: 'targets', before: 'INSERT', message: 'simulated storage failure' });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/campaigns/${c.id}/targets`,
      headers: auth,
      payload: { name: 'Jane Secretname', title: 'Minister', organization: 'Ministry', email: 'minister-private@example.kz' },
    });
    const p = assertProblem(res, 500);
    assert.equal(p.type, 'about:blank');
    assert.match(p.detail, /Request id: \S+/);
    for (const leak of [/select|insert|from|where/i, /targets/, /sqlite/i, /\bat \S+ \(/, /\.ts:\d+/, /simulated/]) {
      assert.doesNotMatch(res.body, leak);
    }
    const requestId = /Request id: (\S+)/.exec(p.detail)![1]!;
    assert.ok(logged.includes(requestId), 'the failure is logged under the request id');
    assert.match(logged, /simulated storage failure/);
    assert.ok(!logged.includes('minister-private@example.kz'), 'bound values never reach the log');
    assert.ok(!logged.includes('Jane Secretname'));
    await repair();
  });

  it('a missing table (a bad migration) is the same opaque 500', async () => {
    const c = await createCampaign(t.app);
    await t.app.store.sql.exec('ALTER TABLE targets RENAME TO targets_gone');
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/${c.id}/targets`, headers: auth });
    await t.app.store.sql.exec('ALTER TABLE targets_gone RENAME TO targets');
    assertProblem(res, 500);
    assert.doesNotMatch(res.body, /no such table|targets|select/i);
  });

  it('a closed database is a 500 problem too, never a crash', async () => {
    const other = await buildTestApp();
    await other.app.store.sql.close();
    const res = await other.app.inject({ method: 'GET', url: '/api/v1/campaigns', headers: auth });
    assertProblem(res, 500);
    assert.doesNotMatch(res.body, /database connection|better-sqlite3|\bat /);
    await other.close().catch(() => undefined);
  });
});

describe('Idempotency-Key', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  const count = async (table: string) => (await t.app.store.sql.value<number>(`SELECT count(*) FROM ${table}`))!;
  const postTarget = (campaignId: string, key: string, payload: object, headers = auth) =>
    t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${campaignId}/targets`, headers: { ...headers, 'idempotency-key': key }, payload });
  const target = { name: 'Mr Daulbayev', title: 'Prosecutor General', organization: 'Office', email: 'pg@example.kz' };

  it('a retry with the same key and body replays the first response and creates nothing new', async () => {
    const c = await createCampaign(t.app);
    const first = await postTarget(c.id, 'retry-1', target);
    assert.equal(first.statusCode, 201);
    const before = await count('targets');
    const again = await postTarget(c.id, 'retry-1', target);
    assert.equal(again.statusCode, 201);
    assert.equal(again.body, first.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.headers['content-type'], first.headers['content-type']);
    assert.equal(await count('targets'), before);
  });

  it('the same key with a different body is 422 and creates nothing', async () => {
    const c = await createCampaign(t.app);
    await postTarget(c.id, 'retry-2', target);
    const before = await count('targets');
    const res = await postTarget(c.id, 'retry-2', { ...target, name: 'Someone else' });
    const p = assertProblem(res, 422);
    assert.match(p.detail, /different request body/);
    assert.equal(await count('targets'), before);
  });

  it('works for campaign creation too: a replayed 201, not a 409 for the slug', async () => {
    const headers = { ...auth, 'idempotency-key': 'create-campaign-1' };
    const payload = { slug: 'idempotent-campaign', title: 'T', summary: 'S' };
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/campaigns', headers, payload });
    const second = await t.app.inject({ method: 'POST', url: '/api/v1/campaigns', headers, payload });
    assert.equal(first.statusCode, 201);
    assert.equal(second.statusCode, 201);
    assert.equal(second.json().id, first.json().id);
  });

  it('keys belong to one caller and one path', async () => {
    const c = await createCampaign(t.app);
    const other = (await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth, payload: { name: 'o', scopes: ['campaigns'] } })).json();
    const before = await count('targets');
    const mine = await postTarget(c.id, 'shared-key', target);
    const theirs = await postTarget(c.id, 'shared-key', target, { authorization: `Bearer ${other.key}` });
    assert.equal(mine.statusCode, 201);
    assert.equal(theirs.statusCode, 201);
    assert.notEqual(theirs.json().id, mine.json().id);
    assert.equal(await count('targets'), before + 2);
  });

  it('concurrent requests with one key run the handler once', async () => {
    const c = await createCampaign(t.app);
    const before = await count('targets');
    const results = await Promise.all(Array.from({ length: 5 }, () => postTarget(c.id, 'concurrent', target)));
    assert.equal(await count('targets'), before + 1);
    const created = results.filter((r) => r.statusCode === 201);
    assert.ok(created.length >= 1);
    assert.equal(new Set(created.map((r) => r.json().id)).size, 1);
    for (const r of results) if (r.statusCode !== 201) assertProblem(r, 409);
  });

  it('while the first request is still running, a second with the same key is 409 and runs nothing', async () => {
    // A handler that answers on a later event-loop turn, as the group-committed submissions do.
    const dir = mkdtempSync(join(tmpdir(), 'chorus-idem-'));
    const app = await buildApp(loadConfig({ DATABASE_PATH: join(dir, 'c.db'), ADMIN_API_KEY: ADMIN_KEY, WORKER: 'off', LOG_LEVEL: 'silent', DEMO: 'false', MAIL_TRANSPORT: 'log' }));
    let runs = 0;
    app.post('/test/slow', { config: { scope: 'campaigns' } }, async () => {
      runs++;
      await new Promise((resolve) => setImmediate(resolve));
      return { run: runs };
    });
    await app.ready();
    try {
      const send = () => app.inject({ method: 'POST', url: '/test/slow', headers: { ...auth, 'idempotency-key': 'slow-1' }, payload: { a: 1 } });
      const [first, second] = await Promise.all([send(), send()]);
      assert.equal(first.statusCode, 200);
      assertProblem(second, 409);
      assert.equal(runs, 1);
      const replay = await send();
      assert.equal(replay.statusCode, 200);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.deepEqual(replay.json(), { run: 1 });
      assert.equal(runs, 1);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failed (5xx) attempt is not kept: the retry runs again', async () => {
    const c = await createCampaign(t.app);
    await t.app.store.sql.exec('ALTER TABLE targets RENAME TO targets_gone');
    const failed = await postTarget(c.id, 'after-failure', target);
    await t.app.store.sql.exec('ALTER TABLE targets_gone RENAME TO targets');
    assert.equal(failed.statusCode, 500);
    const retry = await postTarget(c.id, 'after-failure', target);
    assert.equal(retry.statusCode, 201);
    assert.equal(retry.headers['idempotent-replayed'], undefined);
  });

  it('an unusable key is 422', async () => {
    const c = await createCampaign(t.app);
    for (const key of ['x'.repeat(256), 'has space', 'ключ']) {
      assertProblem(await postTarget(c.id, key, target), 422);
    }
    await createTarget(t.app, c.id);
  });
});
