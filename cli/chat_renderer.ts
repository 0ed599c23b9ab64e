/**
 * Draws an agent turn in the terminal: the answer as it streams, a dim line per tool as it runs,
 * and how the turn ended when it did not simply complete.
 * @module
 */
import { type AgentEvent, BUILTIN_TOOL_INFO, type TurnResult } from "../agent/mod.ts";
import type { ToolCall } from "../agent/mod.ts";
import { styler, type TextWriter } from "./io.ts";
import { MarkdownStream } from "./terminal_markdown.ts";

/** How {@link renderChatStream} writes. */
export interface ChatRenderOptions {
  /** Where tool progress and notices go; default the same writer as the answer. */
  progress?: TextWriter;
  /** ANSI dim/red styling. Default false. */
  color?: boolean;
  /** Show streamed reasoning (dim). Default false. */
  showReasoning?: boolean;
  /** Style the answer's Markdown for a terminal (needs colour). Default false. */
  markdown?: boolean;
  /** The terminal width, for Markdown redraws. Default 80. */
  columns?: () => number;
}

// The arguments worth showing for each built-in tool, from the tools' own definitions.
const SUMMARY_FIELDS = new Map(BUILTIN_TOOL_INFO.map((tool) => [tool.name, tool.summaryArgs]));
const SUMMARY_LENGTH = 80;
// Tools that took at least this long get a line saying they finished, with the time.
const SLOW_TOOL_MS = 2_000;

/**
 * Writes a turn's events as they arrive and returns the turn's result (undefined when the stream
 * ends without a `final` event).
 *
 * @example
 * ```ts
 * const result = await renderChatStream(agent.run(turn, { signal }), { write: (t) => out.push(t) });
 * ```
 */
export async function renderChatStream(
  events: AsyncIterable<AgentEvent>,
  writer: TextWriter,
  options: ChatRenderOptions = {},
): Promise<TurnResult | undefined> {
  const progress = options.progress ?? writer;
  const style = styler(options.color ?? false);
  // Whether the answer writer is mid-line, so progress lines start on a fresh line.
  let midLine = false;
  let wroteText = false;
  let inReasoning = false;
  const markdown = options.markdown && options.color
    ? new MarkdownStream((text) => writer.write(text), options.columns ?? (() => 80))
    : undefined;
  const endLine = () => {
    markdown?.flush();
    if (midLine) writer.write("\n");
    midLine = false;
  };
  for await (const event of events) {
    switch (event.type) {
      case "text_delta":
        if (inReasoning) {
          endLine();
          inReasoning = false;
        }
        if (event.delta === "") break;
        if (markdown) markdown.push(event.delta);
        else writer.write(event.delta);
        midLine = !event.delta.endsWith("\n");
        wroteText = true;
        break;
      case "reasoning_delta":
        if (!options.showReasoning || event.delta === "") break;
        writer.write(style.dim(event.delta));
        midLine = !event.delta.endsWith("\n");
        inReasoning = true;
        break;
      case "segment_break":
        endLine();
        break;
      case "approval_requested":
        // The question comes next, on a line of its own.
        endLine();
        break;
      case "approval_resolved":
        progress.write(
          (event.decision.approved
            ? style.green(`✓ approved${event.decision.always ? " (always, this chat)" : ""}`)
            : style.red(`✗ denied${event.decision.reason ? `: ${event.decision.reason}` : ""}`)) +
            "\n",
        );
        break;
      case "tool_started":
        if (progress === writer) endLine();
        progress.write(style.dim(`⚙ ${describeToolCall(event.call)}`) + "\n");
        break;
      case "tool_completed":
        if (event.isError) {
          if (progress === writer) endLine();
          const firstLine = event.output.split("\n").find((line) => line.trim() !== "") ?? "";
          progress.write(style.red(`✗ ${event.call.function.name}: ${truncate(firstLine)}`) + "\n");
        } else if (event.durationMs >= SLOW_TOOL_MS) {
          if (progress === writer) endLine();
          progress.write(
            style.dim(`✓ ${event.call.function.name} ${seconds(event.durationMs)}`) + "\n",
          );
        }
        break;
      case "final": {
        endLine();
        const notice = describeEnding(event.result, wroteText);
        if (notice) {
          const text = event.result.status === "failed" ? style.red(notice) : style.dim(notice);
          progress.write(text + "\n");
        }
        return event.result;
      }
      default:
        break;
    }
  }
  endLine();
  return undefined;
}

/**
 * A one-line description of a tool call: its name and its most telling argument, e.g.
 * `terminal: ls -la`.
 */
export function describeToolCall(call: ToolCall): string {
  const name = call.function.name;
  let args: unknown;
  try {
    args = JSON.parse(call.function.arguments || "{}");
  } catch {
    return name;
  }
  if (typeof args !== "object" || args === null) return name;
  const record = args as Record<string, unknown>;
  const field = (SUMMARY_FIELDS.get(name) ?? []).find((key) => typeof record[key] === "string") ??
    Object.keys(record).find((key) => typeof record[key] === "string");
  return field ? `${name}: ${truncate(String(record[field]))}` : name;
}

function describeEnding(result: TurnResult, wroteText: boolean): string | undefined {
  switch (result.status) {
    case "failed":
      return `✗ ${result.error?.message ?? "The turn failed."}`;
    case "interrupted":
      return "(interrupted)";
    case "incomplete":
      if (result.incompleteReason === "max_iterations") {
        return "(stopped: the turn reached agent.max_iterations)";
      }
      if (result.incompleteReason === "max_output_tokens") {
        return "(stopped: the output token limit)";
      }
      return result.incompleteReason === "interrupted" ? "(interrupted)" : "(incomplete)";
    default:
      return wroteText ? undefined : "(no answer)";
  }
}

function seconds(ms: number): string {
  return `(${(ms / 1000).toFixed(1)} s)`;
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > SUMMARY_LENGTH ? `${oneLine.slice(0, SUMMARY_LENGTH - 1)}…` : oneLine;
}
