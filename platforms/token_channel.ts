/**
 * The token channel: a turn's AgentEvents streamed from the host to a platform worker over the
 * turn's own MessagePort. The channel carries the agent's `AgentEvent` type itself, so there is
 * one definition of the events; {@link AGENT_EVENT_TYPES} lists every event type and the
 * compiler refuses it when a new type is added to `AgentEvent` and not here, and the reader
 * reports (never silently drops) a message of a type it does not know.
 * @module
 */
import type { AgentEvent } from "../agent/mod.ts";

/** One event on the channel: exactly the agent's event. */
export type ChannelEvent = AgentEvent;

/**
 * Every AgentEvent type. `satisfies Record<AgentEvent["type"], true>` makes a new event type in
 * agent/events.ts a compile error until it is listed here, and every renderer's exhaustive
 * switch (see {@link assertNever}) then has to say what it does with it.
 */
export const AGENT_EVENT_TYPES = {
  text_delta: true,
  reasoning_delta: true,
  tool_call_started: true,
  tool_call_arguments_delta: true,
  tool_call_done: true,
  tool_started: true,
  tool_completed: true,
  approval_requested: true,
  approval_resolved: true,
  segment_break: true,
  usage: true,
  final: true,
} as const satisfies Record<AgentEvent["type"], true>;

/** For the `default` branch of an exhaustive switch over event types. */
export function assertNever(value: never, what = "value"): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`);
}

/** The message posted on the port for each event. */
interface ChannelMessage {
  type: "event";
  event: ChannelEvent;
}

/**
 * Posts one event on a turn's port (host side). Events are structured-cloned; a tool's output is
 * cut to keep what crosses the boundary small (no renderer shows more than a preview of it).
 */
export function postEvent(port: MessagePort, event: AgentEvent): void {
  const message: ChannelMessage = { type: "event", event: slim(event) };
  port.postMessage(message);
}

const MAX_TOOL_OUTPUT_CHARS = 2000;

function slim(event: AgentEvent): AgentEvent {
  if (event.type === "tool_completed" && event.output.length > MAX_TOOL_OUTPUT_CHARS) {
    return { ...event, output: event.output.slice(0, MAX_TOOL_OUTPUT_CHARS) + "…" };
  }
  return event;
}

/** Checks that a message from the port is an event of a known type with its key fields. */
export function parseChannelMessage(data: unknown): ChannelEvent | string {
  const message = data as Partial<ChannelMessage> | null;
  if (!message || typeof message !== "object" || message.type !== "event") {
    return "not an event message";
  }
  const event = message.event as { type?: unknown } | undefined;
  if (!event || typeof event.type !== "string") return "an event without a type";
  if (!Object.hasOwn(AGENT_EVENT_TYPES, event.type)) {
    return `an event of unknown type "${event.type}"`;
  }
  const e = event as Record<string, unknown>;
  switch (event.type as AgentEvent["type"]) {
    case "text_delta":
    case "reasoning_delta":
      if (typeof e.delta !== "string") return `a ${event.type} without a delta`;
      break;
    case "final": {
      const result = e.result as Record<string, unknown> | undefined;
      if (!result || typeof result.text !== "string" || typeof result.status !== "string") {
        return "a final event without a result";
      }
      break;
    }
    case "tool_started":
    case "tool_call_done":
    case "tool_completed": {
      const call = e.call as { function?: { name?: unknown } } | undefined;
      if (typeof call?.function?.name !== "string") return `a ${event.type} without a call`;
      break;
    }
    case "approval_requested":
    case "approval_resolved":
      if (typeof (e.approval as { id?: unknown } | undefined)?.id !== "string") {
        return `an ${event.type} without an approval`;
      }
      break;
    case "tool_call_started":
    case "tool_call_arguments_delta":
    case "segment_break":
    case "usage":
      break;
  }
  return event as ChannelEvent;
}

/**
 * Yields the events arriving on `port` until the turn's `final` event, then closes the port.
 * Malformed messages and unknown event types are reported through `onInvalid` and skipped.
 *
 * @example
 * ```ts
 * for await (const event of readTokenChannel(port, log)) render(event);
 * ```
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
      const parsed = parseChannelMessage(queue.shift());
      if (typeof parsed === "string") {
        onInvalid(`ignored a token channel message: ${parsed}`);
        continue;
      }
      yield parsed;
      if (parsed.type === "final") return;
    }
  } finally {
    port.onmessage = null;
    port.close();
  }
}
