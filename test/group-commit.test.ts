import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Counters } from '../src/domain/counters.js';
import type { LetterMove } from '../src/domain/letter-lifecycle.js';
import type { AsyncSql } from '../src/store/engine/async-sql.js';
import { createGroupCommit } from '../src/store/group-commit.js';
import type { OpenedStore } from '../src/store/open.js';
import { buildTestApp, createCampaign, type TestApp } from './helpers/build-app.js';

let t: TestApp;
let sql: AsyncSql;
let counters: Counters;
let campaignId: string;
/** Another connection, as another process has: it sees only what has committed. */
let other: OpenedStore;

before(async () => {
  t = await buildTestApp();
  ({ sql } = t.app.store);
  counters = t.app.services.counters;
  await sql.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  campaignId = (await createCampaign(t.app)).id;
  other = await t.reopen();
});
after(async () => {
  await other.close();
  await t.close();
});

const insert = (k: string, v = 1) => async () => (await sql.run('INSERT INTO t (k, v) VALUES (?, ?)', [k, v])).changes;
const move = (letterId: string): LetterMove => ({ letterId, campaignId, targetId: 'tgt_1', from: 'queued', to: 'sending' });
/** The lifecycle's side of a batch: its moves announced after the commit, nothing queued before it. */
const lifecycleOf = (announce: (moves: LetterMove[]) => unknown) => ({ announce: (moves: LetterMove[]) => void announce(moves), committing: async () => {} });
const keys = async () => (await sql.all<{ k: string }>('SELECT k FROM t ORDER BY k')).map((r) => r.k).join(',');

test('writes of one turn commit together, and each promise resolves once its write is visible to another connection', async () => {
  await sql.exec('DELETE FROM t');
  const gc = createGroupCommit(sql, counters, lifecycleOf(() => {}));
  const seen = await Promise.all(
    ['a', 'b', 'c'].map((k) => gc.run(insert(k)).then(() => other.store.sql.value('SELECT count(*) FROM t WHERE k = ?', [k]))),
  );
  assert.deepEqual(seen, [1, 1, 1]);
});

