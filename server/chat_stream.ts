/**
 * Renders AgentEvents as a Chat Completions SSE stream: role chunk first; constant id, created
 * and model; content deltas; client tool calls as proper tool_call deltas; exactly one chunk with
 * a finish_reason; a usage chunk with `choices: []` when asked; then `data: [DONE]`.
 * A failure after the stream began is sent as `data: {"error": {…}}` then `[DONE]`; so is a run
 * cut short by shutdown (code `shutting_down`).
 * @module
 */
import { type AgentEvent, driveTurn, type TurnResult } from "../agent/mod.ts";
import type { Usage } from "../agent/mod.ts";
import { errorBody, turnError } from "./error_envelope.ts";
import { shuttingDownError } from "./errors.ts";
import type { SseWriter } from "./sse.ts";

/** The OpenAI usage object for a turn's usage. */
export function usageObject(u: Usage) {
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.total_tokens,
    prompt_tokens_details: { cached_tokens: u.cached_tokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning_tokens ?? 0 },
  };
}

/** Identity fields every chunk repeats. */
export interface ChunkIdentity {
  id: string;
  created: number;
  model: string;
}

/** Options for {@link renderChatCompletionStream}. */
export interface ChatStreamOptions extends ChunkIdentity {
  includeUsage: boolean;
}

/**
 * Writes the events of one turn to `writer`. The caller passes the events, including the
 * first one it may already have pulled; returns the final result.
 */
export async function renderChatCompletionStream(
  events: AsyncGenerator<AgentEvent, TurnResult | void>,
  writer: SseWriter,
  options: ChatStreamOptions,
): Promise<TurnResult | undefined> {
  const usageTail = options.includeUsage ? ',"usage":null}' : "}";
  const head = `{"id":${
    JSON.stringify(options.id)
  },"object":"chat.completion.chunk","created":${options.created},"model":${
    JSON.stringify(options.model)
  },"choices":[{"index":0,"delta":`;
  // Built by hand on the hot path: one small string concatenation per token.
  const chunk = (delta: string, finish: string | null = null) =>
    `${head}${delta},"logprobs":null,"finish_reason":${
      finish ? `"${finish}"` : "null"
    }}]${usageTail}`;

  // A content or reasoning delta's frame is its constant head, the JSON string, its constant tail.
  const textHead = `data: ${head}{"content":`;
  const reasoningHead = `data: ${head}{"reasoning_content":`;
  const deltaTail = `},"logprobs":null,"finish_reason":null}]${usageTail}\n\n`;

  writer.sendRaw(chunk('{"role":"assistant","content":""}'));

  let needsSeparator = false;
  let wroteText = false;
  const clientIndex = new Map<string, number>();
  let final: TurnResult | undefined;

  // Pushed where the events can be (no promise per token), pulled otherwise.
  await driveTurn(events, (event) => {
    if (writer.closed && event.type !== "final") return;
    switch (event.type) {
      case "text_delta": {
        let text = event.delta;
        if (needsSeparator && wroteText) text = "\n\n" + text;
        needsSeparator = false;
        wroteText = true;
        writer.sendFrame(textHead + JSON.stringify(text) + deltaTail);
        break;
      }
      case "reasoning_delta":
        writer.sendFrame(reasoningHead + JSON.stringify(event.delta) + deltaTail);
        break;
      case "segment_break":
        needsSeparator = true;
        break;
      case "tool_call_started":
        if (event.kind === "client") {
          const index = clientIndex.size;
          clientIndex.set(event.callId, index);
          writer.sendRaw(chunk(JSON.stringify({
            tool_calls: [{
              index,
              id: event.callId,
              type: "function",
              function: { name: event.name, arguments: "" },
            }],
          })));
        }
        break;
      case "tool_call_arguments_delta": {
        const index = clientIndex.get(event.callId);
        if (index !== undefined) {
          writer.sendRaw(chunk(JSON.stringify({
            tool_calls: [{ index, function: { arguments: event.delta } }],
          })));
        }
        break;
      }
      case "tool_started":
        // Invisible to parsers; keeps proxies from timing out while a server tool runs.
        writer.comment(`running ${event.call.function.name}`);
        break;
      case "final":
        final = event.result;
        break;
    }
  });
  if (!final || writer.closed) return final;

  if (final.status === "failed") {
    endChatStreamWithError(turnError(final), writer);
    return final;
  }
  if (final.status === "interrupted") {
    // Only shutdown interrupts a run whose client is still reading (a client that left has
    // closed the writer). A finish_reason would pass the cut-off answer off as whole, and
    // "length" would suggest a token limit; an error tells SDKs to surface it and users to retry.
    endChatStreamWithError(shuttingDownError(), writer);
    return final;
  }
  writer.sendRaw(chunk("{}", finishReasonOf(final)));
  if (options.includeUsage) {
    writer.sendRaw(JSON.stringify({
      id: options.id,
      object: "chat.completion.chunk",
      created: options.created,
      model: options.model,
      choices: [],
      usage: usageObject(final.usage),
    }));
  }
  writer.sendRaw("[DONE]");
  return final;
}

/** The Chat Completions finish_reason for a turn result. */
export function finishReasonOf(result: TurnResult): string {
  if (result.clientToolCalls.length > 0) return "tool_calls";
  if (result.status === "incomplete") return "length";
  return result.finishReason === "tool_calls" ? "stop" : result.finishReason;
}

/**
 * Ends a Chat Completions stream after a failure: the error envelope as a data frame (what
 * openai-node and the AI SDK surface as a stream error), then `[DONE]`.
 */
export function endChatStreamWithError(error: unknown, writer: SseWriter): void {
  writer.send({ error: errorBody(error) });
  writer.sendRaw("[DONE]");
}
