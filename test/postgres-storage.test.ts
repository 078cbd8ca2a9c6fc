import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InferSelectModel, Table } from 'drizzle-orm';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { DatabaseUnavailableError, openDatabase, runMigrations, type Db } from '../src/db/client.js';
import { isPostgresMigrated, openPostgres, type Postgres } from '../src/db/postgres.js';
import type * as sqliteSchema from '../src/db/schema.js';
import type * as pgSchema from '../src/db/schema-pg.js';
import { freePort } from './helpers/pg-cluster.js';
import { freshPgDatabase, skipWithoutPostgres, type PgTestDatabase } from './helpers/postgres.js';

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const pgMigrations = (JSON.parse(readFileSync(new URL('../migrations/postgres/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] }).entries.length;

/** SQLite bookkeeping that is not part of the schema. */
const SQLITE_ONLY = ['__drizzle_migrations', '_write_probe'];

interface Column {
  name: string;
  type: string;
  notNull: boolean;
  hasDefault: boolean;
  /** Position in the primary key, 0 when not part of it. */
  pk: number;
}
interface Index {
  table: string;
  name: string;
  unique: boolean;
  columns: string[];
}
interface Schema {
  columns: Record<string, Column[]>;
  /** Every index but the primary keys', whose names differ by engine (compared as `pk` above). */
  indexes: Index[];
  /** `table.column -> table.column`. */
  foreignKeys: string[];
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

function sqliteSchemaOf(db: Db): Schema {
  const client = db.$client;
  const tables = (client.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]).filter(
    (t) => !SQLITE_ONLY.includes(t),
  );
  const columns: Schema['columns'] = {};
  const indexes: Index[] = [];
  const foreignKeys: string[] = [];
  for (const table of tables) {
    const info = client.pragma(`table_info(${table})`) as { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[];
    columns[table] = info.map((c) => ({ name: c.name, type: c.type.toLowerCase(), notNull: c.notnull === 1, hasDefault: c.dflt_value !== null, pk: c.pk })).sort(byName);
    for (const index of client.pragma(`index_list(${table})`) as { name: string; unique: number; origin: string }[]) {
      if (index.origin === 'pk') continue;
      const cols = (client.pragma(`index_info(${index.name})`) as { seqno: number; name: string }[]).sort((a, b) => a.seqno - b.seqno).map((c) => c.name);
      indexes.push({ table, name: index.name, unique: index.unique === 1, columns: cols });
    }
    for (const fk of client.pragma(`foreign_key_list(${table})`) as { table: string; from: string; to: string }[]) {
      foreignKeys.push(`${table}.${fk.from} -> ${fk.table}.${fk.to}`);
    }
  }
  return { columns, indexes: indexes.sort(byName), foreignKeys: foreignKeys.sort() };
}

async function postgresSchemaOf(pool: pg.Pool): Promise<Schema> {
  const { rows } = await pool.query<Column & { table: string }>(`
    SELECT c.table_name::text AS table, c.column_name::text AS name, c.data_type::text AS type,
           c.is_nullable = 'NO' AS "notNull", c.column_default IS NOT NULL AS "hasDefault",
           coalesce(k.ordinal_position, 0)::int AS pk
      FROM information_schema.columns c
      LEFT JOIN information_schema.table_constraints t
        ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.constraint_type = 'PRIMARY KEY'
      LEFT JOIN information_schema.key_column_usage k
        ON k.constraint_schema = t.constraint_schema AND k.constraint_name = t.constraint_name AND k.column_name = c.column_name
     WHERE c.table_schema = 'public'`);
  const columns: Schema['columns'] = {};
  for (const { table, ...column } of rows) (columns[table] ??= []).push(column);
  for (const list of Object.values(columns)) list.sort(byName);

  const indexes = await pool.query<Index>(`
    SELECT t.relname::text AS table, i.relname::text AS name, x.indisunique AS unique,
           array(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, n)
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n) AS columns
      FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_class t ON t.oid = x.indrelid
     WHERE t.relnamespace = 'public'::regnamespace AND NOT x.indisprimary`);
  const foreignKeys = await pool.query<{ fk: string }>(`
    SELECT format('%s.%s -> %s.%s', c.conrelid::regclass, a.attname, c.confrelid::regclass, r.attname) AS fk
      FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(from_attnum, to_attnum)
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.from_attnum
      JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = k.to_attnum
     WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace`);
  return { columns, indexes: indexes.rows.sort(byName), foreignKeys: foreignKeys.rows.map((r) => r.fk).sort() };
}

/** An INSERT of `row` into `table`, with `?` placeholders for SQLite or `$n` for PostgreSQL. */
function insert(table: string, row: Record<string, unknown>, engine: 'sqlite' | 'postgres'): [string, unknown[]] {
  const names = Object.keys(row);
  const marks = names.map((_, i) => (engine === 'sqlite' ? '?' : `$${i + 1}`));
  return [`INSERT INTO ${table} (${names.join(', ')}) VALUES (${marks.join(', ')})`, Object.values(row)];
}

/** The typed rows of every table, so tsc fails when the two schemas' row types drift apart. */
type RowsOf<S> = { [K in keyof S as S[K] extends Table ? K : never]: S[K] extends Table ? InferSelectModel<S[K]> : never };
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

test('typed rows of every table have the same type on both engines (checked by tsc)', () => {
  const same: Same<RowsOf<typeof sqliteSchema>, RowsOf<typeof pgSchema>> = true;
  assert.equal(same, true);
});

/** Each test says it is skipped (a skipped describe is not counted in node 20's summary). */
const needsPostgres = { skip: skipWithoutPostgres };

describe('PostgreSQL storage', () => {
  let dir: string;
  let sqlite: Db;
  let database: PgTestDatabase;
  let postgres: Postgres;

  before(async () => {
    if (skipWithoutPostgres) return;
    dir = mkdtempSync(join(tmpdir(), 'chorus-pg-storage-'));
    sqlite = openDatabase(join(dir, 'chorus.db'));
    runMigrations(sqlite);
    database = await freshPgDatabase();
    postgres = await openPostgres(database.url);
  });

  after(async () => {
    await postgres?.close();
    await database?.drop();
    sqlite?.$client.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the migrations apply to a fresh database, which then reports itself migrated', needsPostgres, async () => {
    assert.equal(await isPostgresMigrated(postgres.pool), true);
    const { rows } = await postgres.pool.query('SELECT hash FROM drizzle.__drizzle_migrations');
    assert.equal(rows.length, pgMigrations);
  });

  test('both engines have the same tables, columns (type, nullability, default), primary keys, indexes and foreign keys', needsPostgres, async () => {
    const onSqlite = sqliteSchemaOf(sqlite);
    const onPostgres = await postgresSchemaOf(postgres.pool);
    assert.deepEqual(Object.keys(onPostgres.columns).sort(), Object.keys(onSqlite.columns).sort(), 'tables');
    for (const table of Object.keys(onSqlite.columns)) {
      assert.deepEqual(onPostgres.columns[table], onSqlite.columns[table], `columns of ${table}`);
    }
    assert.deepEqual(onPostgres.indexes, onSqlite.indexes, 'indexes');
    assert.deepEqual(onPostgres.foreignKeys, onSqlite.foreignKeys, 'foreign keys');
    assert.ok(onSqlite.foreignKeys.length > 0 && onSqlite.indexes.length > 0, 'the introspection found keys and indexes at all');
  });

  test('a row written with the same values reads back as the same raw row on both engines', needsPostgres, async () => {
    const campaign = {
      id: 'cmp_same_row',
      slug: 'stop-the-extradition',
      title: 'Остановите экстрадицию пастора Максета',
      summary: 'A recognised refugee faces extradition.',
      goal: 3800,
      delivery: JSON.stringify({ mode: 'email', perTargetPerHour: 60 }),
      rules: JSON.stringify({ forbiddenPhrases: ['Open Doors'], noteMaxLength: 1000 }),
    };
    const updates = [
      { id: 'upd_1', campaign_id: campaign.id, title: 'Hearing on Monday', body: 'Write today.' },
      { id: 'upd_2', campaign_id: campaign.id, title: 'Released', body: 'Thank you.', notify: 1 },
    ];
    for (const [table, row] of [['campaigns', campaign], ...updates.map((u) => ['campaign_updates', u] as const)] as const) {
      sqlite.$client.prepare(insert(table, row, 'sqlite')[0]).run(...insert(table, row, 'sqlite')[1]);
      await postgres.pool.query(...insert(table, row, 'postgres'));
    }

    const fromSqlite = {
      campaign: sqlite.$client.prepare('SELECT * FROM campaigns WHERE id = ?').get(campaign.id) as Record<string, unknown>,
      updates: sqlite.$client.prepare('SELECT * FROM campaign_updates ORDER BY id').all() as Record<string, unknown>[],
      count: sqlite.$client.prepare('SELECT count(*) AS n FROM campaign_updates').get(),
    };
    const fromPostgres = {
      campaign: (await postgres.pool.query('SELECT * FROM campaigns WHERE id = $1', [campaign.id])).rows[0] as Record<string, unknown>,
      updates: (await postgres.pool.query('SELECT * FROM campaign_updates ORDER BY id')).rows as Record<string, unknown>[],
      count: (await postgres.pool.query('SELECT count(*) AS n FROM campaign_updates')).rows[0],
    };
    // The defaulted timestamps differ by when each insert ran; their format must not.
    for (const row of [fromSqlite.campaign, fromPostgres.campaign, ...fromSqlite.updates, ...fromPostgres.updates]) {
      for (const column of ['created_at', 'updated_at'] as const) {
        if (!(column in row)) continue;
        assert.match(String(row[column]), ISO_MS, column);
        row[column] = '(a default timestamp)';
      }
    }
    assert.deepStrictEqual(fromPostgres, fromSqlite);
    assert.deepStrictEqual(fromSqlite.count, { n: 2 }, 'count(*) is a number on both');
    assert.equal(fromSqlite.updates[0]?.notify, 0, 'booleans default to integer 0');
  });

  test('five processes opening one fresh database at once all succeed, and each migration is applied once', needsPostgres, async () => {
    const fresh = await freshPgDatabase();
    const unmigrated = new pg.Pool({ connectionString: fresh.url });
    try {
      assert.equal(await isPostgresMigrated(unmigrated), false);
      const opened = await Promise.all(Array.from({ length: 5 }, () => openPostgres(fresh.url)));
      await Promise.all(opened.map((p) => p.close()));
      const { rows } = await unmigrated.query<{ hash: string }>('SELECT hash FROM drizzle.__drizzle_migrations');
      assert.equal(rows.length, pgMigrations);
      assert.equal(new Set(rows.map((r) => r.hash)).size, pgMigrations);
      assert.equal(await isPostgresMigrated(unmigrated), true);
    } finally {
      await unmigrated.end();
      await fresh.drop();
    }
  });

  test('a server that refuses the database is one clear DatabaseUnavailableError', needsPostgres, async () => {
    const url = new URL(database.url);
    url.pathname = '/chorus_no_such_database';
    url.password = 'not-the-password-9f3';
    await assert.rejects(openPostgres(url.href), (err: Error) => {
      assert.ok(err instanceof DatabaseUnavailableError, String(err));
      assert.match(err.message, new RegExp(`^cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${url.port}: .*chorus_no_such_database.* does not exist$`));
      assert.ok(!err.message.includes('not-the-password-9f3'));
      return true;
    });
  });
});

// No PostgreSQL needed: nothing listens on the port.
test('an unreachable DATABASE_URL is a DatabaseUnavailableError: one line, host and port, no password', async () => {
  const port = await freePort();
  for (const host of ['127.0.0.1', 'localhost']) {
    await assert.rejects(openPostgres(`postgres://chorus:s3cret-pw-71@${host}:${port}/chorus`), (err: Error) => {
      assert.ok(err instanceof DatabaseUnavailableError, String(err));
      assert.ok(!err.message.includes('\n'), err.message);
      assert.ok(err.message.startsWith(`cannot connect to PostgreSQL at ${host}:${port}: `), err.message);
      assert.ok(err.message.length > `cannot connect to PostgreSQL at ${host}:${port}: `.length + 5, `a reason is given: ${err.message}`);
      assert.ok(!err.message.includes('s3cret-pw-71'), err.message);
      return true;
    });
  }
});

test('DATABASE_URL takes postgres:// and postgresql:// URLs only, without echoing the password', () => {
  assert.equal(loadConfig({ DATABASE_URL: 'postgres://chorus:pw@db.internal:5433/chorus' }).DATABASE_URL, 'postgres://chorus:pw@db.internal:5433/chorus');
  assert.equal(loadConfig({ DATABASE_URL: 'postgresql://db.internal/chorus' }).DATABASE_URL, 'postgresql://db.internal/chorus');
  assert.equal(loadConfig({}).DATABASE_URL, undefined);
  for (const bad of ['mysql://chorus:s3cret-pw-71@db/chorus', 'postgres:/s3cret-pw-71', 'db.internal:5432']) {
    assert.throws(
      () => loadConfig({ DATABASE_URL: bad }),
      (err: Error) => err.message.includes('DATABASE_URL must be a postgres:// or postgresql:// URL') && !err.message.includes('s3cret-pw-71'),
    );
  }
});
