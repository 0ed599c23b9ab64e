/**
 * Timeouts for a streaming upstream: a first-token timeout (the model never starts) and a stale
 * timeout (the stream stops sending mid-answer). Either aborts the stream with an UpstreamError
 * that names the upstream URL (without credentials or query) and never its key.
 * @module
 */
import { UpstreamError } from "./errors.ts";

/** Which timeout fired. */
export type StreamTimeout = "first_item" | "idle";

/** Options for {@link watchStream}. */
export interface WatchStreamOptions {
  /** Milliseconds to wait for the first item (`llm.first_token_timeout`). */
  firstItemMs: number;
  /** Milliseconds allowed between items (`llm.stale_timeout`). */
  idleMs: number;
  /** Stops waiting when aborted (client left, shutdown); the abort reason is thrown. */
  signal?: AbortSignal;
  /** Called when a timeout fires, before the error is thrown: abort the upstream request here. */
  onTimeout?: (kind: StreamTimeout) => void;
  /** The upstream URL, for the error message. Credentials and query are removed. */
  url?: string;
}

/**
 * Yields the items of `iterable`, failing with UpstreamError (504, `upstream_timeout`) when the
 * first item or any later one takes too long. The source iterator is closed on timeout, abort,
 * or when the consumer stops early.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const stream = await client.chat.completions.create(body, { signal: controller.signal });
 * for await (const chunk of watchStream(stream, {
 *   firstItemMs: 120_000, idleMs: 180_000, url: baseUrl, onTimeout: () => controller.abort(),
 * })) { ... }
 * ```
 */
export async function* watchStream<T>(
  iterable: AsyncIterable<T>,
  options: WatchStreamOptions,
): AsyncGenerator<T, void, undefined> {
  const iterator = iterable[Symbol.asyncIterator]();
  let first = true;
  let finished = false;
  try {
    while (true) {
      const kind: StreamTimeout = first ? "first_item" : "idle";
      const result = await nextWithin(
        iterator,
        first ? options.firstItemMs : options.idleMs,
        kind,
        options,
      );
      if (result.done) {
        finished = true;
        return;
      }
      first = false;
      yield result.value;
    }
  } finally {
    // Stopped early (timeout, abort, consumer break): release the upstream connection. Not
    // awaited: a hung upstream must not hang the caller too.
    if (!finished) iterator.return?.().catch(() => {});
  }
}

function nextWithin<T>(
  iterator: AsyncIterator<T>,
  ms: number,
  kind: StreamTimeout,
  options: WatchStreamOptions,
): Promise<IteratorResult<T>> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    let settled = false;
    const cleanup = () => {
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      if (settled) return;
      cleanup();
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      if (settled) return;
      cleanup();
      try {
        options.onTimeout?.(kind);
      } catch { /* the error below is what matters */ }
      reject(timeoutError(kind, ms, options.url));
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
    iterator.next().then(
      (result) => {
        if (settled) return;
        cleanup();
        resolve(result);
      },
      (error) => {
        if (settled) return;
        cleanup();
        reject(error);
      },
    );
  });
}

function timeoutError(kind: StreamTimeout, ms: number, url: string | undefined): UpstreamError {
  const where = url ? `The upstream at ${redactUrl(url)}` : "The upstream";
  const seconds = Math.round(ms / 100) / 10;
  const message = kind === "first_item"
    ? `${where} sent no first token within ${seconds} s (llm.first_token_timeout).`
    : `${where} stopped sending for ${seconds} s mid-stream (llm.stale_timeout).`;
  return new UpstreamError(message, { status: 504, code: "upstream_timeout" });
}

/** The URL without user info, query or fragment, which can carry keys. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    u.hash = "";
    return u.toString();
  } catch {
    return "(an invalid URL)";
  }
}
