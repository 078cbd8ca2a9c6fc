import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { jsonLines } from './helpers/json-lines.js';
import { formSession, postForm } from './helpers/pages.js';
import { parseAnswer, rawRequest } from './helpers/raw-http.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('X-Request-Id', () => {
  let t: TestApp;
  const logs = new PassThrough();
  let logged = '';
  before(async () => {
    logs.on('data', (c: Buffer) => (logged += c.toString()));
    t = await buildTestApp({ LOG_LEVEL: 'info' }, { logStream: logs });
  });
  after(() => t.close());

  it('every response carries one: successes, problems, pages, docs and the router\'s own refusals', async () => {
    for (const [url, status] of [
      ['/healthz', 200],
      ['/docs/json', 200],
      ['/api/v1/campaigns', 401],
      ['/api/v1/actions/no-such-campaign', 404],
      ['/nothing/here', 404],
      ['/c/no-such-campaign', 404],
      ['/api/v1/actions/%E0%A4%A', 400],
      [`/api/v1/actions/${'x'.repeat(200)}`, 414],
    ] as const) {
      const res = await t.app.inject({ url });
      assert.equal(res.statusCode, status, url);
      assert.match(String(res.headers['x-request-id']), uuid, url);
    }
  });

  it('a problem document carries it as `instance`, and the log lines of the request carry it too', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/campaigns', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"slug":' });
    assert.equal(res.statusCode, 400);
    const id = res.headers['x-request-id'];
    assert.equal(res.json().instance, id);
    const lines = jsonLines(logged).filter((l) => l.reqId === id);
    assert.ok(lines.some((l) => l.msg === 'request completed'), logged);
  });

  it('keeps the client\'s own id when it is 1 to 128 visible ASCII characters', async () => {
    for (const id of ['a', 'trace-4bf92f3577b34da6a3ce929d0e0e4736', 'x'.repeat(128), '!~{}"<>']) {
      const res = await t.app.inject({ url: '/api/v1/actions/none', headers: { 'x-request-id': id } });
      assert.equal(res.headers['x-request-id'], id);
      assert.equal(res.json().instance, id);
    }
  });

  it('replaces an id that is too long, empty, or not visible ASCII with a fresh one', async () => {
    for (const id of ['x'.repeat(129), '', 'two words', 'tab\there', 'caf\u00e9']) {
      const res = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': id } });
      assert.match(String(res.headers['x-request-id']), uuid, JSON.stringify(id));
    }
    // Sent twice, it is no one id.
    const raw = await rawRequest(await port(t), 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\r\nX-Request-Id: b\r\nConnection: close\r\n\r\n');
    assert.match(parseAnswer(raw).headers['x-request-id']!, uuid);
  });

  it('a request Node cannot parse is answered with one too', async () => {
    const answer = parseAnswer(await rawRequest(await port(t), 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'));
    assert.equal(answer.status, 400);
    assert.match(answer.headers['x-request-id']!, uuid);
    assert.equal(JSON.parse(answer.body).instance, answer.headers['x-request-id']);
  });
});

describe('WWW-Authenticate on every 401', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  it('no key and a wrong key on the API; a refused sign-in on the dashboard', async () => {
    const none = await t.app.inject({ url: '/api/v1/campaigns' });
    const wrong = await t.app.inject({ url: '/api/v1/campaigns', headers: { authorization: 'Bearer not-the-right-key-at-all' } });
    const { cookie, token } = await formSession(t.app, '/admin');
    const page = await postForm(t.app, '/admin/sign-in', [['_csrf', token], ['key', 'not-the-right-key-at-all']], cookie);
    for (const res of [none, wrong, page]) {
      assert.equal(res.statusCode, 401);
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="chorus"$/);
    }
    // Any other status has none.
    assert.equal((await t.app.inject({ url: '/api/v1/campaigns', headers: auth })).headers['www-authenticate'], undefined);
  });
});

/** The app listening on a free port (once), for requests inject cannot make. */
const ports = new WeakMap<TestApp, number>();
async function port(t: TestApp): Promise<number> {
  if (!ports.has(t)) {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    ports.set(t, typeof address === 'object' && address ? address.port : 0);
  }
  return ports.get(t)!;
}
