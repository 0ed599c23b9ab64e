/**
 * The one place errors become responses: every failure a client sees is the OpenAI error
 * envelope `{"error": {"message", "type", "param", "code"}}` with the right status.
 * Unknown exceptions become a 500 with a generic message: never a stack trace or a secret.
 * @module
 */
import { HeraldError } from "../agent/mod.ts";

/** The OpenAI error object. */
export interface ErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** Turns anything thrown into a HeraldError (unknown errors become a generic 500). */
export function toHeraldError(error: unknown): HeraldError {
  if (error instanceof HeraldError) return error;
  return new HeraldError("The server hit an internal error. See the gateway log for details.", {
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
  // says when to come back (503 while shutting down or draining) should be retried.
  if (e.status >= 500 && !headers.has("retry-after")) headers.set("x-should-retry", "false");
  return new Response(JSON.stringify({ error: errorBody(e) }), { status: e.status, headers });
}

/** A JSON response with status 200 (or the given status). */
export function jsonResponse(body: unknown, status = 200, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("Content-Type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: h });
}
