import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMailer } from '../src/delivery/transport.js';
import { createWorker } from '../src/delivery/worker.js';
import { systemClock } from '../src/domain/clock.js';
import { createCounters } from '../src/domain/counters.js';
import { createLetterLifecycle } from '../src/domain/letter-lifecycle.js';
import { createWebhookEvents } from '../src/domain/webhook-events.js';
import type { Count } from '../src/schemas/letter.js';
import type { OpenedStore } from '../src/store/open.js';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { hour, manualClock, minute, queuedLetters } from './helpers/delivery.js';
import { startSmtp, type TestSmtp } from './helpers/smtp-server.js';

/** `npm run worker` beside a server at WORKER=off: its commits come from another connection. */
describe('a separate delivery worker', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let other: OpenedStore;
  const clock = manualClock();
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
    smtp = await startSmtp();
    other = await t.reopen();
  });
  after(async () => {
    await other.close();
    await smtp.close();
    await t.close();
  });

  it('moves the server\'s live counts: SSE listeners hear what another process delivered, once', async () => {
    const { campaign } = await queuedLetters(t.app, 3);
    const { events } = t.app.services;
    const heard: Count[] = [];
    // A reader publishes the count (delivered 0) for this minute; the listener has it already, as an SSE stream's first event.
    const first = (await t.app.inject({ url: `/api/v1/actions/${campaign.slug}/count` })).json() as Count;
    assert.equal(first.delivered, 0);
    const stop = events.onCount(campaign.id, (count) => heard.push(count), undefined, first);
    await events.tick(); // the other connection's write probe at open was a commit too (SQLite)
    await events.tick();
    assert.equal(heard.length, 0, 'nothing changed since');

    const mailer = createMailer({ url: smtp.url });
    const { store } = other;
    const worker = createWorker({
      store,
      mailer,
      clock: systemClock,
      lifecycle: createLetterLifecycle({ store, counters: createCounters(store.counters), webhooks: createWebhookEvents({ store, clock: systemClock }) }),
      mailFrom: 'Chorus <letters@example.org>',
      retryBaseMs: 1000,
      maxAgeMs: hour,
    });
    await worker.drain();
    mailer.close();
    assert.equal(smtp.raw.length, 3);

    // Without confirmation the public count is published at most once a minute.
    await events.tick();
    assert.equal(heard.length, 0, 'not before the next publication');
    clock.advance(minute);
    await events.tick();
    assert.deepEqual(heard.map((c) => c.delivered), [3]);
    await events.tick();
    assert.equal(heard.length, 1, 'an unchanged count is not sent again');
    stop();
  });
});
