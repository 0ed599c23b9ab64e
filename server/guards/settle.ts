/**
 * Helpers for guards that must see or change the final response, including error responses:
 * errors thrown further in are settled into the envelope here so headers can still be added.
 * @module
 */
import { errorResponse } from "../error_envelope.ts";
import type { RequestContext } from "../router.ts";

/**
 * Runs `next` and turns anything it throws into the error-envelope response; an unexpected
 * error is reported (logged with its cause and the request id) before it becomes a 500.
 */
export async function settle(
  next: (req?: Request) => Promise<Response>,
  ctx: RequestContext,
): Promise<Response> {
  try {
    return await next();
  } catch (error) {
    ctx.reportUnexpected?.(error);
    return errorResponse(error);
  }
}

/**
 * Sets headers on a response. A response with immutable headers (one passed through from
 * `fetch`) is rebuilt around the same body.
 */
export function setHeaders(res: Response, headers: Readonly<Record<string, string>>): Response {
  try {
    const target = res.headers;
    for (const name in headers) target.set(name, headers[name]);
    return res;
  } catch {
    const copy = new Headers(res.headers);
    for (const [name, value] of Object.entries(headers)) copy.set(name, value);
    return new Response(res.body, {
      status: res.status,
      statusText: res.statusText,
      headers: copy,
    });
  }
}
