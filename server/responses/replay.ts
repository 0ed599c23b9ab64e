/**
 * Replaying a response's stream events: following a running background response live, or
 * sending the stored events of one that is no longer running here.
 * @module
 */
import { sseResponse } from "../sse.ts";
import type { ResponsesDeps } from "./deps.ts";
import type { ResponseStreamEvent } from "./emitter.ts";
import type { LiveRun } from "./live_runs.ts";

/** Streams a running response's events after `after`, following it to the end. */
export function streamLive(
  live: LiveRun,
  _id: string,
  after: number,
  deps: Pick<ResponsesDeps, "keepAliveMs">,
): Response {
  const stop = new AbortController();
  return sseResponse({
    keepAliveMs: deps.keepAliveMs,
    onCancel: () => stop.abort(),
    produce: async (writer) => {
      for await (const event of live.follow(after, stop.signal)) writer.send(event, event.type);
      if (!stop.signal.aborted) writer.sendRaw("[DONE]");
    },
  });
}

/** Streams stored events after `after` (a response that is no longer running here). */
export function streamStored(events: ResponseStreamEvent[], after: number): Response {
  return sseResponse({
    produce: (writer) => {
      for (const event of events) if (event.sequence_number > after) writer.send(event, event.type);
      writer.sendRaw("[DONE]");
      return Promise.resolve();
    },
  });
}
