/**
 * Request bodies that stop arriving or arrive broken. A client that sends headers and then goes
 * quiet would hold its connection, and whatever waits on the body, for ever: after
 * `api_server.body_timeout` seconds without a byte the request is answered 408. A body whose
 * framing is broken (malformed chunked encoding, a connection cut mid-body) makes the read fail
 * inside Deno: that is the client's fault, a 400, not a 500. (Deno's HTTP layer closes such a
 * connection, so the 400 may not reach the client; it is still what the request log records.)
 * @module
 */
import { bodyTimeoutError, guardRequestBody, malformedBodyError } from "../body.ts";
import type { Middleware } from "../router.ts";

export { bodyTimeoutError, malformedBodyError };

/** Options for {@link bodyDeadline}. */
export interface BodyDeadlineOptions {
  /** Milliseconds a body may go without a byte arriving. Default 30 000. */
  idleMs?: number;
}

/**
 * Builds the guard. A request with a body gets its body registered as read under the deadline
 * (server/body.ts `requestBody`): a read that waits `idleMs` without data fails with a 408
 * HeraldError, a read that breaks with a 400, so every body reader (JSON parsing,
 * idempotency, the MCP endpoint, webhooks) fails with the right status on its own. No
 * replacement request is made: building one cost more than the rest of the guards together.
 *
 * @example
 * ```ts
 * createApp({ routes, apiKeys, middleware: [bodyDeadline({ idleMs: 30_000 })] });
 * ```
 */
export function bodyDeadline(options: BodyDeadlineOptions = {}): Middleware {
  const idleMs = options.idleMs ?? 30_000;
  return (req, ctx, next) => {
    // A malformed request is refused before its body matters.
    if (mayHaveBody(req) && !ctx.malformed) guardRequestBody(req, idleMs);
    return next();
  };
}

// Decided from the headers: touching `req.body` makes Deno treat an unread body differently (a
// body refused on its Content-Length alone would reset the connection instead of answering 413).
function mayHaveBody(req: Request): boolean {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return false;
  return req.headers.get("content-length")?.trim() !== "0";
}
