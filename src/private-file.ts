import { closeSync, openSync } from 'node:fs';

/**
 * The mode of every file Chorus writes (the database and its -wal/-shm, backups, `.eml`
 * mail): supporters' names, addresses and notes, readable by the service's own user only.
 */
export const privateFileMode = 0o600;

/**
 * Creates `path` empty with privateFileMode unless it exists (an existing file keeps the mode
 * its operator gave it). For files another library then opens: SQLite creates a database with
 * 0644, and gives its -wal and -shm the mode of the database file.
 */
export function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', privateFileMode));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
