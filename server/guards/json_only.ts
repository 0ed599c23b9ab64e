/**
 * CSRF guard. A web page can send a cross-site request without a CORS preflight only with a
 * "simple" content type (text/plain, a form encoding); Herald's API speaks JSON alone, so any
 * other declared body type is refused with 415 on every route, before auth or a handler runs.
 * Requests without a Content-Type pass: routes that need a body refuse a missing type themselves.
 * @module
 */
import { HeraldError } from "../errors.ts";
import type { Middleware } from "../router.ts";
import { isJsonContentType } from "../../lib/mod.ts";

/**
 * Builds the guard: on POST, PUT, PATCH and DELETE, a Content-Type that is not JSON is a 415.
 *
 * @example
 * ```ts
 * createApp({ routes, apiKeys, middleware: [jsonOnly()] });
 * ```
 */
export function jsonOnly(): Middleware {
  // Not an async function: passing a request on costs no promise of its own.
  return (req, _ctx, next) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") {
      return next();
    }
    const type = req.headers.get("content-type");
    if (type === null || isJsonContentType(type)) return next();
    return Promise.reject(refused(type));
  };
}

function refused(type: string): HeraldError {
  return new HeraldError(
    `Request body must be JSON, not '${type.slice(0, 100)}': send ` +
      "'Content-Type: application/json'.",
    { status: 415, type: "invalid_request_error", code: "unsupported_media_type" },
  );
}
