import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { openDatabase, runMigrations, type Db } from '../src/db/client.js';
import { createStore } from '../src/store/index.js';
import { createCounters, type Counters } from '../src/domain/counters.js';
import { createGroupCommit } from '../src/store/group-commit.js';
import type { LetterMove } from '../src/domain/letter-lifecycle.js';

let dir: string;
let db: Db;
let counters: Counters;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'chorus-gc-'));
  db = openDatabase(join(dir, 'gc.db'));
  runMigrations(db);
  db.$client.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  db.$client
    .prepare(`INSERT INTO campaigns (id, slug, title, summary, delivery, rules) VALUES ('cmp_1', 'c1', 'T', 'S', '{"mode":"email"}', '{"forbiddenPhrases":[],"noteMaxLength":1000}')`)
    .run();
  counters = createCounters(createStore(db).counters);
});
after(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (k: string, v = 1) => () => db.$client.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run(k, v).changes;
const keys = () => (db.$client.prepare('SELECT k FROM t ORDER BY k').pluck().all() as string[]).join(',');

test('writes of one turn commit together, and each promise resolves once its write is visible to another connection', async () => {
  db.$client.exec('DELETE FROM t');
  const gc = createGroupCommit(db, counters, () => {});
  const other = new Database(join(dir, 'gc.db'), { readonly: true });
  const seen = await Promise.all(
    ['a', 'b', 'c'].map((k) => gc.run(insert(k)).then(() => other.prepare('SELECT count(*) FROM t WHERE k = ?').pluck().get(k))),
  );
  other.close();
  assert.deepEqual(seen, [1, 1, 1]);
});

test('a write that fails before changing anything is rejected alone', async () => {
  db.$client.exec('DELETE FROM t');
  const gc = createGroupCommit(db, counters, () => {});
  const results = await Promise.allSettled([
    gc.run(insert('a')),
    gc.run(() => {
      throw new Error('not found');
    }),
    gc.run(insert('c')),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.equal((results[1] as PromiseRejectedResult).reason.message, 'not found');
  assert.equal(keys(), 'a,c');
});

test('a write that fails after changing rows leaves none of them, and the others in its batch still commit', async () => {
  db.$client.exec('DELETE FROM t');
  const gc = createGroupCommit(db, counters, () => {});
  let attempts = 0;
  const results = await Promise.allSettled([
    gc.run(insert('a')),
    gc.run(() => {
      attempts++;
      insert('b1')();
      insert('b2')();
      throw new Error('content rule broken half-way');
    }),
    gc.run(insert('c')),
    // A constraint failure inside SQLite after an earlier write of the same item.
    gc.run(() => {
      insert('d')();
      return insert('a')();
    }),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected']);
  assert.equal(keys(), 'a,c');
  assert.equal(attempts, 2, 'the batch was replayed with a savepoint per write');
});

test('a batch is flushed as soon as it reaches its size limit', async () => {
  db.$client.exec('DELETE FROM t');
  const gc = createGroupCommit(db, counters, () => {}, 2);
  const first = gc.run(insert('a'));
  const second = gc.run(insert('b'));
  // The second write filled the batch: both are committed before the next event-loop turn.
  assert.equal(keys(), 'a,b');
  await Promise.all([first, second]);
});

test('counter changes are summed over the batch and written in its transaction; a failed write adds none', async () => {
  db.$client.exec('DELETE FROM t; DELETE FROM counters');
  const gc = createGroupCommit(db, counters, () => {});
  const value = (name: string) => counters.get('cmp_1', name);
  const results = await Promise.allSettled([
    gc.run((w) => {
      insert('a')();
      w.count('cmp_1', { letters: 1, 'country.KZ': 1 }, '2026-01-01T10:00:00.000Z');
    }),
    gc.run((w) => {
      w.count('cmp_1', { letters: 5 }, '2026-01-01T10:00:02.000Z');
      throw new Error('rejected before writing a row');
    }),
    gc.run((w) => {
      insert('c')();
      w.count('cmp_1', { letters: 1, 'country.DE': 1 }, '2026-01-01T10:00:01.000Z');
    }),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual(value('letters'), { value: 2, updatedAt: '2026-01-01T10:00:01.000Z' });
  assert.equal(value('country.KZ').value, 1);
  assert.equal(value('country.DE').value, 1);

  // The same after a replay with a savepoint per write.
  const replayed = await Promise.allSettled([
    gc.run((w) => {
      insert('d')();
      w.count('cmp_1', { letters: 1 }, '2026-01-01T11:00:00.000Z');
    }),
    gc.run((w) => {
      insert('e')();
      w.count('cmp_1', { letters: 100 }, '2026-01-01T11:00:00.000Z');
      throw new Error('failed after writing');
    }),
  ]);
  assert.deepEqual(replayed.map((r) => r.status), ['fulfilled', 'rejected']);
  assert.equal(value('letters').value, 3);
  assert.equal(keys(), 'a,c,d');
});

test('letter moves are announced once their batch has committed, and only those of writes that succeeded', async () => {
  db.$client.exec('DELETE FROM t');
  const announced: { moves: string[]; visible: number }[] = [];
  const other = new Database(join(dir, 'gc.db'), { readonly: true });
  const gc = createGroupCommit(db, counters, (moves) =>
    announced.push({ moves: moves.map((m) => m.letterId), visible: other.prepare('SELECT count(*) FROM t').pluck().get() as number }),
  );
  const move = (letterId: string): LetterMove => ({ letterId, campaignId: 'cmp_1', targetId: 'tgt_1', from: 'queued', to: 'sending' });
  const results = await Promise.allSettled([
    gc.run((w) => {
      insert('a')();
      w.moved(move('ltr_a'));
    }),
    gc.run((w) => {
      w.moved(move('ltr_b'));
      insert('b')();
      throw new Error('failed after writing');
    }),
    gc.run((w) => {
      w.moved(move('ltr_c'));
      insert('c')();
    }),
  ]);
  other.close();
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  // One announcement for the batch, after the commit (another connection already sees both rows).
  assert.deepEqual(announced, [{ moves: ['ltr_a', 'ltr_c'], visible: 2 }]);
});
