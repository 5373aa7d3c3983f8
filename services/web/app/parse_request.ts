/** What the app routes on, strictly decoded from a request it accepts. */
export interface ParsedRequest {
  /** The decoded path (`/api/documents/7`); dot segments and encoded slashes never get here. */
  path: string;
  /** The decoded path segments after the leading `/` (`["api", "documents", "7"]`). */
  segments: string[];
  /** Decoded query parameters; the first value of a repeated name wins. */
  query: Map<string, string>;
}

/** Why a request was refused before routing: the status to answer and a message naming the problem. */
export interface RequestRefusal {
  status: 400 | 414 | 431;
  error: string;
}

/**
 * Longest request target (path and query) the app reads, in characters: room
 * for the longest `q` (500 characters) percent-encoded from 3-byte UTF-8.
 */
export const maxTargetLength = 8192;
/** Largest sum of header names and values the app reads, in bytes (Deno's server stops at 64 KiB). */
export const maxHeaderBytes = 16 * 1024;

// a host name (compose service names may hold "_") or IPv4 address, or a bracketed IPv6
// address, with an optional port
const validHost = /^(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;
const schemeAndAuthority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;
// after decoding: separators and control characters that no route or asset name contains
// deno-lint-ignore no-control-regex
const forbiddenInSegment = /[/\\\u0000-\u001f\u007f]/;

/** A value quoted for a message, cut short so an error never echoes a whole oversize input. */
export function quoted(value: string, max = 80): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined; // a bad %XX sequence or bytes that are not UTF-8 (overlong, surrogate, %FF)
  }
}

function headerBytes(headers: Headers): number {
  let total = 0;
  for (const [name, value] of headers) total += name.length + value.length;
  return total;
}

/**
 * Reads a request's target strictly, before any routing: refuses an invalid
 * Host header, an overlong target, oversize headers, a path or query that is
 * not valid percent-encoded UTF-8, and a path with `.`/`..` segments, encoded
 * `/` or `\`, or control characters. The raw target is read from `request.url`
 * (Deno keeps it as sent) rather than through `URL`, which would resolve
 * `/static/../..` and `%2e%2e` and so hide a traversal attempt.
 */
export function parseRequest(request: Request): ParsedRequest | RequestRefusal {
  const host = request.headers.get("host");
  // checked first: Deno builds request.url from it, so "x/y?z" would change the path
  const hostParts = host === null ? undefined : validHost.exec(host);
  if (host !== null && (!hostParts || Number(hostParts[1] ?? 0) > 65_535)) {
    return { status: 400, error: `the Host header ${quoted(host)} is not a valid host name` };
  }
  if (headerBytes(request.headers) > maxHeaderBytes) {
    return { status: 431, error: `the request headers are larger than ${maxHeaderBytes} bytes` };
  }
  const authority = schemeAndAuthority.exec(request.url);
  if (!authority) return { status: 400, error: "the request target is not a valid URL" };
  const target = request.url.slice(authority[0].length).replace(/#.*$/s, "");
  if (target.length > maxTargetLength) {
    return {
      status: 414,
      error: `the request target is longer than ${maxTargetLength} characters`,
    };
  }
  const queryAt = target.indexOf("?");
  const rawPath = (queryAt === -1 ? target : target.slice(0, queryAt)) || "/";
  const rawQuery = queryAt === -1 ? "" : target.slice(queryAt + 1);
  if (!rawPath.startsWith("/")) {
    return { status: 400, error: `the path ${quoted(rawPath)} does not start with "/"` };
  }
  const segments: string[] = [];
  for (const raw of rawPath.slice(1).split("/")) {
    const segment = decode(raw);
    if (segment === undefined) {
      return {
        status: 400,
        error: `the path ${quoted(rawPath)} is not valid percent-encoded UTF-8`,
      };
    }
    if (segment === "." || segment === "..") {
      return { status: 400, error: `the path ${quoted(rawPath)} has a "." or ".." segment` };
    }
    if (forbiddenInSegment.test(segment)) {
      return {
        status: 400,
        error: `the path ${
          quoted(rawPath)
        } has an encoded "/", a "\\" or a control character in a segment`,
      };
    }
    segments.push(segment);
  }
  const query = new Map<string, string>();
  for (const pair of rawQuery === "" ? [] : rawQuery.split("&")) {
    if (pair === "") continue;
    const equals = pair.indexOf("=");
    const rawName = equals === -1 ? pair : pair.slice(0, equals);
    const rawValue = equals === -1 ? "" : pair.slice(equals + 1);
    const name = decode(rawName.replaceAll("+", " "));
    if (name === undefined) {
      return { status: 400, error: "the query string is not valid percent-encoded UTF-8" };
    }
    const value = decode(rawValue.replaceAll("+", " "));
    if (value === undefined) {
      return {
        status: 400,
        error: `the query parameter ${quoted(name)} is not valid percent-encoded UTF-8`,
      };
    }
    if (!query.has(name)) query.set(name, value);
  }
  return { path: `/${segments.join("/")}`, segments, query };
}
