/// <reference lib="dom" />
/**
 * Reads a Server-Sent Events body (a Responses stream) into events; `data: [DONE]` ends it.
 * @module
 */

/** One event: its JSON data (with `type`). */
// deno-lint-ignore no-explicit-any
export type StreamEvent = { type: string; [key: string]: any };

/** Yields each event's parsed data until the stream ends or says `[DONE]`. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
        const data = block.split(/\r?\n/).filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).replace(/^ /, "")).join("\n");
        if (data === "") continue;
        if (data === "[DONE]") return;
        yield JSON.parse(data) as StreamEvent;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
