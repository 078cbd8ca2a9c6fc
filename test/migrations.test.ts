import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { openDatabase, runMigrations } from '../src/db/client.js';

const sqliteMigrations = fileURLToPath(new URL('../migrations/sqlite', import.meta.url));

test('a database from before the throttle column keeps its deferred letters deferred under the limit they carried', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-migrate-'));
  try {
    // The migrations as they were: only the first one.
    const old = join(dir, 'migrations');
    cpSync(sqliteMigrations, old, { recursive: true });
    const journal = JSON.parse(readFileSync(join(old, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    journal.entries = journal.entries.filter((e) => e.tag === '0000_init');
    writeFileSync(join(old, 'meta/_journal.json'), JSON.stringify(journal));
    const db = openDatabase(join(dir, 'old.db'));
    migrate(db, { migrationsFolder: old });
    db.$client.exec(`
      INSERT INTO campaigns (id, slug, title, summary, delivery, rules) VALUES ('cmp_1', 'c1', 'T', 'S', '{"mode":"email","perTargetPerHour":10}', '{"forbiddenPhrases":[],"noteMaxLength":1000}');
      INSERT INTO outbox (id, kind, lane, campaign_id, status, next_attempt_at, last_error) VALUES
        ('out_1', 'letter', 1, 'cmp_1', 'queued', '2026-03-02T10:00:00.000Z', 'throttled at per-hour limit 10'),
        ('out_2', 'letter', 1, 'cmp_1', 'queued', '2026-03-02T10:00:00.000Z', '451 4.7.1 try again later');`);

    runMigrations(db);
    const rows = db.$client.prepare('SELECT id, throttle_limit AS throttleLimit, last_error AS lastError FROM outbox ORDER BY id').all();
    db.$client.close();
    assert.deepEqual(rows, [
      { id: 'out_1', throttleLimit: 10, lastError: null },
      { id: 'out_2', throttleLimit: null, lastError: '451 4.7.1 try again later' },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
