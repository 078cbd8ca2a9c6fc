import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTestApp, testEngine, type TestApp } from './helpers/build-app.js';
import { setDatabaseReachable } from './helpers/postgres.js';
import { readyCampaign, submit, supporter, tableCounts } from './helpers/supporters.js';

// The SQLite file cannot go away under an open connection the same way; its read-only case is in server-process.test.ts.
describe('PostgreSQL going away mid-run', { skip: testEngine !== 'postgres' && 'PostgreSQL pass only' }, () => {
  let t: TestApp;
  let url: string;
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' });
    url = t.dbEnv.DATABASE_URL!;
  });
  after(async () => {
    await setDatabaseReachable(url, true);
    await t.close();
  });

  it('makes /readyz fail and requests answer 503 problems; once it is back, nothing half-written remains and work goes on', async () => {
    const { campaign } = await readyCampaign(t.app);
    assert.equal((await submit(t.app, campaign.slug, supporter(1))).statusCode, 202);
    const before = await tableCounts(t.app);

    await setDatabaseReachable(url, false);
    const ready = await t.app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.headers['content-type'], 'application/problem+json');
    const refused = await submit(t.app, campaign.slug, supporter(2));
    assert.equal(refused.statusCode, 503, refused.body);
    assert.equal(refused.headers['content-type'], 'application/problem+json');
    assert.ok(Number(refused.headers['retry-after']) > 0, 'says when to come back');
    assert.doesNotMatch(refused.body, /ALLOW_CONNECTIONS|postgres|password|SELECT|INSERT/i, 'no internals in the answer');
    assert.equal((await t.app.inject({ url: '/healthz' })).statusCode, 200, 'the process itself is alive');

    await setDatabaseReachable(url, true);
    assert.equal((await t.app.inject({ url: '/readyz' })).statusCode, 200);
    assert.deepEqual(await tableCounts(t.app), before, 'the refused submission left no row behind');
    assert.equal((await submit(t.app, campaign.slug, supporter(2))).statusCode, 202, 'the same supporter can sign now');
  });
});
