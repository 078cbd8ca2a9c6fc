import 'dotenv/config';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config.js';
import { createPrivateFile } from '../private-file.js';

/**
 * `npm run backup -- FILE`: a consistent copy of the live database, taken with SQLite's online
 * backup API while the server keeps running (and writing). The copy is written next to FILE,
 * checked with `PRAGMA integrity_check`, switched to a single self-contained file (no -wal),
 * and only then renamed onto FILE: an interrupted backup never leaves a half-written FILE.
 */
export async function backupDatabase(sourcePath: string, destPath: string): Promise<{ pages: number }> {
  if (resolve(sourcePath) === resolve(destPath)) throw new Error('the backup file must not be the database itself');
  if (!existsSync(sourcePath)) throw new Error(`no database at ${sourcePath}`);
  mkdirSync(dirname(resolve(destPath)), { recursive: true });
  const partial = `${destPath}.partial-${process.pid}`;
  const source = new Database(sourcePath, { fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    // A copy of every supporter's data: created 0600 before SQLite writes into it (rename keeps the mode).
    rmSync(partial, { force: true });
    createPrivateFile(partial);
    await source.backup(partial);
    const copy = new Database(partial, { fileMustExist: true });
    let pages: number;
    try {
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy failed PRAGMA integrity_check: ${String(check)}`);
      copy.pragma('journal_mode = DELETE');
      pages = copy.pragma('page_count', { simple: true }) as number;
    } finally {
      copy.close();
    }
    renameSync(partial, destPath);
    return { pages };
  } catch (err) {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(partial + suffix, { force: true });
    throw err;
  } finally {
    source.close();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    console.error('usage: npm run backup -- FILE');
    process.exitCode = 2;
    return;
  }
  const dest = args[0]!;
  try {
    const config = loadConfig(process.env);
    // PostgreSQL has its own tools for a consistent copy of a live database.
    if (config.DATABASE_URL) throw new Error('DATABASE_URL is set: back up PostgreSQL with pg_dump (this command copies the SQLite file)');
    const { pages } = await backupDatabase(config.DATABASE_PATH, dest);
    console.log(`Backed up ${config.DATABASE_PATH} to ${dest} (${pages} pages, integrity_check ok)`);
  } catch (err) {
    console.error(`chorus backup: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
