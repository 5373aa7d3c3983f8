/**
 * Tells a passing PostgreSQL failure (connection lost, server restarting,
 * deadlock: worth a retry) from one that will happen again with the same
 * file (a data error: not worth one).
 */
export function isTransientStoreError(error: unknown): boolean {
  const e = error as { code?: unknown; errno?: unknown; name?: unknown };
  const code = typeof e?.code === "string" ? e.code : "";
  if (/^(ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|CONNECT|CONNECTION_)/.test(code)) return true;
  if (/^(08|53|57P|58)/.test(code) || code === "40001" || code === "40P01") return true;
  if (e?.name === "NotConnected" || e?.name === "ConnectionRefused" || e?.name === "BrokenPipe") {
    return true;
  }
  // an error without an SQLSTATE is not a verdict on the data
  return !/^[0-9A-Z]{5}$/.test(code);
}
