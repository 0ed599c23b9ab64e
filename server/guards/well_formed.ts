/**
 * Answers a request whose target cannot be served (a malformed Host or `:authority`, no Host on
 * HTTP/1.1) with 400 before any other guard reads it. Placed right after the security headers
 * and the request log, so the 400 carries both and is logged once.
 * @module
 */
import type { Middleware } from "../router.ts";

/**
 * Builds the guard; the problem itself is found by `createApp` (server/request_target.ts).
 *
 * @example
 * ```ts
 * createApp({ routes, apiKeys, middleware: [securityHeaders(), requestLog(), wellFormed()] });
 * ```
 */
export function wellFormed(): Middleware {
  // Not an async function: passing a request on costs no promise of its own.
  return (_req, ctx, next) => ctx.malformed ? Promise.reject(ctx.malformed) : next();
}
