import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { confirmationTokens, readyCampaign, submit, supporter } from './helpers/supporters.js';
import { countEvents } from './helpers/sse.js';

describe('live count over server-sent events', () => {
  let t: TestApp;
  let base: string;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => t.close());

  it('sends the count at once, then a count event after a confirmation, from one shared ticker', { timeout: 20_000 }, async () => {
    const { campaign } = await readyCampaign(t.app);
    const controllers = [new AbortController(), new AbortController()];
    const streams = await Promise.all(
      controllers.map((c) => fetch(`${base}/api/v1/actions/${campaign.slug}/events`, { signal: c.signal, headers: { accept: 'text/event-stream' } })),
    );
    for (const s of streams) {
      assert.equal(s.status, 200);
      assert.match(s.headers.get('content-type')!, /^text\/event-stream/);
    }
    const readers = streams.map((s) => countEvents(s.body!));
    for (const r of readers) assert.equal((await r.next()).value.supporters, 0);
    assert.equal(t.app.services.events.listenerCount(), 2);

    await submit(t.app, campaign.slug, supporter('sse'));
    const token = (await confirmationTokens(t.app)).get('supportersse@example.org')!;
    assert.equal((await fetch(`${base}/api/v1/confirmations/${token}`, { method: 'POST' })).status, 200);
    for (const r of readers) {
      let event = (await r.next()).value;
      while (event.supporters === 0) event = (await r.next()).value;
      assert.equal(event.supporters, 1);
      assert.equal(event.letters, 2);
    }
    controllers.forEach((c) => c.abort());
  });

  it('answers 404 for an unknown campaign instead of opening a stream', async () => {
    const res = await fetch(`${base}/api/v1/actions/nope-nope/events`);
    assert.equal(res.status, 404);
  });
});
