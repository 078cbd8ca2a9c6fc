import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTestApp, type TestApp } from './helpers/build-app.js';
import { manualClock, queuedLetters, testWorker } from './helpers/delivery.js';
import { readyCampaign, submit, supporter } from './helpers/supporters.js';

describe('supporter mail goes before letters', () => {
  const clock = manualClock();
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
  });
  after(() => t.close());

  it('a backlog of 200 letters does not delay a confirmation mail queued after it', async () => {
    await queuedLetters(t.app, 200, { supporter: (i) => ({ email: `backlog${i}@example.org` }) });
    const { campaign } = await readyCampaign(t.app, { confirmation: 'email' });
    const jane = supporter('jane');
    assert.equal((await submit(t.app, campaign.slug, jane)).statusCode, 202);

    // Recipients in the order the worker hands messages to the transport; four at a time.
    const recipients: string[] = [];
    const worker = testWorker(t.app, clock, {
      concurrency: 4,
      mailer: {
        kind: 'log',
        async send(message) {
          recipients.push(JSON.stringify(message.to));
        },
        close() {},
      },
    });
    assert.equal(await worker.tick(), 201);
    const firstBatch = recipients.slice(0, 4).map((to) => (to.includes(jane.email) ? 'confirmation' : to.includes('prosecutor-general@example.kz') ? 'letter' : to));
    assert.deepEqual(firstBatch, ['confirmation', 'letter', 'letter', 'letter']);
  });
});
