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
  const withoutCsp: Record<string, string> = { ...SECURITY_HEADERS };
  delete withoutCsp["Content-Security-Policy"];
  return async (_req, ctx, next) => {
    const res = await settle(next, ctx);
    // A policy the route set stays: only the others are added then.
    const own = res.headers.has("content-security-policy");
    return setHeaders(res, own ? withoutCsp : SECURITY_HEADERS);
  };
}
