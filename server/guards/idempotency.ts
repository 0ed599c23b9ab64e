/**
 * `Idempotency-Key` on non-streaming POSTs: a retry with the same key and body within the TTL gets
 * the first response, and the work (an agent run with tools) happens once. The openai SDK sends a
 * key on every retried POST, so a timed-out request that did finish is not run twice.
 * Entries are keyed on the caller's key name (`ctx.key`), the path and the Idempotency-Key, so
 * clients never see each other's responses; requests without a valid key are not cached. Memory is bounded by an entry cap, a byte cap and the TTL.
 * @module
 */
import { HeraldError, InvalidRequestError } from "../errors.ts";
import { DEFAULT_MAX_BODY_BYTES } from "../body.ts";
import { errorResponse } from "../error_envelope.ts";
import type { Middleware, RequestContext } from "../router.ts";
import { readBodyBytes } from "../body.ts";
import { isJsonContentType, sha256Hex } from "../../lib/mod.ts";

/** Options for {@link idempotency}. */
export interface IdempotencyOptions {
  /** How long a response is replayed, in milliseconds. Default 5 minutes. */
  ttlMs?: number;
  /** Most entries kept. Default 1 000. */
  maxEntries?: number;
  /** Most cached body bytes in total. Default 32 MiB. */
  maxBytes?: number;
  /** Largest request body read. Default 10 MB. */
  maxBodyBytes?: number;
  /** The clock, for tests. */
  now?: () => number;
}

interface Stored {
  status: number;
  headers: [string, string][];
  body: Uint8Array<ArrayBuffer>;
}

interface Entry {
  fingerprint: string;
  expires: number;
  /** Settles with the stored response, or null when it was not cacheable (waiters run anew). */
  result: Promise<Stored | null>;
  size: number;
}

// Statuses that say nothing about the work: retrying them must run the request again.
const NOT_CACHED = new Set([401, 403, 408, 409, 421, 429, 503]);
const MAX_KEY_LENGTH = 255;

/**
 * Builds the idempotency middleware. A request takes part when it is a POST to a known route,
 * carries `Idempotency-Key`, a JSON content type and a valid key, and its body is not a stream
 * request (`"stream": true`). Same key with a different body is a 422.
 *
 * @example
 * ```ts
 * idempotency({ ttlMs: 5 * 60_000 });
 * ```
 */
export function idempotency(options: IdempotencyOptions = {}): Middleware {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const maxEntries = options.maxEntries ?? 1_000;
  const maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let bytes = 0;

  const remove = (id: string, entry: Entry) => {
    if (entries.get(id) !== entry) return;
    entries.delete(id);
    bytes -= entry.size;
  };
  const evict = (t: number) => {
    for (const [id, e] of entries) if (e.expires <= t) remove(id, e);
    // Oldest first (Map keeps insertion order) until under both caps.
    for (const [id, e] of entries) {
      if (entries.size < maxEntries && bytes <= maxBytes) break;
      remove(id, e);
    }
  };

  // Not an async function: a request without the header passes on without one.
  return (req, ctx, next) => {
    const key = req.headers.get("idempotency-key");
    if (key === null || req.method !== "POST" || ctx.route?.method !== "POST") return next();
    return remembered(req, ctx, next, key);
  };

  async function remembered(
    req: Request,
    ctx: RequestContext,
    next: Parameters<Middleware>[2],
    key: string,
  ): Promise<Response> {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new InvalidRequestError(
        `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters long.`,
        { param: "Idempotency-Key" },
      );
    }
    if (!isJsonContentType(req.headers.get("content-type"))) {
      return await next();
    }
    // Without a valid key the request will get 401: nothing to remember.
    if (!ctx.key) return await next();
    const identity = ctx.key.name;

    const body = await readBodyBytes(req, maxBodyBytes);
    // Deliberately not tied to the client's signal: a retry may come to collect this work, so
    // it should finish even if the first client left.
    const replacement = new Request(req.url, { method: req.method, headers: req.headers, body });
    if (isStreamRequest(body)) return await next(replacement);

    const t = now();
    const id = await sha256Hex(`${identity}\0${ctx.url.pathname}\0${key}`);
    const fingerprint = await sha256Hex(body);
    const existing = entries.get(id);
    if (existing && existing.expires <= t) remove(id, existing);
    const live = entries.get(id);
    if (live) {
      if (live.fingerprint !== fingerprint) {
        throw new HeraldError(
          "Idempotency-Key was already used with a different request body; use a new key for a " +
            "new request.",
          { status: 422, type: "invalid_request_error", code: "idempotency_key_reused" },
        );
      }
      const stored = await live.result;
      if (stored) return replay(stored);
      // The first attempt was not cacheable (e.g. 429): this one runs on its own.
      return await next(replacement);
    }

    let settle!: (s: Stored | null) => void;
    const entry: Entry = {
      fingerprint,
      expires: t + ttlMs,
      result: new Promise((resolve) => settle = resolve),
      size: 0,
    };
    evict(t);
    entries.set(id, entry);
    let res: Response;
    try {
      res = await next(replacement);
    } catch (error) {
      res = errorResponse(error);
    }
    const streaming = (res.headers.get("content-type") ?? "").includes("text/event-stream");
    if (NOT_CACHED.has(res.status) || streaming || !res.body && res.status !== 204) {
      remove(id, entry);
      settle(null);
      return res;
    }
    let stored: Stored;
    try {
      stored = {
        status: res.status,
        headers: [...res.headers].filter(([name]) => name.toLowerCase() !== "x-request-id"),
        body: new Uint8Array(await res.arrayBuffer()),
      };
    } catch (error) {
      remove(id, entry);
      settle(null);
      throw error;
    }
    entry.size = stored.body.byteLength;
    bytes += entry.size;
    if (entry.size > maxBytes / 8) remove(id, entry);
    else evict(now());
    settle(stored);
    return replay(stored, false);
  }
}

function isStreamRequest(body: Uint8Array): boolean {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body));
    return typeof parsed === "object" && parsed !== null && parsed.stream === true;
  } catch {
    return false;
  }
}

function replay(stored: Stored, replayed = true): Response {
  const headers = new Headers(stored.headers);
  if (replayed) headers.set("Idempotent-Replayed", "true");
  const body = stored.status === 204 || stored.status === 304 ? null : stored.body.slice();
  return new Response(body, { status: stored.status, headers });
}
