/**
 * A small Slack Web API client for the worker: JSON POSTs to `<api_root>/<method>` with a
 * bearer token, `ok: false` answers as {@link SlackApiError}, and HTTP 429 as an error carrying
 * `Retry-After`. Calls that must land (sending a message, answering a command) wait out the
 * limit and retry; preview edits do not, so the stream editor can skip frames instead.
 * @module
 */

/** A Slack Web API call that failed: Slack's error code (`invalid_auth`, `ratelimited`…). */
export class SlackApiError extends Error {
  constructor(
    readonly method: string,
    readonly code: string,
    /** Seconds to wait, from `Retry-After`, on HTTP 429. */
    readonly retryAfterSeconds?: number,
  ) {
    super(`Slack ${method} failed: ${code}`);
    this.name = "SlackApiError";
  }
}

/** How long a must-land call waits out rate limits in total before giving up. */
const MAX_RETRY_WAIT_S = 60;

/** Calls Slack's Web API with one token. */
export class SlackWebApi {
  #root: string;
  #token: string;
  #fetch: typeof fetch;

  constructor(apiRoot: string, token: string, fetchImpl: typeof fetch = fetch) {
    this.#root = apiRoot.replace(/\/+$/, "");
    this.#token = token;
    this.#fetch = fetchImpl;
  }

  /**
   * Calls `method`. With `retry`, a 429 is waited out (`Retry-After`) and the call repeated.
   *
   * @example
   * ```ts
   * const { ts } = await api.call("chat.postMessage", { channel, text }, { retry: true });
   * ```
   */
  async call<T = Record<string, unknown>>(
    method: string,
    params: Record<string, unknown> = {},
    options: { retry?: boolean; signal?: AbortSignal } = {},
  ): Promise<T & { ok: true }> {
    let waited = 0;
    while (true) {
      try {
        return await this.#once<T>(method, params, options.signal);
      } catch (error) {
        const wait = error instanceof SlackApiError ? error.retryAfterSeconds : undefined;
        if (!options.retry || wait === undefined || waited + wait > MAX_RETRY_WAIT_S) throw error;
        waited += wait;
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      }
    }
  }

  async #once<T>(
    method: string,
    params: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<T & { ok: true }> {
    const response = await this.#fetch(`${this.#root}/${method}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${this.#token}`,
        "content-type": "application/json; charset=utf-8",
      },
      body: JSON.stringify(params),
      signal,
    });
    if (response.status === 429) {
      await response.body?.cancel();
      const retryAfter = Number(response.headers.get("retry-after") ?? "1");
      throw new SlackApiError(method, "ratelimited", Number.isFinite(retryAfter) ? retryAfter : 1);
    }
    let body: { ok?: boolean; error?: string } & Record<string, unknown>;
    try {
      body = await response.json();
    } catch {
      throw new SlackApiError(method, `http_${response.status}`);
    }
    if (!body.ok) throw new SlackApiError(method, body.error ?? `http_${response.status}`);
    return body as T & { ok: true };
  }
}

/** Slack error codes that mean a token is wrong, revoked or of the wrong kind. */
export const TOKEN_ERRORS = new Set([
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "not_allowed_token_type",
]);

/** Error codes that mean the workspace has no such method (no message streaming there). */
export const UNKNOWN_METHOD_ERRORS = new Set([
  "unknown_method",
  "method_not_supported",
  "method_deprecated",
  "not_allowed",
  "feature_not_enabled",
  "missing_scope",
]);
