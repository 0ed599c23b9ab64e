/**
 * Request bodies that stop arriving or arrive broken. A client that sends headers and then goes
 * quiet would hold its connection, and whatever waits on the body, for ever: after
 * `api_server.body_timeout` seconds without a byte the request is answered 408. A body whose
 * framing is broken (malformed chunked encoding, a connection cut mid-body) makes the read fail
 * inside Deno: that is the client's fault, a 400, not a 500. (Deno's HTTP layer closes such a
 * connection, so the 400 may not reach the client; it is still what the request log records.)
 * @module
 */
import { HeraldError } from "../errors.ts";
import type { Middleware } from "../router.ts";

/** Options for {@link bodyDeadline}. */
export interface BodyDeadlineOptions {
  /** Milliseconds a body may go without a byte arriving. Default 30 000. */
  idleMs?: number;
}

/** The 408 a stalled body gets. */
export function bodyTimeoutError(idleMs: number): HeraldError {
  return new HeraldError(
    `The request body stopped arriving: no data for ${idleMs / 1000} seconds ` +
      "(api_server.body_timeout).",
    // The rest of the body may still come: the connection cannot carry another request.
    {
      status: 408,
      type: "invalid_request_error",
      code: "body_timeout",
      headers: { Connection: "close" },
    },
  );
}

/** The 400 a body with broken framing gets. */
export function malformedBodyError(cause: unknown): HeraldError {
  return new HeraldError(
    "The request body could not be read: its framing is malformed (e.g. broken chunked " +
      "encoding) or the connection ended before it was complete.",
    {
      status: 400,
      type: "invalid_request_error",
      code: "malformed_body",
      cause,
      headers: { Connection: "close" },
    },
  );
}

/**
 * Builds the guard. Requests with a body get a replacement whose body stream errors with a 408
 * {@link HeraldError} after `idleMs` without data, and turns read failures into a 400; every body
 * reader (JSON parsing, idempotency) then fails with the right status on its own.
 *
 * @example
 * ```ts
 * createApp({ routes, apiKeys, middleware: [bodyDeadline({ idleMs: 30_000 })] });
 * ```
 */
export function bodyDeadline(options: BodyDeadlineOptions = {}): Middleware {
  const idleMs = options.idleMs ?? 30_000;
  return async (req, ctx, next) => {
    // A malformed request is refused before its body matters (its URL cannot be copied either).
    if (!mayHaveBody(req) || ctx.malformed) return await next();
    // Spelled out rather than `new Request(req, …)`, which would touch the original body (see
    // mayHaveBody).
    return await next(
      new Request(req.url, {
        method: req.method,
        headers: req.headers,
        body: guardedBody(req, idleMs),
        signal: req.signal,
      }),
    );
  };
}

// Decided from the headers: touching `req.body` makes Deno treat an unread body differently (a
// body refused on its Content-Length alone would reset the connection instead of answering 413).
function mayHaveBody(req: Request): boolean {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return false;
  return req.headers.get("content-length")?.trim() !== "0";
}

function guardedBody(req: Request, idleMs: number): ReadableStream {
  // The original body is opened only once someone reads.
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!reader) {
        if (!req.body) return controller.close();
        reader = req.body.getReader();
      }
      // The timer fails the body itself: no promise and race per read.
      let stalled = false;
      const timer = setTimeout(() => {
        stalled = true;
        const failure = bodyTimeoutError(idleMs);
        controller.error(failure);
        reader!.cancel(failure).catch(() => {});
      }, idleMs);
      try {
        const { value, done } = await reader.read();
        if (stalled) return;
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        if (stalled) return;
        const failure = error instanceof HeraldError ? error : malformedBodyError(error);
        controller.error(failure);
        reader.cancel(failure).catch(() => {});
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      return reader?.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}
