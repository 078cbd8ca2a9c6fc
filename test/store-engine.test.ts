import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openDatabase } from '../src/db/client.js';
import { openPostgres } from '../src/db/postgres.js';
import type { AsyncSql } from '../src/store/engine/async-sql.js';
import { createPgAsyncSql } from '../src/store/engine/postgres.js';
import { createSqliteAsyncSql } from '../src/store/engine/sqlite.js';
import { isUnavailable } from '../src/store/engine/unavailable.js';
import { freePort } from './helpers/pg-cluster.js';
import { freshPgDatabase, skipWithoutPostgres, type PgTestDatabase } from './helpers/postgres.js';

/** A table of this test's own, not the app's schema: the executor knows nothing of tables. */
interface Item {
  id: number;
  name: string;
  qty: number;
}

const SCHEMA = `
  CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty INTEGER NOT NULL);
  CREATE TABLE refs (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items (id) DEFERRABLE INITIALLY DEFERRED);
  CREATE TABLE links (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items (id))`;
const INSERT = 'INSERT INTO items (id, name, qty) VALUES (?, ?, ?)';
const COUNT = 'SELECT count(*) FROM items';

interface Engine {
  sql: AsyncSql;
  /** How many items another connection sees. */
  countElsewhere(): Promise<number>;
  /** A second executor on the same database, for the tests that close one. */
  another(): Promise<AsyncSql>;
}

