/**
 * Slack Socket Mode: asks `apps.connections.open` (with the app-level token) for a WebSocket URL,
 * connects, and hands every envelope (`events_api`, `slash_commands`, `interactive`) to the
 * worker, which acknowledges it (`{envelope_id}`) only once the host has stored it. Slack's
 * `disconnect` message, a closed socket or a silent one leads to a fresh URL and a reconnect.
 * @module
 */
import { SlackApiError, type SlackWebApi } from "./web_api.ts";
import { abortableSleep, describeError } from "../../lib/mod.ts";

/** One Socket Mode envelope. */
export interface SocketEnvelope {
  envelope_id: string;
  type: "events_api" | "slash_commands" | "interactive";
  payload: Record<string, unknown>;
  retry_attempt?: number;
}

/** What the connection calls back. */
export interface SocketModeHandlers {
  /** An envelope arrived; call `ack` once it is safely stored (or needs nothing). */
  onEnvelope(envelope: SocketEnvelope, ack: () => void): void;
  /** The first `hello`: connected. */
  onHello?(): void;
  log(line: string): void;
}

const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

/**
 * Keeps a Socket Mode connection open until `signal` aborts. Rejects only when the app token is
 * refused (a configuration problem); network trouble is retried with backoff.
 */
export async function runSocketMode(
  appApi: SlackWebApi,
  handlers: SocketModeHandlers,
  signal: AbortSignal,
): Promise<void> {
  let delay = RECONNECT_MIN_MS;
  let hello = false;
  while (!signal.aborted) {
    let url: string;
    try {
      ({ url } = await appApi.call<{ url: string }>("apps.connections.open", {}, { signal }));
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof SlackApiError && error.retryAfterSeconds === undefined) {
        if (!error.code.startsWith("http_")) throw error;
      }
      handlers.log(`Slack: apps.connections.open failed (${describeError(error)}); retrying.`);
      await abortableSleep(delay, signal);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
      continue;
    }
    const closed = await connectOnce(url, {
      ...handlers,
      onHello: () => {
        delay = RECONNECT_MIN_MS;
        if (!hello) handlers.onHello?.();
        hello = true;
      },
    }, signal);
    if (signal.aborted) return;
    handlers.log(`Slack: the Socket Mode connection closed (${closed}); reconnecting.`);
    await abortableSleep(delay, signal);
    delay = Math.min(delay * 2, RECONNECT_MAX_MS);
  }
}

/** One WebSocket connection; resolves with why it closed. */
function connectOnce(
  url: string,
  handlers: SocketModeHandlers,
  signal: AbortSignal,
): Promise<string> {
  return new Promise((resolve) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch (error) {
      resolve(describeError(error));
      return;
    }
    const onAbort = () => ws.close(1000);
    signal.addEventListener("abort", onAbort, { once: true });
    ws.onmessage = (event) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        handlers.log("Slack: ignored a Socket Mode frame that is not JSON");
        return;
      }
      if (message.type === "hello") return handlers.onHello?.();
      if (message.type === "disconnect") {
        ws.close(1000);
        return;
      }
      if (typeof message.envelope_id !== "string") return;
      const envelope = message as unknown as SocketEnvelope;
      let acked = false;
      handlers.onEnvelope(envelope, () => {
        if (acked || ws.readyState !== WebSocket.OPEN) return;
        acked = true;
        ws.send(JSON.stringify({ envelope_id: envelope.envelope_id }));
      });
    };
    ws.onerror = () => {};
    ws.onclose = (event) => {
      signal.removeEventListener("abort", onAbort);
      resolve(event.reason || `code ${event.code}`);
    };
  });
}
