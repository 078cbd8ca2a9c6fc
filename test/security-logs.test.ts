import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { redactUrl } from '../src/logging.js';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';

describe('log redaction of URLs', () => {
  let t: TestApp;
  const stream = new PassThrough();
  let log = '';
  stream.on('data', (chunk: Buffer) => (log += chunk.toString()));
  before(async () => {
    t = await buildTestApp({ LOG_LEVEL: 'info' }, { logStream: stream });
  });
  after(() => t.close());

  it('redacts tokens and addresses however the URL is percent-encoded', async () => {
    const token = 'Zq8secretTokenValue0123456789abcdefghijklmn';
    const urls = [
      '/api/v1/supporters/export?%65mail=jane.secret%40example.org',
      '/api/v1/supporters/export?EMAIL=jane.secret%40example.org',
      '/api/v1/supporters/export?e%6dail%5B%5D=jane.secret%40example.org',
      `/%63onfirm/${token}`,
      `/unsubscribe/${token}`,
      `/%75nsubscribe/${token}?x=1`,
      `/confirm%2F${token}`,
      `/CONFIRM/${token}`,
      `/api/v1/%63onfirmations/${token}`,
      `/api/v1/supporters/export?%ZZ&%65mail=jane.secret%40example.org&%E0%A4%A`,
    ];
    for (const url of urls) {
      const res = await t.app.inject({ method: 'GET', url, headers: auth });
      assert.ok(res.statusCode < 500, `${url}: ${res.statusCode}`);
    }
    assert.ok(log.includes('"url"'), 'request URLs are logged');
    for (const secret of [token, 'jane.secret', 'jane%2Esecret']) assert.ok(!log.includes(secret), `log contains ${secret}:\n${log}`);
  });

  it('never throws on a malformed escape, and keeps what it cannot decode', () => {
    assert.equal(redactUrl('/c/demo?x=%E0%A4%A&y=%'), '/c/demo?x=%E0%A4%A&y=%');
    assert.equal(redactUrl('/c/%ZZdemo%E2%82%AC'), '/c/%ZZdemo€');
    assert.equal(redactUrl('/api/v1/supporters/export?%65mail=%FFa%40b.org'), '/api/v1/supporters/export?email=[redacted]');
  });
});
