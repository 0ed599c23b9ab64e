/**
 * The upstream's streamed Chat Completions chunks, folded into what they say: the text, the
 * reasoning, the tool calls (assembled from their pieces by index), the finish reason and the
 * usage. One unit, used by the agent loop and by compaction, so the wire format is read once.
 * @module
 */
import type { LlmChunk } from "./llm_client.ts";
import { addUsage, emptyUsage, type ToolCall, type Usage } from "./messages.ts";

/** What one chunk added, in the order it said it. */
export type ChunkPart =
  | { type: "reasoning_delta"; delta: string }
  | { type: "text_delta"; delta: string }
  /** The first piece of a tool call: its id (the upstream's, or a generated one) and name. */
  | { type: "tool_call_started"; callId: string; name: string }
  | { type: "tool_call_arguments_delta"; callId: string; delta: string };

/** One piece of a streamed tool call, as a chunk's delta carries it. */
type ToolCallPiece = NonNullable<LlmChunk["choices"][number]["delta"]["tool_calls"]>[number];

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Folds a stream of chunks.
 *
 * @example
 * ```ts
 * const acc = new ChunkAccumulator();
 * for await (const chunk of llm.stream(request, signal)) {
 *   for (const part of acc.add(chunk)) if (part.type === "text_delta") write(part.delta);
 * }
 * acc.text; acc.toolCalls(); acc.usage;
 * ```
 */
export class ChunkAccumulator {
  /** The answer's pieces: joined when asked for, not grown by a string node per token. */
  #text: string[] = [];
  /** The reasoning text so far (`reasoning_content`, or `reasoning` as some upstreams name it). */
  reasoning = "";
  /** The upstream's finish reason, once it gave one. */
  finishReason: string | null = null;
  /** Usage summed over the chunks that carried it. */
  readonly usage: Usage = emptyUsage();
  /** Whether any chunk carried usage. */
  sawUsage = false;
  readonly #calls = new Map<number, PendingCall>();

  /** Folds one chunk in; returns what it added. */
  add(chunk: LlmChunk): ChunkPart[] {
    const parts: ChunkPart[] = [];
    this.addEach(chunk, (part) => parts.push(part));
    return parts;
  }

  /**
   * Folds one chunk in and hands each part it added to `each`, in order: what {@link add} does,
   * without an array per chunk (the agent loop calls this once per streamed token).
   */
  addEach(chunk: LlmChunk, each: (part: ChunkPart) => void): void {
    if (chunk.usage) {
      this.sawUsage = true;
      addUsage(this.usage, {
        prompt_tokens: chunk.usage.prompt_tokens,
        completion_tokens: chunk.usage.completion_tokens,
        total_tokens: chunk.usage.total_tokens,
        cached_tokens: chunk.usage.prompt_tokens_details?.cached_tokens,
        reasoning_tokens: chunk.usage.completion_tokens_details?.reasoning_tokens,
      });
    }
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const delta = choice.delta as
      | typeof choice.delta & { reasoning_content?: string; reasoning?: string }
      | undefined;
    if (delta) {
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (reasoning) {
        this.reasoning += reasoning;
        each({ type: "reasoning_delta", delta: reasoning });
      }
      if (delta.content) {
        this.#text.push(delta.content);
        each({ type: "text_delta", delta: delta.content });
      }
      const toolCalls = delta.tool_calls;
      if (toolCalls) { for (const tc of toolCalls) this.#addToolCallPiece(tc, each); }
    }
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
  }

  #addToolCallPiece(tc: ToolCallPiece, each: (part: ChunkPart) => void): void {
    let call = this.#calls.get(tc.index);
    if (!call) {
      call = {
        id: tc.id || `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`,
        name: tc.function?.name ?? "",
        arguments: "",
      };
      this.#calls.set(tc.index, call);
      each({ type: "tool_call_started", callId: call.id, name: call.name });
    } else if (tc.function?.name && !call.name) {
      call.name = tc.function.name;
    }
    const piece = tc.function?.arguments;
    if (piece) {
      call.arguments += piece;
      each({ type: "tool_call_arguments_delta", callId: call.id, delta: piece });
    }
  }

  /** The answer text so far. */
  get text(): string {
    if (this.#text.length > 1) this.#text = [this.#text.join("")];
    return this.#text[0] ?? "";
  }

  /** Whether any tool call has begun. */
  get hasToolCalls(): boolean {
    return this.#calls.size > 0;
  }

  /** The tool calls, complete as far as the stream went, in the upstream's index order. */
  toolCalls(): ToolCall[] {
    return [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, c]) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: c.arguments },
      }));
  }
}
