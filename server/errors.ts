/**
 * The HTTP errors: each is created where the problem is known and carries the HTTP status and
 * OpenAI error fields; `server/error_envelope.ts` is the one place that turns errors (these, and
 * the agent's and the store's) into responses.
 * @module
 */

/** What a HeraldError carries besides its message. */
export interface HeraldErrorOptions {
  /** HTTP status the error maps to. */
  status: number;
  /** OpenAI error `type`, e.g. `invalid_request_error`. */
  type: string;
  /** OpenAI error `code`, e.g. `missing_required_parameter`. */
  code?: string | null;
  /** The request field at fault, e.g. `messages[2].content`. */
  param?: string | null;
  /** Extra response headers, e.g. `Retry-After`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * The base of every error Herald reports to a client.
 *
 * @example
 * ```ts
 * throw new HeraldError("messages must not be empty", {
 *   status: 400, type: "invalid_request_error", code: "invalid_value", param: "messages",
 * });
 * ```
 */
export class HeraldError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(message: string, options: HeraldErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "HeraldError";
    this.status = options.status;
    this.type = options.type;
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }
}

/** 400: the request is malformed or names something that does not exist. */
export class InvalidRequestError extends HeraldError {
  constructor(message: string, options: { code?: string; param?: string | null } = {}) {
    super(message, {
      status: 400,
      type: "invalid_request_error",
      code: options.code ?? "invalid_value",
      param: options.param ?? null,
    });
    this.name = "InvalidRequestError";
  }
}

/** 404: no such route, model or stored object. */
export class NotFoundError extends HeraldError {
  constructor(message: string, options: { code?: string | null; param?: string | null } = {}) {
    super(message, {
      status: 404,
      type: "invalid_request_error",
      code: options.code ?? null,
      param: options.param ?? null,
    });
    this.name = "NotFoundError";
  }
}

/** 401: the API key is missing or wrong. */
export class AuthenticationError extends HeraldError {
  constructor(message = "Invalid or missing API key. Send it as 'Authorization: Bearer <key>'.") {
    super(message, { status: 401, type: "authentication_error", code: "invalid_api_key" });
    this.name = "AuthenticationError";
  }
}

/** 429: too many requests; `retryAfter` in seconds. */
export class RateLimitError extends HeraldError {
  constructor(message: string, retryAfter: number) {
    super(message, {
      status: 429,
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
      headers: { "Retry-After": String(Math.max(1, Math.ceil(retryAfter))) },
    });
    this.name = "RateLimitError";
  }
}

/** 409: the request conflicts with a change made meanwhile (e.g. a conversation moved on). */
export class ConflictError extends HeraldError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, {
      status: 409,
      type: "invalid_request_error",
      code: options.code ?? "conflict",
      cause: options.cause,
    });
    this.name = "ConflictError";
  }
}

/** Seconds a client is told to wait before retrying while the gateway shuts down. */
export const SHUTDOWN_RETRY_AFTER_SECONDS = 5;

/** 503 for requests arriving (or runs cut off) while the gateway shuts down: one code, one wait. */
export function shuttingDownError(): HeraldError {
  return new HeraldError("The gateway is shutting down; retry the request shortly.", {
    status: 503,
    type: "server_error",
    code: "shutting_down",
    headers: { "Retry-After": String(SHUTDOWN_RETRY_AFTER_SECONDS) },
  });
}