/** Lets a test hold a transaction open at a known point and release it later. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const names = async (sql: AsyncSql) => (await sql.all<{ name: string }>('SELECT name FROM items ORDER BY id')).map((r) => r.name);

/** What both engines must do alike. */
function sameOnBoth(engine: () => Engine) {
  let sql: AsyncSql;
  beforeEach(async () => {
    sql = engine().sql;
    await sql.exec('DELETE FROM refs; DELETE FROM links; DELETE FROM items');
  });

  describe('held inserts', () => {
    const hold = (id: number, name: string) => sql.hold(INSERT, [id, name, 5], 1);
    const holding = { holdInserts: true };

    test('go out together just before the next statement; counted as changes while held', async () => {
      await sql.transaction(async () => {
        await hold(1, 'a');
        await hold(2, 'b');
        assert.equal(sql.changes(), 2);
        assert.deepEqual(sql.heldRows(INSERT), [[1, 'a', 5], [2, 'b', 5]]);
        // A read that asks not to send them first sees the database without them.
        assert.equal(await sql.get('SELECT name FROM items WHERE id = ?', [1], { beforeHeld: true }), undefined);
        assert.deepEqual(await names(sql), ['a', 'b']);
        assert.deepEqual(sql.heldRows(INSERT), []);
        await hold(3, 'c');
      }, holding);
      // The last one went out before the commit.
      assert.deepEqual(await names(sql), ['a', 'b', 'c']);
      assert.equal(await engine().countElsewhere(), 3);
    });

    test('go out in rank order, after the rows they reference, whatever order they were held in', async () => {
      await sql.transaction(async () => {
        await sql.hold('INSERT INTO links (id, item_id) VALUES (?, ?)', [10, 1], 2);
        await hold(1, 'a');
      }, holding);
      assert.equal(Number(await sql.value('SELECT count(*) FROM links')), 1);
    });

    test('one that fails fails every later statement and the commit, and nothing of the transaction stays', async () => {
      await sql.run(INSERT, [9, 'before', 5]);
      const failed = sql.transaction(async () => {
        await hold(1, 'a');
        await hold(2, 'a'); // the same name: refused when they go out
        const err = await sql.run(INSERT, [3, 'c', 5]).catch((e: unknown) => e);
        assert.equal((err as Error).name, 'Error');
        assert.match(String(err), /held inserts failed/);
        // Caught and ignored: the next statement fails the same way, and so does the commit.
        await sql.value(COUNT).catch(() => {});
      }, holding);
      await assert.rejects(failed, /held inserts failed/);
      assert.deepEqual(await names(sql), ['before']);
    });

    test('run at once outside a holding transaction and inside a savepoint', async () => {
      await sql.transaction(async () => {
        await hold(1, 'a');
        assert.deepEqual(sql.heldRows(INSERT), []);
      });
      await sql.transaction(async () => {
        await hold(2, 'b');
        await sql.savepoint(async () => {
          // The parent's held row went out as the savepoint began; the savepoint holds nothing.
          await hold(3, 'c');
          assert.deepEqual(sql.heldRows(INSERT), []);
          assert.equal(await sql.get('SELECT name FROM items WHERE id = ?', [2], { beforeHeld: true }) !== undefined, true);
        });
      }, holding);
      await hold(4, 'd');
      assert.deepEqual(await names(sql), ['a', 'b', 'c', 'd']);
    });
  });

  test('positional placeholders bind in order', async () => {
    assert.deepEqual(await sql.run(INSERT, [1, 'a', 5]), { changes: 1 });
    assert.deepEqual(await sql.get<Item>('SELECT id, name, qty FROM items WHERE name = ? AND qty = ?', ['a', 5]), { id: 1, name: 'a', qty: 5 });
  });

  test('named placeholders bind by name, a repeated name to the same value', async () => {
    await sql.run('INSERT INTO items (id, name, qty) VALUES (@id, @name, @id)', { id: 7, name: 'seven' });
    assert.equal(await sql.value<string>('SELECT name FROM items WHERE id = @id AND qty = @id', { id: 7 }), 'seven');
    await assert.rejects(sql.get('SELECT name FROM items WHERE id = @id', {}), RangeError);
  });

  test('placeholders inside string literals, quoted identifiers and comments are left alone', async () => {
    await sql.run(INSERT, [1, 'a', 5]);
    const row = await sql.get<Record<string, unknown>>(
      `SELECT '?' AS q, 'it''s @name ?' AS s, name AS "who?" /* @x ? */ FROM items WHERE id = ? -- and ?
       AND qty = ?`,
      [1, 5],
    );
    assert.deepEqual(row, { q: '?', s: "it's @name ?", 'who?': 'a' });
    assert.deepEqual(await sql.get('SELECT \'@id?\' AS s, name FROM items WHERE id = @id', { id: 1 }), { s: '@id?', name: 'a' });
  });

  test('rows come back as the caller typed them', async () => {
    await sql.run(INSERT, [1, 'a', 5]);
    await sql.run(INSERT, [2, 'b', 6]);
    const rows = await sql.all<Item>('SELECT id, name, qty FROM items ORDER BY id');
    assert.deepEqual(rows, [
      { id: 1, name: 'a', qty: 5 },
      { id: 2, name: 'b', qty: 6 },
    ]);
    assert.equal(typeof rows[0]!.qty, 'number');
    assert.equal(await sql.value<number>(COUNT), 2);
    assert.equal(await sql.get('SELECT id FROM items WHERE id = ?', [9]), undefined);
    assert.equal(await sql.value('SELECT id FROM items WHERE id = ?', [9]), undefined);
  });

  test('run reports the rows it changed, and changes() sums them within the transaction', async () => {
    await sql.run(INSERT, [1, 'a', 5]);
    await sql.run(INSERT, [2, 'b', 5]);
    assert.deepEqual(await sql.run('UPDATE items SET qty = qty + 1 WHERE qty = ?', [5]), { changes: 2 });
    assert.equal(sql.changes(), 0, 'outside a transaction');
    const seen = await sql.transaction(async () => {
      const counts = [sql.changes()];
      await sql.run(INSERT, [3, 'c', 1]);
      counts.push(sql.changes());
      await sql.run('UPDATE items SET qty = 0 WHERE id < ?', [3]);
      counts.push(sql.changes());
      await sql
        .savepoint(async () => {
          await sql.run(INSERT, [4, 'd', 1]);
          throw new Error('undo');
        })
        .catch(() => {});
      counts.push(sql.changes());
      // The usual failed write: it changes nothing (a unique violation) and, in a savepoint, costs nothing else.
      await sql.savepoint(() => sql.run(INSERT, [5, 'a', 1])).catch(() => {});
      counts.push(sql.changes());
      return counts;
    });
    assert.deepEqual(seen, [0, 1, 3, 3, 3]);
  });

  test('a commit is visible to another connection only once it has committed', async () => {
    const inside = await sql.transaction(async () => {
      await sql.run(INSERT, [1, 'a', 5]);
      return engine().countElsewhere();
    });
    assert.equal(inside, 0);
    assert.equal(await engine().countElsewhere(), 1);
  });

  test('a transaction that throws rolls back and rejects with its error', async () => {
    const failure = new Error('render failed');
    await assert.rejects(
      sql.transaction(async () => {
        await sql.run(INSERT, [1, 'a', 5]);
        await sql.run(INSERT, [2, 'b', 5]);
        throw failure;
      }),
      (err) => err === failure,
    );
    assert.equal(await sql.value<number>(COUNT), 0);
  });

  test('a savepoint that throws undoes its own writes and the transaction goes on', async () => {
    await sql.transaction(async () => {
      await sql.run(INSERT, [1, 'a', 5]);
      await assert.rejects(
        sql.savepoint(async () => {
          await sql.run(INSERT, [2, 'b', 5]);
          await sql.run(INSERT, [3, 'a', 5]); // unique violation
        }),
      );
      // A transaction inside a transaction is a savepoint too.
      await assert.rejects(
        sql.transaction(async () => {
          await sql.run(INSERT, [4, 'd', 5]);
          throw new Error('inner');
        }),
      );
      await sql.savepoint(() => sql.run(INSERT, [5, 'e', 5]));
    });
    assert.deepEqual(await names(sql), ['a', 'e']);
  });

  test('a COMMIT that fails rolls back, rejects, and leaves the executor usable', async () => {
    await assert.rejects(
      sql.transaction(async () => {
        await sql.run(INSERT, [1, 'a', 5]);
        await sql.run('INSERT INTO refs (id, item_id) VALUES (?, ?)', [1, 99]); // checked only at COMMIT
      }),
      (err: Error & { code?: string }) => /FOREIGN|23503/.test(String(err.code)) && !isUnavailable(err),
    );
    assert.equal(await sql.value<number>(COUNT), 0);
    await sql.transaction(() => sql.run(INSERT, [2, 'b', 5]));
    assert.deepEqual(await names(sql), ['b']);
  });

  test('a statement the body did not await is refused once its transaction has ended', async () => {
    let late!: Promise<unknown>;
    await sql.transaction(async () => {
      late = delay(20).then(() => sql.run(INSERT, [1, 'late', 5]));
    });
    await assert.rejects(late, /after its transaction ended/);
    assert.equal(await sql.value<number>(COUNT), 0);
  });

  test('a statement beside an open savepoint, rather than in it, is refused', async () => {
    await sql.transaction(async () => {
      const [inner, beside] = await Promise.allSettled([
        sql.savepoint(async () => {
          await delay(10);
          await sql.run(INSERT, [1, 'inner', 5]);
        }),
        sql.run(INSERT, [2, 'beside', 5]),
      ]);
      assert.equal(inner.status, 'fulfilled');
      assert.match(String((beside as PromiseRejectedResult).reason), /beside an open savepoint/);
    });
    assert.deepEqual(await names(sql), ['inner']);
  });

  test('a constraint violation is not unavailability', async () => {
    await sql.run(INSERT, [1, 'a', 5]);
    const err = await sql.run(INSERT, [2, 'a', 5]).catch((e: unknown) => e);
    assert.ok(err instanceof Error);
    assert.equal(isUnavailable(err), false);
    assert.equal(isUnavailable(new Error('no such column: nope')), false);
  });

  test('close lets an open transaction finish, then refuses statements; twice is fine', async () => {
    const other = await engine().another();
    const held = gate();
    const tx = other.transaction(async () => {
      await other.run(INSERT, [1, 'a', 5]);
      held.open();
      await delay(20);
      await other.run(INSERT, [2, 'b', 5]);
    });
    await held.opened;
    const closed = other.close();
    await tx;
    await closed;
    await other.close();
    await assert.rejects(other.value(COUNT));
    assert.deepEqual(await names(sql), ['a', 'b']);
  });
}

