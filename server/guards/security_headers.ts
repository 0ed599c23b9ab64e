/**
 * Security headers on every response, errors and event streams included. Herald serves no pages,
 * so the strictest values cost nothing: nothing may be framed, sniffed, or loaded from a response.
 * @module
 */
import type { Middleware } from "../router.ts";
import { setHeaders, settle } from "./settle.ts";

/** The headers added to every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
};

/**
 * Adds {@link SECURITY_HEADERS} to every response. Put it first in the middleware list so that
 * responses made by later guards get them too.
 *
 * @example
 * ```ts
 * createApp({ routes, apiKeys, middleware: [securityHeaders(), ...others] });
 * ```
 */
export function securityHeaders(): Middleware {
  return async (_req, ctx, next) => setHeaders(await settle(next, ctx), { ...SECURITY_HEADERS });
}
