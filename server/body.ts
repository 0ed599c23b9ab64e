/**
 * Reading and validating request bodies: JSON only (415 otherwise, so a web page cannot send a
 * cross-site "simple" request), a size cap checked on Content-Length and while reading (413),
 * invalid JSON (400), and zod validation whose first issue names the field in `param`.
 * @module
 */
import type { z } from "zod";
import { HeraldError, InvalidRequestError } from "./errors.ts";
import { isJsonContentType, type ListedTimeout, TimeoutList } from "../lib/mod.ts";

// Decoding a whole body (no `stream` option) keeps no state between calls: one is shared.
const decoder = new TextDecoder();

/** Default largest body: 10 MB. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * The 413 for a body (or WebSocket message) over `maxBytes`, naming the limit and the setting.
 */
export function bodyTooLargeError(maxBytes: number): HeraldError {
  const mb = maxBytes / (1024 * 1024);
  const readable = mb >= 1 ? ` (${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB)` : "";
  return new HeraldError(
    `Request body is larger than the ${maxBytes}-byte limit${readable}. Send large images by ` +
      "URL or scaled down, or raise api_server.max_body_bytes.",
    {
      status: 413,
      type: "invalid_request_error",
      code: "body_too_large",
    },
  );
}

/** The 408 a body that stops arriving gets (`api_server.body_timeout`). */
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

/** The 400 a body with broken framing (or cut off mid-way) gets. */
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
 * A request's body, read once for everyone who wants it: under the body deadline when the
 * `bodyDeadline` guard set one (a read that waits `idleMs` without a byte fails with a 408), with
 * read failures (broken framing, a cut connection) turned into a 400. Obtained with
 * {@link requestBody}; guards and handlers that read the same request share what was read.
 */
export class RequestBody {
  readonly #req: Request;
  readonly #idleMs: number | undefined;
  #read?: Promise<Uint8Array<ArrayBuffer>>;

  constructor(req: Request, idleMs?: number) {
    this.#req = req;
    this.#idleMs = idleMs;
  }

  /**
   * The whole body, refusing more than `maxBytes` (413) on Content-Length and while reading, so
   * a chunked upload cannot exceed the cap either. Read on the first call; later calls get the
   * same bytes (or the same failure), checked against their own cap.
   */
  async bytes(maxBytes: number = DEFAULT_MAX_BODY_BYTES): Promise<Uint8Array<ArrayBuffer>> {
    if (!this.#read) {
      this.#read = this.#readAll(maxBytes);
      return await this.#read;
    }
    const bytes = await this.#read;
    if (bytes.byteLength > maxBytes) throw bodyTooLargeError(maxBytes);
    return bytes;
  }

  /**
   * A request like the original (URL, method, headers, signal) carrying the body read by
   * {@link bytes}, for code that reads a `Request` itself (a platform's webhook verifier): it then
   * reads under the same deadline. Each call gives a new request.
   */
  async request(maxBytes: number = Number.POSITIVE_INFINITY): Promise<Request> {
    const req = this.#req;
    const body = await this.bytes(maxBytes);
    return new Request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
      signal: req.signal,
    });
  }

  async #readAll(maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
    const req = this.#req;
    // Checked before `req.body` is touched: Deno then answers a refused body instead of
    // resetting the connection.
    const declared = Number(req.headers.get("content-length") ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) throw bodyTooLargeError(maxBytes);
    if (!req.body) return new Uint8Array(0);
    const reader = req.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    while (true) {
      const { value, done } = await this.#next(reader);
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw bodyTooLargeError(maxBytes);
      }
      chunks.push(value);
    }
    if (
      chunks.length === 1 && chunks[0].byteOffset === 0 && chunks[0].buffer.byteLength === total
    ) {
      return chunks[0] as Uint8Array<ArrayBuffer>;
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.byteLength;
    }
    return bytes;
  }

  /** One read, failing with a 408 after `idleMs` without data and with a 400 when it breaks. */
  #next(
    reader: ReadableStreamDefaultReader<Uint8Array>,
  ): Promise<ReadableStreamReadResult<Uint8Array>> {
    const idleMs = this.#idleMs;
    if (idleMs === undefined) {
      return reader.read().catch((error) => {
        throw readError(error);
      });
    }
    return new Promise((resolve, reject) => {
      let ended = false;
      let watched: ListedTimeout | undefined;
      reader.read().then((chunk) => {
        ended = true;
        watched?.cancel();
        resolve(chunk);
      }, (error) => {
        ended = true;
        watched?.cancel();
        reject(readError(error));
      });
      // Data that has already arrived is handed over within a few microtasks: only a read that
      // is still waiting once they have run is watched (the watch may need a timer; its clock
      // starts microseconds later than the read, well under the timer's own precision).
      afterMicrotasks().then(() => {
        if (ended) return;
        watched = idleWatch(idleMs).start(() => {
          const failure = bodyTimeoutError(idleMs);
          reject(failure);
          reader.cancel(failure).catch(() => {});
        });
      });
    });
  }
}

