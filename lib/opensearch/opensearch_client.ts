import type { ConfiguredService } from "../config/mod.ts";
import { errorMessage, FailedError } from "../errors.ts";
import { serviceHost } from "../service/service_context.ts";

/** Query-string values of a request. */
export type QueryValues = Record<string, string | number | boolean | undefined>;

/** Options of one {@link OpenSearchClient.request}. */
export interface RequestOptions {
  /** JSON body (objects are serialised; strings are sent as they are, e.g. NDJSON). */
  body?: unknown;
  query?: QueryValues;
  /** Overrides the client's timeout for this call (long reindex or restore calls). */
  timeoutMs?: number;
  /** Status codes that are answers rather than errors (404 for "does it exist"). */
  accept?: readonly number[];
}

/** An answer with its status, for calls that accept non-2xx codes. */
export interface OpenSearchResponse<T> {
  status: number;
  body: T;
}

/** Options of {@link OpenSearchClient}. */
export interface OpenSearchClientOptions {
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Cancels every request (the task's signal). */
  signal?: AbortSignal;
}

/** OpenSearch answered with an error status: the status and OpenSearch's own reason. */
export class OpenSearchError extends FailedError {
  /** HTTP status. */
  readonly status: number;
  /** OpenSearch's error type (`index_not_found_exception`...), when given. */
  readonly type: string | undefined;
  /** OpenSearch's reason text. */
  readonly reason: string;

  constructor(what: string, status: number, type: string | undefined, reason: string) {
    super(`OpenSearch ${what} failed: HTTP ${status}${type ? ` ${type}` : ""}: ${reason}`);
    this.name = "OpenSearchError";
    this.status = status;
    this.type = type;
    this.reason = reason;
  }
}

/**
 * A small fetch-based OpenSearch client: JSON in and out, errors carrying the
 * status and OpenSearch's reason, a timeout on every call and the task's
 * AbortSignal. No connection pool or retries: one node on loopback.
 * @example
 * const client = new OpenSearchClient("http://127.0.0.1:9200");
 * const health = await client.request<{ status: string }>("GET", "/_cluster/health");
 */
export class OpenSearchClient {
  /** `http://host:port` without a trailing slash. */
  readonly baseUrl: string;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;

  constructor(baseUrl: string, options: OpenSearchClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#signal = options.signal;
  }

  /** The same client without the task's signal: for clean-up after a cancellation. */
  detached(): OpenSearchClient {
    return new OpenSearchClient(this.baseUrl, { timeoutMs: this.#timeoutMs });
  }

  /**
   * Sends one request and returns the parsed JSON body.
   * @throws {OpenSearchError} for an error status; {FailedError} when the server cannot be reached or times out.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<T> {
    return (await this.send<T>(method, path, options)).body;
  }

  /** Like {@link request}, returning the status too; statuses in `accept` are not errors. */
  async send<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<OpenSearchResponse<T>> {
    const what = `${method} ${path}`;
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = this.#signal ? AbortSignal.any([this.#signal, timeout]) : timeout;
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {};
    let body: string | undefined;
    if (options.body !== undefined) {
      const ndjson = typeof options.body === "string";
      body = ndjson ? options.body as string : JSON.stringify(options.body);
      headers["content-type"] = ndjson ? "application/x-ndjson" : "application/json";
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: body ?? null, signal });
    } catch (error) {
      if (this.#signal?.aborted) throw this.#signal.reason ?? error;
      if (timeout.aborted) {
        throw new FailedError(
          `OpenSearch ${what} did not answer within ${Math.round(timeoutMs / 1000)} s`,
          { hint: "check ./ops opensearch:logs; the cluster may be overloaded" },
        );
      }
      throw this.#unreachable(what, error);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      // the server went away in the middle of its answer
      if (this.#signal?.aborted) throw this.#signal.reason ?? error;
      throw this.#unreachable(what, error);
    }
    let parsed: unknown = undefined;
    if (text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok && !(options.accept ?? []).includes(response.status)) {
      const { type, reason } = errorReason(parsed, response.statusText);
      throw new OpenSearchError(what, response.status, type, reason);
    }
    return { status: response.status, body: parsed as T };
  }

  /** The one-line error for a request the server did not answer (down, killed mid-answer). */
  #unreachable(what: string, error: unknown): FailedError {
    // fetch says "fetch failed"; what happened (connection refused, reset) is in its cause
    const cause = (error as { cause?: unknown } | null)?.cause;
    const seen = cause instanceof Error && cause.message
      ? cause.message.replace(/^error sending request for url \([^)]*\): /, "")
      : errorMessage(error);
    return new FailedError(
      `cannot reach OpenSearch at ${this.baseUrl} (${what}): ${seen.replace(/\s*\n\s*/g, " ")}`,
      { hint: "./ops opensearch:start starts it; ./ops status shows its state", cause: error },
    );
  }
}

/** The client for the environment's opensearch service (`http://<host>:<port>`, loopback unless the runtime says otherwise). */
export function openSearchClientFor(
  service: ConfiguredService,
  options: OpenSearchClientOptions = {},
): OpenSearchClient {
  if (service.port === undefined) {
    throw new FailedError(`the ${service.definition.name} service has no port configured`);
  }
  return new OpenSearchClient(`http://${serviceHost(service)}:${service.port}`, options);
}

/** OpenSearch's error type and reason from an error body (object or plain string form). */
function errorReason(
  body: unknown,
  fallback: string,
): { type: string | undefined; reason: string } {
  if (typeof body === "object" && body !== null) {
    const error = (body as { error?: unknown }).error;
    if (typeof error === "string") return { type: undefined, reason: error };
    if (typeof error === "object" && error !== null) {
      const e = error as { type?: unknown; reason?: unknown; root_cause?: unknown };
      const root = Array.isArray(e.root_cause)
        ? e.root_cause[0] as typeof e | undefined
        : undefined;
      const reason = typeof e.reason === "string"
        ? e.reason
        : typeof root?.reason === "string"
        ? root.reason
        : fallback;
      return { type: typeof e.type === "string" ? e.type : undefined, reason };
    }
    const message = (body as { message?: unknown }).message;
    if (typeof message === "string") return { type: undefined, reason: message };
  }
  if (typeof body === "string" && body.trim() !== "") {
    return { type: undefined, reason: body.trim().slice(0, 300) };
  }
  return { type: undefined, reason: fallback || "no reason given" };
}
