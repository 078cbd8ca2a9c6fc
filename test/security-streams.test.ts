import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { maxStreamsPerClient } from '../src/plugins/stream-limits.js';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { readyCampaign } from './helpers/supporters.js';

describe('open event streams per client address', () => {
  let t: TestApp;
  let base: string;
  before(async () => {
    // Behind a trusted proxy, X-Forwarded-For names the client: several clients from one test.
    t = await buildTestApp({ TRUST_PROXY: 'true' });
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => t.close());

  it(`allows ${maxStreamsPerClient}; the next is a 429 problem until one of them closes`, { timeout: 30_000 }, async () => {
    const { campaign } = await readyCampaign(t.app);
    const url = `${base}/api/v1/actions/${campaign.slug}/events`;
    const controllers: AbortController[] = [];
    const open = async (client: string) => {
      const c = new AbortController();
      const res = await fetch(url, { signal: c.signal, headers: { accept: 'text/event-stream', 'x-forwarded-for': client } });
      if (res.status === 200) {
        controllers.push(c);
        // The first event has arrived: the server holds this stream.
        await res.body!.getReader().read();
      }
      return res;
    };
    try {
      for (let i = 0; i < maxStreamsPerClient; i++) assert.equal((await open('198.51.100.50')).status, 200, `stream ${i + 1}`);
      const refused = await open('198.51.100.50');
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('content-type'), 'application/problem+json');
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      assert.equal(((await refused.json()) as { status: number }).status, 429);
      assert.equal((await open('198.51.100.51')).status, 200, 'another client has its own streams');

      controllers.shift()!.abort();
      // Wait for the server to see the close (its listener goes with the stream's place).
      while (t.app.services.events.listenerCount() > maxStreamsPerClient) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal((await open('198.51.100.50')).status, 200, 'a closed stream frees its place');
      assert.equal((await open('198.51.100.50')).status, 429);
    } finally {
      for (const c of controllers) c.abort();
    }
  });
});
