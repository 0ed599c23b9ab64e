/**
 * Calls back once a response body has been fully sent, cancelled by the client, or failed, so
 * that a slot or a log line can cover the whole stream and not just the time to headers.
 * @module
 */

import { hasFixedBody } from "../fixed_body.ts";

/** How a response body ended. */
export type BodyOutcome = "complete" | "cancelled" | "error";

/**
 * Returns a response whose body reports its end to `onDone` exactly once. A response without a
 * body reports "complete" at once. Given `sent` (the server's `completed`, as
 * `RequestContext.completed`), a successful response with a fixed body (server/fixed_body.ts) is
 * returned as it is and reports when the server has sent it ("complete") or could not
 * ("cancelled"). Cancelling the returned body cancels the original, so an SSE
 * producer still learns that its client left.
 *
 * @example
 * ```ts
 * const tracked = trackBody(await next(), (outcome) => release(outcome));
 * ```
 */
export function trackBody(
  res: Response,
  onDone: (outcome: BodyOutcome) => void,
  sent?: Promise<"sent" | "failed">,
): Response {
  // A successful fixed body (a JSON answer) is not wrapped: the server says when it has gone
  // out. Checked before `res.body`, which would turn the fixed body into a stream. Errors keep
  // the wrapper: one answered before the request body was read (a 413 on Content-Length) is
  // then still delivered before the server closes the connection on the unread body.
  if (sent && res.status < 400 && hasFixedBody(res)) {
    sent.then((done) => onDone(done === "sent" ? "complete" : "cancelled"));
    return res;
  }
  if (!res.body) {
    onDone("complete");
    return res;
  }
  // Tracking a response this function already wraps adds a callback instead of a second
  // wrapper: each wrapper cost a stream, a read and a promise per chunk on every stream.
  const tracked = trackers.get(res);
  if (tracked) {
    if (tracked.outcome) onDone(tracked.outcome);
    else tracked.callbacks.push(onDone);
    return res;
  }
  const state: Tracker = { callbacks: [onDone] };
  const end = (outcome: BodyOutcome) => settle(state, outcome);
  const reader = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          controller.close();
          end("complete");
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        end("error");
        controller.error(error);
      }
    },
    async cancel(reason) {
      end("cancelled");
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
  const wrapped = new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
  trackers.set(wrapped, state);
  return wrapped;
}

/**
 * A response whose body's producer reports the body's end itself, through `end` (an SSE stream
 * the server writes): {@link trackBody} then adds its callbacks to it instead of wrapping the
 * body in another stream, which cost a stream, a read and a promise per chunk. `end` must be
 * called once the body has been read to its end (after the last chunk was taken, not when it was
 * written), or was cancelled; later calls are ignored.
 */
export function selfTrackedResponse(
  body: ReadableStream<Uint8Array>,
  init: ResponseInit,
): { response: Response; end: (outcome: BodyOutcome) => void } {
  const response = new Response(body, init);
  const state: Tracker = { callbacks: [] };
  trackers.set(response, state);
  return {
    response,
    end: (outcome) => settle(state, outcome),
  };
}

interface Tracker {
  callbacks: ((outcome: BodyOutcome) => void)[];
  outcome?: BodyOutcome;
}

const trackers = new WeakMap<Response, Tracker>();

/** Records a body's end once and tells every callback; later calls are ignored. */
function settle(state: Tracker, outcome: BodyOutcome): void {
  if (state.outcome) return;
  state.outcome = outcome;
  for (const callback of state.callbacks.splice(0)) {
    try {
      callback(outcome);
    } catch { /* one failing callback must not keep the others from running */ }
  }
}
