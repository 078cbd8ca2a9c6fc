/** A write refused because it would duplicate a unique key, on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // better-sqlite3 names SQLite's extended result codes; PostgreSQL's SQLSTATE 23505 is unique_violation.
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * An error of the database rather than of the statement: busy, locked, out of space or memory,
 * read-only, unreachable, or a transaction PostgreSQL chose to abort (serialization failure,
 * deadlock). The same write may well succeed later; a statement error (a constraint, bad SQL) will not.
 */
export function isTransientStorageError(err: unknown): boolean {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  if (/^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|NOMEM)/.test(code)) return true;
  // SQLSTATE classes: 08 connection, 53 insufficient resources, 57 operator intervention (shutdown,
  // terminated backend), 58 system error; 40001 serialization failure, 40P01 deadlock, 25006 read-only.
  if (/^(08|53|57|58)/.test(code) || code === '40001' || code === '40P01' || code === '25006') return true;
  // A database an operator closed to connections for maintenance (ALLOW_CONNECTIONS false).
  if (code === '55000' && /not currently accepting connections/.test(String((err as Error)?.message))) return true;
  // The driver's own: a refused, reset or timed-out connection.
  if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN)$/.test(code)) return true;
  if (/Connection terminated|timeout exceeded when trying to connect/i.test(String((err as Error)?.message))) return true;
  // An error raised because of one of these (a rate limit that could not be counted) is one too.
  return err instanceof Error && err.cause !== undefined && isTransientStorageError(err.cause);
}
