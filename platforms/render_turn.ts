/**
 * Reads a turn's token channel in a platform worker and hands each event to the platform's
 * renderer. The switch is exhaustive over AgentEvent: a new event type does not compile until
 * it is decided here whether chat platforms show it.
 * @module
 */
import type { AgentEvent, TurnResult } from "../agent/mod.ts";
import { assertNever, readTokenChannel } from "./token_channel.ts";

/** What a platform does with a turn's events. */
export interface TurnSink {
  /** A piece of the reply's text. */
  text(delta: string): void;
  /** The text segment ended at a tool boundary. */
  segmentBreak(): Promise<void>;
  /** A server tool started (for tool progress messages); what follows waits for it. */
  toolStarted?(name: string): void | Promise<void>;
  /** A call waits for a person's answer, or got one (approval buttons, where the platform has them). */
  approval?(
    event: Extract<AgentEvent, { type: "approval_requested" | "approval_resolved" }>,
  ): Promise<void>;
  /** The turn ended; the last event. */
  final(result: TurnResult): Promise<void>;
}

/**
 * Renders the turn arriving on `port` into `sink` until its final event.
 *
 * @example
 * ```ts
 * await renderTurn(port, { text: (d) => editor.append(d), segmentBreak: () => editor.segmentBreak(),
 *   final: (r) => editor.finish(r.text) }, log);
 * ```
 */
export async function renderTurn(
  port: MessagePort,
  sink: TurnSink,
  log: (line: string) => void,
): Promise<void> {
  for await (const event of readTokenChannel(port, log)) {
    switch (event.type) {
      case "text_delta":
        sink.text(event.delta);
        break;
      case "segment_break":
        await sink.segmentBreak();
        break;
      case "tool_started":
        await sink.toolStarted?.(event.call.function.name);
        break;
      case "final":
        await sink.final(event.result);
        break;
      case "approval_requested":
      case "approval_resolved":
        await sink.approval?.(event);
        break;
      // Chat platforms show the reply, not the model's reasoning or the tool-call plumbing.
      case "reasoning_delta":
      case "tool_call_started":
      case "tool_call_arguments_delta":
      case "tool_call_done":
      case "tool_completed":
      case "usage":
        break;
      default:
        assertNever(event, "agent event");
    }
  }
}
