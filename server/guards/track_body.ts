/**
 * Calls back once a response body has been fully sent, cancelled by the client, or failed, so
 * that a slot or a log line can cover the whole stream and not just the time to headers.
 * @module
 */

/** How a response body ended. */
export type BodyOutcome = "complete" | "cancelled" | "error";

/**
 * Returns a response whose body reports its end to `onDone` exactly once. A response without a
 * body reports "complete" at once. Cancelling the returned body cancels the original, so an SSE
 * producer still learns that its client left.
 *
 * @example
 * ```ts
 * const tracked = trackBody(await next(), (outcome) => release(outcome));
 * ```
 */
export function trackBody(res: Response, onDone: (outcome: BodyOutcome) => void): Response {
  if (!res.body) {
    onDone("complete");
    return res;
  }
  let ended = false;
  const end = (outcome: BodyOutcome) => {
    if (ended) return;
    ended = true;
    onDone(outcome);
  };
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
  return new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}
