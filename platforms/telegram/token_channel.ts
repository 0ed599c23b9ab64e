/**
 * The receiving end of a turn's token channel: the MessagePort the host streams a turn's
 * AgentEvents over, read as an async iterator of validated events.
 * @module
 */
import { type TokenChannelMessage, TokenChannelMessageSchema } from "./protocol.ts";

/** One validated event from the token channel. */
export type ChannelEvent = TokenChannelMessage["event"];

/**
 * Yields the events arriving on `port` until the turn's `final` event, then closes the port.
 * Malformed messages are reported through `onInvalid` and skipped.
 */
export async function* readTokenChannel(
  port: MessagePort,
  onInvalid: (problem: string) => void,
): AsyncGenerator<ChannelEvent> {
  const queue: unknown[] = [];
  let wake: (() => void) | undefined;
  port.onmessage = (e: MessageEvent) => {
    queue.push(e.data);
    wake?.();
  };
  try {
    while (true) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => wake = resolve);
        wake = undefined;
        continue;
      }
      const parsed = TokenChannelMessageSchema.safeParse(queue.shift());
      if (!parsed.success) {
        onInvalid(`Telegram: ignored a malformed token channel message: ${parsed.error.message}`);
        continue;
      }
      yield parsed.data.event;
      if (parsed.data.event.type === "final") return;
    }
  } finally {
    port.onmessage = null;
    port.close();
  }
}
