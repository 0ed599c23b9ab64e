/**
 * Security headers on every response, errors and event streams included. The API serves no pages,
 * so the strictest values cost nothing: nothing may be framed, sniffed, or loaded from a response.
 * The one page Herald serves (the web chat, server/web_ui.ts) sets its own, still strict,
 * Content-Security-Policy, which is kept.
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
 * Adds {@link SECURITY_HEADERS} to every response (a Content-Security-Policy the route set
 * itself stays). Put it first in the middleware list so that responses made by later guards get
 * them too.
 *
 * @example
 * ```ts
 * createApp({ routes, apiKeys, middleware: [securityHeaders(), ...others] });
 * ```
 */
export function securityHeaders(): Middleware {
  return async (_req, ctx, next) => {
    const res = await settle(next, ctx);
    const headers = { ...SECURITY_HEADERS };
    const own = res.headers.get("content-security-policy");
    if (own !== null) headers["Content-Security-Policy"] = own;
    return setHeaders(res, headers);
  };
}
