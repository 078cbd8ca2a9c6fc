import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { auth, buildTestApp, type TestApp } from './helpers/build-app.js';
import { hour, manualClock } from './helpers/delivery.js';
import { postForm } from './helpers/pages.js';
import { confirmationTokens, readyCampaign, submit } from './helpers/supporters.js';

// Red-team finding 4: after erasure the mail caps kept an unsalted hash of the address (never
// swept), the WAL and free pages kept copies of name, address and note, and stored idempotent
// responses kept name and note.

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const day = 24 * hour;

const person = {
  name: 'Zhanar Erasova-Qx',
  email: 'zhanar.erasova@example.org',
  city: 'Zhanakorgan',
  country: 'KZ',
  note: 'Pomegranate lighthouse 7731 remembers Pastor Makset.',
};
const needles = [person.name, person.email, person.city, 'Pomegranate lighthouse 7731'];

/** Every needle found in the bytes of the database file and its WAL, and in every row of every table. */
async function traces(t: TestApp): Promise<string[]> {
  const found: string[] = [];
  const { sql } = t.app.store;
  // SQLite-only: the file and its WAL (PostgreSQL keeps erased rows as dead tuples until VACUUM).
  for (const file of sql.dialect === 'sqlite' ? [t.dbPath, `${t.dbPath}-wal`] : []) {
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    for (const n of needles) if (bytes.includes(Buffer.from(n, 'utf8'))) found.push(`${n} in ${file.slice(t.dir.length)}`);
  }
  const tables = await sql.all<{ name: string }>(
    sql.dialect === 'sqlite' ? "SELECT name FROM sqlite_master WHERE type = 'table'" : "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
  );
  for (const { name } of tables) {
    const rows = JSON.stringify(await sql.all(`SELECT * FROM "${name}"`));
    for (const n of needles) if (rows.includes(n)) found.push(`${n} in table ${name}`);
  }
  return found;
}

describe('erasure leaves no trace', () => {
  let t: TestApp;
  const clock = manualClock();
  before(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
  });
  after(() => t.close());

  it('after DELETE /api/v1/supporters, no table, stored response, mail cap, WAL or free page holds the name, address or note', async () => {
    const { campaign } = await readyCampaign(t.app, { rules: { forbiddenPhrases: ['Open Doors'], noteMaxLength: 1000 } });
    const other = await readyCampaign(t.app, { confirmation: 'none' });
    const key = (k: string) => ({ 'idempotency-key': k });

    assert.equal((await submit(t.app, campaign.slug, person, key('sign'))).statusCode, 202);
    // The form keeps what was typed next to the refusal; the preview echoes name and note.
    const refused = await postForm(t.app, `/c/${campaign.slug}`, [...Object.entries(person), ['note', `${person.note} Open Doors`]], '', key('form'));
    assert.equal(refused.statusCode, 422);
    assert.ok(refused.body.includes(person.name));
    const preview = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${campaign.slug}/preview`, headers: key('preview'), payload: { supporter: { name: person.name, city: person.city, country: person.country, note: person.note } } });
    assert.equal(preview.statusCode, 200);
    assert.ok(preview.body.includes(person.note));
    const token = (await confirmationTokens(t.app)).get(person.email)!;
    assert.equal((await t.app.inject({ method: 'POST', url: `/confirm/${token}`, headers: key('confirm') })).statusCode, 200);
    assert.equal((await submit(t.app, other.campaign.slug, person)).statusCode, 202);
    assert.equal((await submit(t.app, other.campaign.slug, person)).statusCode, 202, 'a duplicate: a notice mail, capped');
    await t.app.delivery.worker.drain();

    const caps = (await t.app.store.sql.all<{ key: string }>('SELECT address_key AS key FROM mail_caps')).map((r) => r.key);
    assert.ok(caps.length >= 2, 'a confirmation bucket and a notice bucket');
    for (const plain of [sha256(person.email), sha256(`addr:${person.email}`)]) assert.ok(!caps.includes(plain), 'caps are keyed, not a bare hash of the address');
    assert.ok((await traces(t)).length > 0, 'the person is in the database before erasure');

    const erased = await t.app.inject({ method: 'DELETE', url: `/api/v1/supporters?email=${encodeURIComponent(person.email)}`, headers: auth });
    assert.equal(erased.statusCode, 204);
    assert.deepEqual(await traces(t), []);
    assert.equal(await t.app.store.sql.value('SELECT count(*) FROM mail_caps'), 0, "the address's buckets are gone");
    // Replays of what stayed stored still work; what echoed the person is simply run again.
    assert.equal((await submit(t.app, campaign.slug, person, key('sign'))).headers['idempotent-replayed'], 'true');
    const again = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${campaign.slug}/preview`, headers: key('preview'), payload: { supporter: { name: 'Someone' } } });
    assert.equal(again.statusCode, 200, 'a preview is not stored, so its key holds no body to compare');
    assert.equal(again.headers['idempotent-replayed'], undefined);
  });

  it('sweeps mail-cap buckets older than two days in the hourly job', async () => {
    const { campaign } = await readyCampaign(t.app);
    await submit(t.app, campaign.slug, { ...person, email: 'sweep@example.org' });
    const buckets = () => t.app.store.sql.value('SELECT count(*) FROM mail_caps');
    assert.equal(await buckets(), 1);
    clock.advance(2 * day);
    await t.app.services.supporters.applyRetention();
    assert.equal(await buckets(), 1, "yesterday's and the day before's buckets still cap");
    clock.advance(day);
    await t.app.services.supporters.applyRetention();
    assert.equal(await buckets(), 0);
  });

  it('keys mail caps per installation: the same address gets another key elsewhere', async () => {
    const elsewhere = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '1000' }, { clock });
    try {
      const keyOf = async (app: TestApp) => {
        const { campaign } = await readyCampaign(app.app);
        await submit(app.app, campaign.slug, { ...person, email: 'twice@example.org' });
        return app.app.store.sql.value<string>("SELECT address_key FROM mail_caps WHERE bucket LIKE 'confirm:%'");
      };
      assert.notEqual(await keyOf(t), await keyOf(elsewhere));
    } finally {
      await elsewhere.close();
    }
  });
});
