/**
 * Helpers for guards that must see or change the final response, including error responses:
 * errors thrown further in are settled into the envelope here so headers can still be added.
 * @module
 */
import { errorResponse } from "../error_envelope.ts";

/** Runs `next` and turns anything it throws into the error-envelope response. */
export async function settle(
  next: (req?: Request) => Promise<Response>,
  req?: Request,
): Promise<Response> {
  try {
    return await next(req);
  } catch (error) {
    return errorResponse(error);
  }
}

/**
 * Sets headers on a response. A response with immutable headers (one passed through from
 * `fetch`) is rebuilt around the same body.
 */
export function setHeaders(res: Response, headers: Record<string, string>): Response {
  try {
    for (const [name, value] of Object.entries(headers)) res.headers.set(name, value);
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
