/**
 * Reading and validating request bodies: JSON only (415 otherwise, so a web page cannot send a
 * cross-site "simple" request), a size cap checked on Content-Length and while reading (413),
 * invalid JSON (400), and zod validation whose first issue names the field in `param`.
 * @module
 */
import type { z } from "zod";
import { HeraldError, InvalidRequestError } from "./errors.ts";
import { isJsonContentType } from "../lib/mod.ts";

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

/**
 * Reads the raw body, refusing more than `maxBytes` (413) on Content-Length and while reading, so
 * a chunked upload cannot exceed the cap either.
 */
export async function readBodyBytes(
  req: Request,
  maxBytes: number = DEFAULT_MAX_BODY_BYTES,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw bodyTooLargeError(maxBytes);
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  while (true) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      // Broken framing or a cut connection is the client's doing: a 400, not a 500.
      if (error instanceof HeraldError) throw error;
      throw new HeraldError(
        "The request body could not be read: its framing is malformed (e.g. broken chunked " +
          "encoding) or the connection ended before it was complete.",
        { status: 400, type: "invalid_request_error", code: "malformed_body", cause: error },
      );
    }
    const { value, done } = chunk;
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw bodyTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
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
