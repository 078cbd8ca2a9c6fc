import { DatabaseUnavailableError } from '../../db/client.js';

/**
 * SQLSTATEs that say the server cannot serve now, not that the statement was wrong: a
 * connection lost or refused (08), resources exhausted such as a full disk or too many
 * connections (53), the server shutting down, crashed or starting (57P), an I/O or system
 * error (58), a server that went read-only (25006: a standby after failover).
 */
const PG_UNAVAILABLE = /^(08\w{3}|53\w{3}|57P\w{2}|58\w{3}|25006)$/;

/** A transaction PostgreSQL chose to abort (serialization failure, deadlock): the same work may well succeed when tried again. */
const PG_RETRYABLE = /^(40001|40P01)$/;

/** A database an operator closed to connections for maintenance (ALLOW_CONNECTIONS false): SQLSTATE 55000 with this message. */
const PG_CLOSED_DATABASE = /is not currently accepting connections/;

/** Node's codes for a socket that could not connect or was cut. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * pg reports a connection that ended, timed out or broke with a plain Error and no code
 * (node-postgres client.js and pg-pool): these are its messages.
 */
const PG_CONNECTION_MESSAGE = /^Connection terminated|^timeout exceeded when trying to connect|is not queryable$/;

/** SQLite's primary result codes for a database that is locked, unwritable or gone; extended codes add a suffix (SQLITE_IOERR_WRITE). */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|READONLY|FULL|NOMEM)(_|$)/;

/**
 * Whether err means the database is unavailable (answer 503 and let the client retry; the
 * delivery worker keeps the outcome and writes it later) rather than that this request's
 * statement failed (a constraint violation, a bad query: 4xx or 500).
 * Looks through `cause` (drizzle wraps the driver's error) and AggregateError (Node reports a
 * refused connection to a name with several addresses as one).
 */
export function isUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DatabaseUnavailableError) return true;
    if (e instanceof AggregateError && e.errors.some(isUnavailable)) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (PG_UNAVAILABLE.test(code) || PG_RETRYABLE.test(code) || NETWORK.has(code) || SQLITE_UNAVAILABLE.test(code))) return true;
    if (PG_CONNECTION_MESSAGE.test(e.message) || (code === '55000' && PG_CLOSED_DATABASE.test(e.message))) return true;
  }
  return false;
}
