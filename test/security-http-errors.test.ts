import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { parseAnswer, rawRequest } from './helpers/raw-http.js';
import { readyCampaign } from './helpers/supporters.js';

const assertProblem = (answer: string, status: number) => {
  const res = parseAnswer(answer);
  assert.equal(res.status, status, answer);
  assert.equal(res.headers['content-type'], 'application/problem+json', answer);
  // A chunked body would need decoding; these answers are whole documents.
  const problem = JSON.parse(res.body) as { type: string; title: string; status: number };
  assert.equal(problem.status, status);
  assert.equal(problem.type, 'about:blank');
  assert.ok(problem.title);
  return problem;
};

describe('errors Fastify and Node answer before any route are problem documents too', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await buildTestApp();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as { port: number }).port;
  });
  after(() => t.close());

  it('400 for a path that is not a valid URL', async () => {
    assertProblem(await rawRequest(port, 'GET /c/%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'), 400);
    assertProblem(await rawRequest(port, 'GET /api/v1/actions/%E0%A4%A/count HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'), 400);
  });

  it('414 for a path parameter longer than the router takes', async () => {
    assertProblem(await rawRequest(port, `GET /c/${'a'.repeat(500)} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`), 414);
  });

  it('431 for headers larger than Node takes', async () => {
    assertProblem(await rawRequest(port, `GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(64 * 1024)}\r\n\r\n`), 431);
  });

  it('400 for a request Node cannot parse', async () => {
    assertProblem(await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n'), 400);
    assertProblem(await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'), 400);
  });
});

describe('a malformed chunked body', () => {
  let t: TestApp;
  let port: number;
  let log = '';
  before(async () => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => (log += chunk.toString()));
    t = await buildTestApp({ LOG_LEVEL: 'info', RATE_LIMIT_PER_MINUTE: '1000' }, { logStream: stream });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as { port: number }).port;
  });
  after(() => t.close());

  it('gets a 400 problem; the request, already routed when its socket is gone, logs no error and no stack', async () => {
    const { campaign } = await readyCampaign(t.app);
    const broken = (path: string, extra = '') =>
      `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n${extra}\r\nzz\r\n{}\r\n0\r\n\r\n`;
    for (const request of [
      broken(`/api/v1/actions/${campaign.slug}/letters`),
      broken(`/c/${campaign.slug}`),
      broken(`/api/v1/confirmations/${'x'.repeat(43)}`),
      broken('/api/v1/campaigns', 'Authorization: Bearer chorus_wrong-key-000000000000000000\r\n'),
    ]) {
      assertProblem(await rawRequest(port, request), 400);
    }
    // The broken requests were handled in the turns right after their bytes were read; a
    // request on a new connection, answered and logged, comes after all of that.
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    await new Promise((resolve) => setImmediate(resolve));
    const lines = log.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
    assert.ok(lines.some((l) => l.msg === 'request completed'), 'the log is read');
    assert.deepEqual(lines.filter((l) => l.level >= 40), [], 'no warning or error');
    assert.ok(!log.includes('stack'), log);
  });
});