test('a write that fails before changing anything is rejected alone', async () => {
  await sql.exec('DELETE FROM t');
  const gc = createGroupCommit(sql, counters, lifecycleOf(() => {}));
  const results = await Promise.allSettled([
    gc.run(insert('a')),
    gc.run(() => {
      throw new Error('not found');
    }),
    gc.run(insert('c')),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.equal((results[1] as PromiseRejectedResult).reason.message, 'not found');
  assert.equal(await keys(), 'a,c');
});

test('a write that fails after changing rows leaves none of them, and the others in its batch still commit', async () => {
  await sql.exec('DELETE FROM t');
  const gc = createGroupCommit(sql, counters, lifecycleOf(() => {}));
  let attempts = 0;
  const results = await Promise.allSettled([
    gc.run(insert('a')),
    gc.run(async () => {
      attempts++;
      await insert('b1')();
      await insert('b2')();
      throw new Error('content rule broken half-way');
    }),
    gc.run(insert('c')),
    // A constraint failure inside the database after an earlier write of the same item.
    gc.run(async () => {
      await insert('d')();
      return insert('a')();
    }),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected']);
  assert.equal(await keys(), 'a,c');
  assert.equal(attempts, 2, 'the batch was replayed with a savepoint per write');
});

test('a batch is flushed as soon as it reaches its size limit', async () => {
  await sql.exec('DELETE FROM t');
  const batches: string[] = [];
  const gc = createGroupCommit(sql, counters, lifecycleOf((moves) => batches.push(moves.map((m) => m.letterId).join(','))), 2);
  const write = (k: string) =>
    gc.run(async (w) => {
      await insert(k)();
      w.moved(move(`ltr_${k}`));
    });
  // Three writes in one turn: the second fills the batch, which goes at once; the third waits for the next turn.
  await Promise.all([write('a'), write('b'), write('c')]);
  assert.deepEqual(batches.sort(), ['ltr_a,ltr_b', 'ltr_c']);
  assert.equal(await keys(), 'a,b,c');
});

test('counter changes are summed over the batch and written in its transaction; a failed write adds none', async () => {
  await sql.exec('DELETE FROM t');
  await sql.run('DELETE FROM counters WHERE campaign_id = ?', [campaignId]);
  const gc = createGroupCommit(sql, counters, lifecycleOf(() => {}));
  const value = (name: string) => counters.get(campaignId, name);
  const results = await Promise.allSettled([
    gc.run(async (w) => {
      await insert('a')();
      w.count(campaignId, { letters: 1, 'country.KZ': 1 }, '2026-01-01T10:00:00.000Z');
    }),
    gc.run((w) => {
      w.count(campaignId, { letters: 5 }, '2026-01-01T10:00:02.000Z');
      throw new Error('rejected before writing a row');
    }),
    gc.run(async (w) => {
      await insert('c')();
      w.count(campaignId, { letters: 1, 'country.DE': 1 }, '2026-01-01T10:00:01.000Z');
    }),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual(await value('letters'), { value: 2, updatedAt: '2026-01-01T10:00:01.000Z' });
  assert.equal((await value('country.KZ')).value, 1);
  assert.equal((await value('country.DE')).value, 1);

  // The same after a replay with a savepoint per write.
  const replayed = await Promise.allSettled([
    gc.run(async (w) => {
      await insert('d')();
      w.count(campaignId, { letters: 1 }, '2026-01-01T11:00:00.000Z');
    }),
    gc.run(async (w) => {
      await insert('e')();
      w.count(campaignId, { letters: 100 }, '2026-01-01T11:00:00.000Z');
      throw new Error('failed after writing');
    }),
  ]);
  assert.deepEqual(replayed.map((r) => r.status), ['fulfilled', 'rejected']);
  assert.equal((await value('letters')).value, 3);
  assert.equal(await keys(), 'a,c,d');
});

test('letter moves are announced once their batch has committed, and only those of writes that succeeded', async () => {
  await sql.exec('DELETE FROM t');
  // What another connection sees is asked at the moment of the announcement.
  const announced: { moves: string[]; visible: Promise<unknown> }[] = [];
  const gc = createGroupCommit(
    sql,
    counters,
    lifecycleOf((moves) => announced.push({ moves: moves.map((m) => m.letterId), visible: other.store.sql.value('SELECT count(*) FROM t') })),
  );
  const results = await Promise.allSettled([
    gc.run(async (w) => {
      await insert('a')();
      w.moved(move('ltr_a'));
    }),
    gc.run(async (w) => {
      w.moved(move('ltr_b'));
      await insert('b')();
      throw new Error('failed after writing');
    }),
    gc.run(async (w) => {
      w.moved(move('ltr_c'));
      await insert('c')();
    }),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  // One announcement for the batch, after the commit (another connection already sees both rows).
  assert.deepEqual(await Promise.all(announced.map(async (a) => ({ moves: a.moves, visible: await a.visible }))), [{ moves: ['ltr_a', 'ltr_c'], visible: 2 }]);
});

const hold = (k: string, v = 1) => async () => sql.hold('INSERT INTO t (k, v) VALUES (?, ?)', [k, v], 0);

test('held inserts of a batch go out together; one that fails when they are sent is rejected alone after a replay', async () => {
  await sql.exec('DELETE FROM t');
  const gc = createGroupCommit(sql, counters, lifecycleOf(() => {}));
  let attempts = 0;
  const results = await Promise.allSettled([
    gc.run(hold('a')),
    gc.run(async () => {
      attempts++;
      await hold('b')();
      // The first pass holds the row: the write cannot see it fail.
      assert.deepEqual(sql.heldRows('INSERT INTO t (k, v) VALUES (?, ?)').length > 0, attempts === 1);
    }),
    // The same key as the first write: refused only when the held rows go out together.
    gc.run(hold('a', 2)),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected']);
  assert.equal(attempts, 2, 'the batch was replayed with a savepoint per write');
  assert.equal(await keys(), 'a,b');
  assert.equal(await sql.value('SELECT v FROM t WHERE k = ?', ['a']), 1);
});

test('writes arriving while a batch commits wait for it and go together in the next one', async () => {
  await sql.exec('DELETE FROM t');
  const batches: string[] = [];
  const gc = createGroupCommit(sql, counters, lifecycleOf((moves) => batches.push(moves.map((m) => m.letterId).join(','))));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const write = (k: string, wait?: Promise<void>) =>
    gc.run(async (w) => {
      await insert(k)();
      w.moved(move(`ltr_${k}`));
      if (wait) await wait; // keeps this batch's transaction open
    });
  const first = write('a', released);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  // Two writes in two different turns while the first batch is still open.
  const second = write('b');
  await new Promise((resolve) => setImmediate(resolve));
  const third = write('c');
  await new Promise((resolve) => setImmediate(resolve));
  release();
  await Promise.all([first, second, third]);
  assert.deepEqual(batches, ['ltr_a', 'ltr_b,ltr_c']);
  assert.equal(await keys(), 'a,b,c');
});

test('a supporter written after a look-ahead found none is found when the batch is replayed, and written once', async () => {
  const { supporters } = t.app.store;
  const key = 'late-signer@example.org';
  const row = (id: string) => ({
    id, campaignId, emailKey: key, email: key, name: 'Late Signer', city: null, country: 'DE',
    consentUpdates: false, consentAt: null, ip: null, countedAt: null, createdAt: '2026-03-01T10:00:00.000Z',
  });
  const ahead = await supporters.lookAhead(campaignId, key);
  assert.equal(ahead, null);
  // Another request writes the same address between the look-ahead and the batch.
  await supporters.insert(row('sup_late_first'));
  const gc = createGroupCommit(sql, counters, lifecycleOf(() => {}));
  const seen: (string | null)[] = [];
  const found = await gc.run(async () => {
    const s = await supporters.byKey(campaignId, key, ahead);
    seen.push(s?.id ?? null);
    if (!s) await supporters.insert(row('sup_late_second'));
    return s?.id;
  });
  assert.deepEqual(seen, [null, 'sup_late_first'], 'trusted the look-ahead, then read on the replay');
  assert.equal(found, 'sup_late_first');
  assert.equal(Number(await sql.value('SELECT count(*) FROM supporters WHERE email_key = ?', [key])), 1);
});

test('isolated, a write refused on a unique key is tried once more, and then finds the row it raced with', async () => {
  await sql.exec('DELETE FROM t');
  await sql.run("INSERT INTO t (k, v) VALUES ('taken', 1)");
  const gc = createGroupCommit(sql, counters, lifecycleOf(() => {}));
  let calls = 0;
  const results = await Promise.allSettled([
    // As a request that did not see a row another transaction was committing: its insert is refused.
    gc.run(async () => {
      calls++;
      if (calls <= 2) return insert('taken')();
      return 'found';
    }),
    // Fails after writing, so the batch is replayed isolated.
    gc.run(async () => {
      await insert('x')();
      throw new Error('failed half-way');
    }),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected']);
  assert.equal((results[0] as PromiseFulfilledResult<unknown>).value, 'found');
  assert.equal(calls, 3, 'first pass, then the isolated try and one more');
  assert.equal(await keys(), 'taken');
});
