/**
 * `npx tsx bench/engine.ts [postgres://…]`: what the async storage executor costs per
 * statement next to today's synchronous one, and what PostgreSQL costs on this box. Times
 * 100,000 single-row inserts (256 per transaction) and 100,000 primary-key reads (one at a
 * time, in a shuffled order) through
 *   - the synchronous SQLite executor (src/store/sql.ts) inside writeTx, as the app runs today,
 *   - the async SQLite executor, the same SQL, the same file settings (WAL, synchronous=FULL),
 *   - the PostgreSQL executor: on the URL given, or on a throwaway cluster on 127.0.0.1
 *     (test/helpers/pg-cluster.ts, which runs with fsync=off: its commits do not wait for the disk).
 * Bounded: fixed counts, a temp directory, the cluster stopped at the end. Not a test.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Db } from '../src/db/client.js';
import type { AsyncSql } from '../src/store/engine/async-sql.js';
import { createPgAsyncSql } from '../src/store/engine/postgres.js';
import { createSqliteAsyncSql } from '../src/store/engine/sqlite.js';
import { createSqliteSql, type Sql } from '../src/store/sql.js';
import { postgresBinDir, startPgCluster, type PgCluster } from '../test/helpers/pg-cluster.js';

/** The synchronous executor's write transaction, as the app ran before storage went async: BEGIN IMMEDIATE. */
function writeTx<T>(db: Db, fn: () => T): T {
  return db.$client.transaction(fn).immediate();
}

const N = 100_000;
const BATCH = 256;
const IN_FLIGHT = 16;
/** A name of its own, so a run against a given server touches no table of anyone else's. */
const TABLE = `bench_engine_${randomBytes(4).toString('hex')}`;
const CREATE = `CREATE TABLE ${TABLE} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL)`;
const INSERT = `INSERT INTO ${TABLE} (id, name, qty) VALUES (?, ?, ?)`;
const READ = `SELECT id, name, qty FROM ${TABLE} WHERE id = ?`;

/** Every id once, in an order that defeats any sequential-access luck (fixed seed: same order every run). */
const order = (() => {
  const ids = Array.from({ length: N }, (_, i) => i + 1);
  let seed = 42;
  for (let i = ids.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = seed % (i + 1);
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  return ids;
})();
const row = (id: number) => [id, `name ${id}`, id % 97];

/** µs per operation of n operations. */
async function time(n: number, work: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1000 / n;
}

const ROUNDS = 3;

function insertSync(db: Db, sql: Sql, table: string): Promise<number> {
  const insert = INSERT.replace(TABLE, table);
  return time(N, () => {
    for (let first = 1; first <= N; first += BATCH) {
      writeTx(db, () => {
        for (let id = first; id < first + BATCH && id <= N; id++) sql.run(insert, row(id));
      });
    }
  });
}

function insertAsync(sql: AsyncSql, table: string): Promise<number> {
  const insert = INSERT.replace(TABLE, table);
  return time(N, async () => {
    for (let first = 1; first <= N; first += BATCH) {
      await sql.transaction(async () => {
        for (let id = first; id < first + BATCH && id <= N; id++) await sql.run(insert, row(id));
      });
    }
  });
}

const readSync = (sql: Sql) =>
  time(N, () => {
    for (const id of order) sql.get(READ, [id]);
  });

const readAsync = (sql: AsyncSql) =>
  time(N, async () => {
    for (const id of order) await sql.get(READ, [id]);
  });

/** IN_FLIGHT readers sharing the ids: what a server with many requests at once sees. */
const readConcurrently = (sql: AsyncSql) =>
  time(N, async () => {
    let next = 0;
    const reader = async () => {
      while (next < N) await sql.get(READ, [order[next++]]);
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, reader));
  });

/**
 * IN_FLIGHT readers while a writer commits BATCH-row transactions back to back: reads from
 * outside the open transaction wait for its COMMIT, and this is what that costs them.
 */
