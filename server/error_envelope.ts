/**
 * The one place errors become responses: every failure a client sees is the OpenAI error
 * envelope `{"error": {"message", "type", "param", "code"}}` with the right status. The HTTP
 * errors carry their status; the agent's and the store's errors carry a code, mapped here by the
 * one code → status table. Unknown exceptions become a 500 with a generic message: never a stack
 * trace or a secret.
 * @module
 */
import { AgentError, type RequestFault, type TurnResult } from "../agent/mod.ts";
import { ConversationConflictError, CursorNotFoundError } from "../store/mod.ts";
import { ConflictError, HeraldError, InvalidRequestError, shuttingDownError } from "./errors.ts";
import { fixedBody } from "./fixed_body.ts";

/** The OpenAI error object. */
export interface ErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/**
 * The HTTP status of each code a turn or the agent can end with. A code not listed is a 500.
 * (`shutting_down` is answered by {@link shuttingDownError}, with its Retry-After.)
 */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  agent_error: 500,
  upstream_error: 502,
  upstream_unreachable: 503,
  upstream_rate_limited: 503,
  upstream_timeout: 504,
  upstream_rejected_request: 400,
  shutting_down: 503,
};

/**
 * The HTTP error for a code and message of the agent's (unknown codes are a 500). A failure that
 * is the request's fault is the client's 400, naming the parameter and the upstream's own code.
 */
export function errorForCode(
  code: string,
  message: string,
  options: { request?: RequestFault | null; cause?: unknown } = {},
): HeraldError {
  const { request, cause } = options;
  if (code === "shutting_down") return shuttingDownError();
  if (request || code === "upstream_rejected_request") {
    return new InvalidRequestError(message, {
      code: request?.code ?? code,
      param: request?.param ?? null,
    });
  }
  return new HeraldError(message, {
    status: STATUS_BY_CODE[code] ?? 500,
    type: "server_error",
    code,
    cause,
  });
}

/** The error a failed turn maps to before anything was sent. */
export function turnError(result: TurnResult): HeraldError {
  return errorForCode(
    result.error?.code ?? "agent_error",
    result.error?.message ?? "The agent failed.",
    { request: result.error?.request },
  );
}

/**
 * The HTTP error for anything thrown, or null when it is not one Herald knows (a bug: the
 * caller reports it and answers a generic 500).
 */
export function knownHttpError(error: unknown): HeraldError | null {
  if (error instanceof HeraldError) return error;
  if (error instanceof AgentError) {
    return errorForCode(error.code, error.message, { request: error.request, cause: error });
  }
  if (error instanceof CursorNotFoundError) {
    return new InvalidRequestError(error.message, { code: "invalid_value", param: error.param });
  }
  if (error instanceof ConversationConflictError) {
    return new ConflictError(error.message, { code: "conversation_conflict", cause: error });
  }
  return null;
}

/** Turns anything thrown into a HeraldError (unknown errors become a generic 500). */
export function toHeraldError(error: unknown): HeraldError {
  return knownHttpError(error) ??
    new HeraldError("The server hit an internal error. See the gateway log for details.", {
      status: 500,
      type: "server_error",
      code: "internal_error",
      cause: error,
    });
}

/** The `error` object of the envelope. */
export function errorBody(error: unknown): ErrorBody {
  const e = toHeraldError(error);
  return { message: e.message, type: e.type, param: e.param, code: e.code };
}

/** A JSON response carrying the error envelope, its status and headers. */
export function errorResponse(error: unknown): Response {
  const e = toHeraldError(error);
  const headers = new Headers(e.headers);
  headers.set("Content-Type", "application/json");
  // A 5xx from a deterministic agent failure should not make SDKs run the agent again; one that
  // says when to come back (503 while shutting down) should be retried.
  if (e.status >= 500 && !headers.has("retry-after")) headers.set("x-should-retry", "false");
  return new Response(JSON.stringify({ error: errorBody(e) }), { status: e.status, headers });
}

/** A JSON response with status 200 (or the given status). */
export function jsonResponse(body: unknown, status = 200, headers?: HeadersInit): Response {
  if (headers === undefined) {
    // The common case: the Response builds its one header list straight from the literal.
    return fixedBody(new Response(JSON.stringify(body), { status, headers: JSON_ONLY }));
  }
  const h = new Headers(headers);
  h.set("Content-Type", "application/json");
  return fixedBody(new Response(JSON.stringify(body), { status, headers: h }));
}

const JSON_ONLY: Readonly<Record<string, string>> = Object.freeze({
  "Content-Type": "application/json",
});
