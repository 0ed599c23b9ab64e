/**
 * Server-sent events over a native ReadableStream: events batched per read, single-line JSON,
 * keep-alive comments during silence, and a cancel hook that aborts the producer when the
 * client leaves (Deno 2.9's `request.signal` also fires after normal completion, so the
 * stream's `cancel()` is the reliable disconnect signal).
 * @module
 */

import { setImmediate } from "node:timers";
import { type BodyOutcome, selfTrackedResponse } from "./guards/mod.ts";

const encoder = new TextEncoder();

/**
 * Streams whose waiting reader is handed their frames once the current turn of the event loop
 * has run: every frame the turn wrote (the tokens of one upstream read, one event after another)
 * goes as one chunk, for every stream that wrote any, from one `setImmediate`.
 */
const due = new Set<() => void>();
let dueScheduled = false;

function deliverDue(): void {
  dueScheduled = false;
  const streams = [...due];
  due.clear();
  for (const deliver of streams) deliver();
}

function deliverSoon(deliver: () => void): void {
  due.add(deliver);
  if (!dueScheduled) {
    dueScheduled = true;
    setImmediate(deliverDue);
  }
}

/** Characters of unread frames above which the reader counts as lagging. */
const BACKLOG_CHARS = 16 * 1024;

/** Writes SSE frames; every method is a no-op once the stream is closed. */
export interface SseWriter {
  /** `data: <json>` (with an `event:` line when `event` is given). */
  send(data: unknown, event?: string): void;
  /** A raw `data:` line, e.g. `[DONE]`. */
  sendRaw(data: string): void;
  /**
   * A whole frame, already formatted (`data: …` and the blank line that ends it): for renderers
   * that keep a frame's constant parts ready and add only what changes, once per token.
   */
  sendFrame(frame: string): void;
  /** An SSE comment line, invisible to parsers. */
  comment(text: string): void;
  /** Ends the stream. */
  close(): void;
  /** True once the client left or the stream was closed. */
  readonly closed: boolean;
  /**
   * True while more than a few kilobytes of written frames wait for the reader: it is not
   * keeping up (a frame or two waiting for the next read is normal and not counted).
   */
  readonly backlogged: boolean;
}

/** Options for {@link sseResponse}. */
export interface SseOptions {
  /** Produces the events; its promise settling closes the stream. */
  produce(writer: SseWriter): Promise<void>;
  /**
   * Ends the stream the protocol's way when `produce` failed while the client is still reading
   * (an error frame, then `[DONE]`). Without it the stream just ends.
   */
  onError?: (error: unknown, writer: SseWriter) => void;
  /**
   * Records a failure of `produce` with its cause (the client only sees the protocol's error
   * frame). Default: stderr.
   */
  report?: (error: unknown) => void;
  /** Called once when the client disconnects before the stream ended. */
  onCancel?: () => void;
  /** Silence before a `: keepalive` comment is sent; default 15 000 ms. */
  keepAliveMs?: number;
  /** Extra response headers. */
  headers?: HeadersInit;
}

/** Builds a `text/event-stream` response driven by `produce`. */
export function sseResponse(options: SseOptions): Response {
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  // Closed by the writer, but the reader has not taken everything yet.
  let ending = false;
  let reportEnd: (outcome: BodyOutcome) => void = () => {};
  let timer: ReturnType<typeof setInterval> | undefined;

  const stop = () => {
    closed = true;
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  let lastWrite = Date.now();
  // Frames written while the reader is still busy with the previous chunk are joined and handed
  // over on its next pull: one chunk (and one socket write) per read instead of one per token,
  // and no added delay when the reader is waiting.
  let pending = "";
  const flush = () => {
    if (!pending) return;
    const text = pending;
    pending = "";
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      stop();
    }
  };
  // The reader (Deno's HTTP server) asked for a chunk and none was there: what is written now
  // goes to it as soon as this turn of the event loop has run, together with every other frame
  // the turn writes (the other tokens of the same upstream read) — one chunk, one socket write,
  // and no timer's delay. Frames written while it is busy sending the last chunk wait in
  // `pending` and go together on its next pull (the stream queues nothing: highWaterMark 0).
  let waiting = false;
  let isDue = false;
  const deliver = () => {
    isDue = false;
    if (!waiting) return;
    waiting = false;
    if (pending) flush();
    else if (ending) finish();
  };
  const enqueue = (text: string) => {
    if (closed) return;
    lastWrite = Date.now();
    pending += text;
    if (waiting && !isDue) {
      isDue = true;
      deliverSoon(deliver);
    }
  };
  const writer: SseWriter = {
    send(data, event) {
      enqueue(`${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`);
    },
    sendRaw(data) {
      enqueue(`data: ${data}\n\n`);
    },
    sendFrame(frame) {
      enqueue(frame);
    },
    comment(text) {
      enqueue(`: ${text}\n\n`);
    },
    close() {
      if (closed) return;
      stop();
      ending = true;
      // The stream closes, and reports its end to the guards that track it (the request log,
      // the run limit), once the reader has taken every frame: see pull().
      if (waiting) {
        waiting = false;
        if (pending) flush();
        else finish();
      }
    },
    get closed() {
      return closed;
    },
    get backlogged() {
      return pending.length > BACKLOG_CHARS;
    },
  };

  // Nothing after the hand-over may vanish: the cause goes to the log, the client gets the
  // protocol's ending instead of a stream that just stops.
  const fail = (error: unknown) => {
    try {
      (options.report ?? reportToStderr)(error);
    } catch { /* a failing log sink must not keep the stream open */ }
    if (closed || !options.onError) return;
    try {
      options.onError(error, writer);
    } catch (secondary) {
      try {
        (options.report ?? reportToStderr)(secondary);
      } catch { /* as above */ }
    }
  };

  const finish = () => {
    ending = false;
    try {
      controller.close();
    } catch { /* already closed or cancelled */ }
    reportEnd("complete");
  };

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      timer = setInterval(() => {
        if (Date.now() - lastWrite >= keepAliveMs) writer.comment("keepalive");
      }, Math.max(50, Math.min(keepAliveMs, 5_000)));
      // Start producing after the Response is returned.
      queueMicrotask(() => {
        options.produce(writer).catch((error) => fail(error)).finally(() => writer.close());
      });
    },
    pull() {
      if (pending) flush();
      else if (ending) finish();
      else waiting = true;
    },
    cancel() {
      pending = "";
      waiting = false;
      ending = false;
      const wasOpen = !closed;
      stop();
      reportEnd("cancelled");
      if (wasOpen) options.onCancel?.();
    },
  }, { highWaterMark: 0 });

  const headers = new Headers(options.headers);
  headers.set("Content-Type", "text/event-stream; charset=utf-8");
  headers.set("Cache-Control", "no-cache, no-transform");
  headers.set("X-Accel-Buffering", "no");
  // Guards that track the body's end (trackBody) are told by this stream itself, rather than by
  // a second stream wrapped around it.
  const { response, end } = selfTrackedResponse(body, { status: 200, headers });
  reportEnd = end;
  return response;
}

function reportToStderr(error: unknown): void {
  console.error("A streamed response failed after it began:", error);
}