// A read of data Deno already holds settles after two or three microtasks; eight leave a margin.
const SETTLED = Promise.resolve();
function afterMicrotasks(): Promise<void> {
  return SETTLED.then().then().then().then().then().then().then();
}

/**
 * The reads waiting for body data, on one timer per allowed idle time (a read costs a list entry
 * instead of a timer of its own: setting and clearing one per read was a sizeable share of a
 * request's body handling).
 */
const watches = new Map<number, TimeoutList>();

function idleWatch(idleMs: number): TimeoutList {
  let watch = watches.get(idleMs);
  if (!watch) {
    watch = new TimeoutList(idleMs);
    watches.set(idleMs, watch);
  }
  return watch;
}

// Broken framing or a cut connection is the client's doing: a 400, not a 500.
function readError(error: unknown): HeraldError {
  return error instanceof HeraldError ? error : malformedBodyError(error);
}

const bodies = new WeakMap<Request, RequestBody>();

/**
 * The body of `req`, shared by every reader of this request: the one the `bodyDeadline` guard
 * registered (with its deadline), or else one without a deadline.
 *
 * @example
 * ```ts
 * const bytes = await requestBody(req).bytes(maxBytes);
 * ```
 */
export function requestBody(req: Request): RequestBody {
  let body = bodies.get(req);
  if (!body) {
    body = new RequestBody(req);
    bodies.set(req, body);
  }
  return body;
}

/** Registers the body of `req` as read under a deadline of `idleMs` without data (408). */
export function guardRequestBody(req: Request, idleMs: number): void {
  bodies.set(req, new RequestBody(req, idleMs));
}

/**
 * Reads the raw body (see {@link RequestBody.bytes}): refuses more than `maxBytes` (413), under the
 * body deadline when one was set.
 */
export function readBodyBytes(
  req: Request,
  maxBytes: number = DEFAULT_MAX_BODY_BYTES,
): Promise<Uint8Array<ArrayBuffer>> {
  return requestBody(req).bytes(maxBytes);
}

/** Reads the body as JSON, enforcing the content type and the size cap. */
export async function readJsonBody(
  req: Request,
  maxBytes: number = DEFAULT_MAX_BODY_BYTES,
): Promise<unknown> {
  if (!isJsonContentType(req.headers.get("content-type"))) {
    throw new HeraldError(
      "Request body must be JSON: send 'Content-Type: application/json'.",
      { status: 415, type: "invalid_request_error", code: "unsupported_media_type" },
    );
  }
  const bytes = await readBodyBytes(req, maxBytes);
  const text = decoder.decode(bytes);
  try {
    return JSON.parse(text);
  } catch (e) {
    // Told apart only once parsing failed: no trimmed copy of every body.
    if (text.trim() === "") {
      throw new InvalidRequestError("Request body is empty.", { code: "invalid_json" });
    }
    throw new InvalidRequestError(`Request body is not valid JSON: ${(e as Error).message}`, {
      code: "invalid_json",
    });
  }
}

/** Formats a zod path as an OpenAI `param`: `messages[2].content`. */
export function paramPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    out += typeof p === "number" ? `[${p}]` : (out ? "." : "") + String(p);
  }
  return out;
}

/** Validates `body` with `schema`; the first problem becomes a 400 naming its field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = paramPath(issue.path);
  const missing = (issue.code === "invalid_type" || issue.code === "invalid_union") &&
    valueAt(body, issue.path) === undefined;
  throw new InvalidRequestError(
    missing ? `Missing required parameter: '${param}'.` : `${param || "body"}: ${issue.message}`,
    { code: missing ? "missing_required_parameter" : "invalid_value", param: param || null },
  );
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
