/**
 * Timeouts for a streaming upstream: a first-token timeout (the model never starts) and a stale
 * timeout (the stream stops sending mid-answer). Either aborts the stream with an UpstreamError
 * that names the upstream URL (without credentials or query) and never its key.
 * @module
 */
import { UpstreamError } from "./errors.ts";

/** Which timeout fired (`connect` only for {@link StreamWatchdog} with `connectMs`). */
export type StreamTimeout = "connect" | "first_item" | "idle";

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
 * Yields the items of `iterable`, failing with UpstreamError (`upstream_timeout`) when the
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
  const { signal } = options;
  if (signal?.aborted) throw signal.reason;
  // One timer and one abort listener for the whole stream, not one per item: at tens of
  // thousands of tokens per second, arming a timer per chunk cost more than relaying it.
  let kind: StreamTimeout = "first_item";
  let limit = options.firstItemMs;
  let deadline = performance.now() + limit;
  let waiting = false;
  // Not Promise.race against one long-lived "failed" promise: every race leaves a reaction on
  // that promise until it settles, so a long stream would keep one per item.
  let failure: { error: unknown } | undefined;
  let rejectWait: ((error: unknown) => void) | undefined;
  const fail = (error: unknown) => {
    if (failure) return;
    failure = { error };
    rejectWait?.(error);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = 0;
  const arm = (ms: number) => {
    clearTimeout(timer);
    timerAt = performance.now() + ms;
    timer = setTimeout(check, ms);
  };
  const check = () => {
    const left = deadline - performance.now();
    if (!waiting || left > 0) {
      arm(Math.max(1, waiting ? left : limit));
      return;
    }
    timer = undefined;
    try {
      options.onTimeout?.(kind);
    } catch { /* the error below is what matters */ }
    fail(timeoutError(kind, limit, options.url));
  };
  const onAbort = () => fail(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  arm(limit);
  let finished = false;
  try {
    while (true) {
      deadline = performance.now() + limit;
      // Only a shorter limit than the armed one (first token → idle) needs a new timer.
      if (timerAt > deadline) arm(limit);
      waiting = true;
      if (failure) throw failure.error;
      const next = iterator.next();
      const result = await new Promise<IteratorResult<T>>((resolve, reject) => {
        rejectWait = reject;
        next.then(resolve, reject);
      });
      rejectWait = undefined;
      waiting = false;
      if (result.done) {
        finished = true;
        return;
      }
      kind = "idle";
      limit = options.idleMs;
      yield result.value;
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    // Stopped early (timeout, abort, consumer break): release the upstream connection. Not
    // awaited: a hung upstream must not hang the caller too.
    if (!finished) iterator.return?.().catch(() => {});
  }
}

/** Options for {@link StreamWatchdog}. */
export interface StreamWatchdogOptions {
  /**
   * Milliseconds to wait for the response headers (`llm.connect_timeout`), until
   * {@link StreamWatchdog.connected}; only when shorter than `firstItemMs`, which covers
   * connecting too.
   */
  connectMs?: number;
  /** Milliseconds to wait for the first item (`llm.first_token_timeout`). */
  firstItemMs: number;
  /** Milliseconds allowed between items (`llm.stale_timeout`). */
  idleMs: number;
  /** The upstream URL, for the error message. Credentials and query are removed. */
  url?: string;
  /** Called once when a timeout fires, with the UpstreamError to fail with: abort the read. */
  onTimeout: (error: UpstreamError, kind: StreamTimeout) => void;
}

/**
 * The timeouts of {@link watchStream} without wrapping the stream: the reader calls
 * {@link StreamWatchdog.waiting} before it waits for the next item and
 * {@link StreamWatchdog.sawItem} when one came, and a timeout calls `onTimeout`, which aborts
 * the read. One timer per stream, re-armed lazily from a deadline; time the reader spends
 * elsewhere (its consumer busy) does not count. For the LLM client's hot path: no generator, no
 * promise and no closure per item.
 */
export class StreamWatchdog {
  readonly #options: StreamWatchdogOptions;
  #kind: StreamTimeout = "first_item";
  #limit: number;
  #deadline: number;
  #waiting = true;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = 0;
  /** When the headers must have come by, until {@link connected}. */
  #connectDeadline: number | undefined;

  /** Starts the first-item window at once (it covers connecting too), and the connect window. */
  constructor(options: StreamWatchdogOptions) {
    this.#options = options;
    this.#limit = options.firstItemMs;
    const now = performance.now();
    this.#deadline = now + this.#limit;
    const { connectMs } = options;
    if (connectMs !== undefined && connectMs < this.#limit) {
      this.#connectDeadline = now + connectMs;
      this.#arm(connectMs);
    } else {
      this.#arm(this.#limit);
    }
  }

  /** The response headers came: the connect window is over. */
  connected(): void {
    this.#connectDeadline = undefined;
  }

  /** The reader is about to wait for the next item: the current limit runs from now. */
  waiting(): void {
    this.#deadline = performance.now() + this.#limit;
    // Only a shorter limit than the armed one (first item → idle) needs a new timer.
    if (this.#timerAt > this.#deadline) this.#arm(this.#limit);
    this.#waiting = true;
  }

  /** An item arrived: from now on the idle limit applies. */
  sawItem(): void {
    this.#waiting = false;
    this.#kind = "idle";
    this.#limit = this.#options.idleMs;
  }

  /** Ends the watch (the stream ended, failed or was left). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    clearTimeout(this.#timer);
    this.#timerAt = performance.now() + ms;
    this.#timer = setTimeout(this.#check, ms);
  }

  #check = (): void => {
    if (this.#stopped) return;
    const now = performance.now();
    const connectLeft = this.#connectDeadline === undefined
      ? Infinity
      : this.#connectDeadline - now;
    if (connectLeft <= 0) {
      this.stop();
      const ms = this.#options.connectMs!;
      this.#options.onTimeout(timeoutError("connect", ms, this.#options.url), "connect");
      return;
    }
    const left = this.#deadline - now;
    if (!this.#waiting || left > 0) {
      this.#arm(Math.max(1, Math.min(connectLeft, this.#waiting ? left : this.#limit)));
      return;
    }
    this.stop();
    this.#options.onTimeout(timeoutError(this.#kind, this.#limit, this.#options.url), this.#kind);
  };
}

function timeoutError(kind: StreamTimeout, ms: number, url: string | undefined): UpstreamError {
  const where = url ? `The upstream at ${redactUrl(url)}` : "The upstream";
  const seconds = Math.round(ms / 100) / 10;
  const message = kind === "connect"
    ? `${where} sent no response headers within ${seconds} s (llm.connect_timeout).`
    : kind === "first_item"
    ? `${where} sent no first token within ${seconds} s (llm.first_token_timeout).`
    : `${where} stopped sending for ${seconds} s mid-stream (llm.stale_timeout).`;
  return new UpstreamError(message, { code: "upstream_timeout" });
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
