/**
 * Responses whose body is a fixed string of bytes (JSON answers), as opposed to a stream produced
 * while it is sent. The guards that must know when a body has gone out (the
 * request log, the run limit) learn it for these from the server's own `completed` signal instead
 * of wrapping the body in a counting stream — which cost a stream, a reader and a copy of the
 * headers per request, and turned a fixed-length answer into a chunked one. A fixed body cannot
 * fail half-way, so nothing is lost.
 * @module
 */

const fixed = new WeakSet<Response>();

/** Marks `res` as carrying a fixed body and returns it. */
export function fixedBody(res: Response): Response {
  fixed.add(res);
  return res;
}

/** Whether `res` was made with a fixed body (see {@link fixedBody}). */
export function hasFixedBody(res: Response): boolean {
  return fixed.has(res);
}