async function readsBesideWriter(sql: AsyncSql, table: string) {
  let writing = true;
  let reads = 0;
  let longestMs = 0;
  const start = performance.now();
  const writer = insertAsync(sql, table).finally(() => (writing = false));
  const reader = async (from: number) => {
    for (let i = from; writing; i++) {
      const t0 = performance.now();
      await sql.get(READ, [order[i % N]]);
      longestMs = Math.max(longestMs, performance.now() - t0);
      reads++;
    }
  };
  const [insertUs] = await Promise.all([writer, ...Array.from({ length: IN_FLIGHT }, (_, k) => reader(k * 5_000))]);
  return { insertUs, readUs: ((performance.now() - start) * 1000) / reads, longestMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (us: number) => `${us.toFixed(2).padStart(6)} µs/op`;
const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);

/** Sync and async alternate, ROUNDS times, each insert round into a fresh table; medians are printed. */
async function sqlite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-bench-engine-'));
  try {
    const db = openDatabase(join(dir, 'engine.db'));
    const sync = createSqliteSql(db.$client);
    const async = createSqliteAsyncSql(db.$client);
    const fresh = (name: string) => (sync.exec(CREATE.replace(TABLE, name)), name);
    await insertSync(db, sync, fresh(TABLE)); // the table every read round reads
    for (const id of order.slice(0, 10_000)) sync.get(READ, [id]); // warm-up, both paths
    for (const id of order.slice(0, 10_000)) await async.get(READ, [id]);
    // Before any transaction: no AsyncLocalStorage has been entered in this process yet. From
    // the first AsyncLocalStorage.run on, Node 20 runs a hook on every promise the process creates.
    const asyncReadBefore = await readAsync(async);

    const t = { syncInsert: [] as number[], asyncInsert: [] as number[], syncRead: [] as number[], asyncRead: [] as number[], asyncReadConcurrent: [] as number[] };
    const beside = await readsBesideWriter(async, fresh(`${TABLE}_mixed`));
    for (let round = 0; round < ROUNDS; round++) {
      t.syncInsert.push(await insertSync(db, sync, fresh(`${TABLE}_s${round}`)));
      t.asyncInsert.push(await insertAsync(async, fresh(`${TABLE}_a${round}`)));
      t.syncRead.push(await readSync(sync));
      t.asyncRead.push(await readAsync(async));
      t.asyncReadConcurrent.push(await readConcurrently(async));
    }
    console.log(`SQLite (WAL, synchronous=FULL, one connection), ${N} rows, median of ${ROUNDS} alternating rounds`);
    console.log(`  insert, ${BATCH} per transaction   sync ${fmt(median(t.syncInsert))}   async ${fmt(median(t.asyncInsert))}   async/sync ${ratio(t.asyncInsert, t.syncInsert)}`);
    console.log(`  primary-key read                sync ${fmt(median(t.syncRead))}   async ${fmt(median(t.asyncRead))}   async/sync ${ratio(t.asyncRead, t.syncRead)}`);
    console.log(`    async read before any AsyncLocalStorage was entered  ${fmt(asyncReadBefore)} (one round)`);
    console.log(`    async read, ${IN_FLIGHT} in flight                        ${fmt(median(t.asyncReadConcurrent))}`);
    console.log(
      `    async read, ${IN_FLIGHT} in flight beside a writer's back-to-back transactions ${fmt(beside.readUs)}, longest wait ${beside.longestMs.toFixed(1)} ms (the writer: ${fmt(beside.insertUs)}; one round)`,
    );
    await async.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres(url: string, note: string): Promise<void> {
  const sql = createPgAsyncSql(new pg.Pool({ connectionString: url }));
  try {
    await sql.exec(CREATE);
    const insert = await insertAsync(sql, TABLE);
    for (const id of order.slice(0, 2_000)) await sql.get(READ, [id]); // warm-up: connections, plan
    const read = await readAsync(sql);
    const readConcurrent = await readConcurrently(sql);
    console.log(`PostgreSQL (${note}), ${N} rows, loopback, one round`);
    console.log(`  insert, ${BATCH} per transaction   ${fmt(insert)}`);
    console.log(`  primary-key read                ${fmt(read)}   ${IN_FLIGHT} in flight ${fmt(readConcurrent)}`);
    await sql.exec(`DROP TABLE ${TABLE}`);
  } finally {
    await sql.close();
  }
}

let cluster: PgCluster | undefined;
process.once('SIGINT', () => void (cluster?.stop() ?? Promise.resolve()).then(() => process.exit(130)));
try {
  await sqlite();
  const url = process.argv[2];
  const binDir = url ? undefined : postgresBinDir();
  if (url) await postgres(url, 'the server given');
  else if (binDir) {
    cluster = await startPgCluster(binDir);
    await postgres(cluster.url, 'throwaway cluster, fsync=off');
  } else console.log('PostgreSQL: not installed and no URL given; skipped');
} finally {
  await cluster?.stop();
}
