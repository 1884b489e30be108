/**
 * Whether a driver error means the database cannot serve the request (unreachable, gone, locked,
 * read-only, out of space), as opposed to a bug or a refused statement. Callers answer these with
 * 503: the request was not applied and may be retried.
 */
export function storeUnavailableReason(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    // SQLite (better-sqlite3): the extended result code names the failure.
    if (/^SQLITE_(BUSY|LOCKED|READONLY|IOERR|FULL|CANTOPEN|NOTADB|CORRUPT|PROTOCOL)/.test(code)) return code;
    // PostgreSQL SQLSTATE: connection exceptions, shutdown, a dropped database, read-only
    // transactions, a database not accepting connections (class 55), too many connections,
    // statement timeouts, refused logins.
    if (/^(08...|55...|57P0[1-4]|3D000|25006|53300|53400|57014|28000|28P01)$/.test(code))
      return `postgres ${code}`;
    // The socket under a connection.
    if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/.test(code))
      return code;
  }
  if (typeof message === 'string') {
    // node-postgres reports lost connections and pool exhaustion by message only.
    if (
      /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Cannot use a pool after calling end)/.test(
        message,
      )
    )
      return 'connection lost';
    if (message === 'store is closed') return 'store closed';
  }
  return undefined;
}