describe('SQLite executor', () => {
  let dir: string;
  let client: Database.Database;
  let reader: Database.Database;
  let sql: AsyncSql;
  const engine = (): Engine => ({
    sql,
    countElsewhere: async () => reader.prepare(COUNT).pluck().get() as number,
    another: async () => createSqliteAsyncSql(openDatabase(join(dir, 'engine.db')).$client),
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chorus-engine-'));
    client = openDatabase(join(dir, 'engine.db')).$client;
    sql = createSqliteAsyncSql(client);
    await sql.exec(SCHEMA);
    reader = new Database(join(dir, 'engine.db'), { readonly: true });
  });
  after(async () => {
    reader.close();
    await sql.close();
    rmSync(dir, { recursive: true, force: true });
  });

  sameOnBoth(engine);

  test('a body that awaits only the executor runs to COMMIT without letting a macrotask in', async () => {
    await sql.run('DELETE FROM items');
    let macrotask = false;
    setImmediate(() => (macrotask = true));
    const seen = await sql.transaction(async () => {
      for (let i = 0; i < 200; i++) await sql.run(INSERT, [i, `n${i}`, i]);
      return macrotask;
    });
    assert.equal(seen, false);
  });

  test('two concurrent transactions run one after the other and never interleave', async () => {
    await sql.run('DELETE FROM items');
    const log: string[] = [];
    const body = (who: string, base: number) => async () => {
      for (let i = 0; i < 3; i++) {
        await sql.run(INSERT, [base + i, `${who}${i}`, i]);
        log.push(`${who}${i}`);
        await delay(2); // even a body that yields to the event loop keeps the connection to itself
      }
    };
    await Promise.all([sql.transaction(body('a', 0)), sql.transaction(body('b', 10))]);
    assert.deepEqual(log, ['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
  });

  test('a write outside the open transaction waits its turn and survives that transaction rolling back', async () => {
    await sql.run('DELETE FROM items');
    const held = gate();
    const order: string[] = [];
    const tx = sql.transaction(async () => {
      await sql.run(INSERT, [1, 'inside', 5]);
      held.open();
      await delay(20);
      order.push('rolling back');
      throw new Error('abandon');
    });
    await held.opened;
    const outside = sql.run(INSERT, [2, 'outside', 5]).then((r) => (order.push('outside written'), r));
    await assert.rejects(tx, /abandon/);
    assert.deepEqual(await outside, { changes: 1 });
    assert.deepEqual(order, ['rolling back', 'outside written']);
    assert.deepEqual(await names(sql), ['outside']);
  });

  test('a read outside the open transaction waits for it and never sees its uncommitted writes', async () => {
    await sql.run('DELETE FROM items');
    const held = gate();
    const tx = sql.transaction(async () => {
      await sql.run(INSERT, [1, 'uncommitted', 5]);
      held.open();
      await delay(20);
      throw new Error('abandon');
    });
    await held.opened;
    const seen = sql.value<number>(COUNT);
    await assert.rejects(tx);
    assert.equal(await seen, 0);
  });

  test('a statement that fails inside a transaction is undone alone, and the rest commits', async () => {
    await sql.run('DELETE FROM items');
    await sql.transaction(async () => {
      await sql.run(INSERT, [1, 'a', 5]);
      await assert.rejects(sql.run(INSERT, [2, 'a', 5]));
      await sql.run(INSERT, [3, 'c', 5]);
    });
    assert.deepEqual(await names(sql), ['a', 'c']);
  });

  test('a database another process holds locked is unavailable (SQLITE_BUSY)', async () => {
    const holder = new Database(join(dir, 'engine.db'));
    const impatient = new Database(join(dir, 'engine.db'));
    impatient.pragma('busy_timeout = 0');
    const other = createSqliteAsyncSql(impatient);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const err = await other.transaction(() => other.run(INSERT, [1, 'a', 5])).catch((e: unknown) => e);
      assert.equal((err as { code?: string }).code, 'SQLITE_BUSY');
      assert.equal(isUnavailable(err), true);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
      await other.close();
    }
  });
});

describe('PostgreSQL executor', { skip: skipWithoutPostgres }, () => {
  let database: PgTestDatabase;
  let sql: AsyncSql;
  let pool: pg.Pool;
  let elsewhere: pg.Pool;
  const engine = (): Engine => ({
    sql,
    countElsewhere: async () => Number((await elsewhere.query<{ n: string }>('SELECT count(*) AS n FROM items')).rows[0]!.n),
    another: async () => createPgAsyncSql(new pg.Pool({ connectionString: database.url })),
  });

  before(async () => {
    database = await freshPgDatabase();
    // The app's own way in (it also makes count(*) a number, as on SQLite); the executor then owns the pool.
    pool = (await openPostgres(database.url)).pool;
    sql = createPgAsyncSql(pool);
    await sql.exec(SCHEMA);
    elsewhere = new pg.Pool({ connectionString: database.url, max: 2 });
  });
  after(async () => {
    await elsewhere?.end();
    await sql?.close();
    await database?.drop();
  });

  sameOnBoth(engine);

  test('named placeholders next to ::casts, and each text parsed once per connection', async () => {
    const parsed = await sql.transaction(async () => {
      for (let i = 0; i < 3; i++) assert.equal(await sql.value<number>('SELECT @n::int + @n::int AS v', { n: 2 }), 4);
      return sql.value<number>("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1::int + $1::int%' AND name LIKE 'chorus\\_%'");
    });
    assert.equal(parsed, 1);
  });

  test('two concurrent transactions on different rows both commit', { timeout: 10_000 }, async () => {
    await sql.run('DELETE FROM items');
    const first = gate();
    const second = gate();
    // Each waits, mid-transaction, for the other to have written: only concurrent transactions get past.
    await Promise.all([
      sql.transaction(async () => {
        await sql.run(INSERT, [1, 'a', 5]);
        first.open();
        await second.opened;
      }),
      sql.transaction(async () => {
        await sql.run(INSERT, [2, 'b', 5]);
        second.open();
        await first.opened;
      }),
    ]);
    assert.deepEqual(await names(sql), ['a', 'b']);
  });

  test('a statement outside the transaction goes to the pool and does not see its uncommitted write', async () => {
    await sql.run('DELETE FROM items');
    const written = gate();
    const finish = gate();
    const tx = sql.transaction(async () => {
      await sql.run(INSERT, [1, 'a', 5]);
      written.open();
      await finish.opened;
    });
    await written.opened;
    assert.equal(await sql.value<number>(COUNT), 0);
    finish.open();
    await tx;
    assert.equal(await sql.value<number>(COUNT), 1);
  });

  test('a caught statement error aborts the whole transaction: it rejects and writes nothing', async () => {
    await sql.run('DELETE FROM items');
    await assert.rejects(
      sql.transaction(async () => {
        await sql.run(INSERT, [1, 'a', 5]);
        await sql.run(INSERT, [2, 'a', 5]).catch(() => {});
      }),
      /rolled back: a statement in it failed/,
    );
    assert.equal(await sql.value<number>(COUNT), 0);
    assert.equal(pool.totalCount - pool.idleCount, 0, 'every client is back in the pool');
  });

  test('a server nobody listens on is unavailable', async () => {
    const port = await freePort();
    const unreachable = createPgAsyncSql(new pg.Pool({ connectionString: `postgres://chorus@127.0.0.1:${port}/x`, connectionTimeoutMillis: 2000 }));
    try {
      for (const attempt of [unreachable.value('SELECT 1'), unreachable.transaction(() => unreachable.value('SELECT 1'))]) {
        const err = await attempt.catch((e: unknown) => e);
        assert.ok(err instanceof Error);
        assert.equal(isUnavailable(err), true, String(err));
      }
    } finally {
      await unreachable.close();
    }
  });

  test('a connection the server drops mid-transaction is unavailable, and the pool goes on with a new one', async () => {
    const err = await sql
      .transaction(async () => {
        const pid = await sql.value<number>('SELECT pg_backend_pid()');
        await elsewhere.query('SELECT pg_terminate_backend($1)', [pid]);
        await sql.value('SELECT 1');
      })
      .catch((e: unknown) => e);
    assert.ok(err instanceof Error);
    assert.equal(isUnavailable(err), true, String(err));
    assert.equal(await sql.value<number>('SELECT 1::int'), 1);
  });
});
