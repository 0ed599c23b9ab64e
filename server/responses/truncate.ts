/**
 * `truncation: "auto"`: drop the oldest history turns until the context fits a token budget.
 * Tokens are estimated (characters / 4), which is close enough for English text and JSON, and
 * needs no tokenizer for whatever model the upstream runs.
 * @module
 */
import type { ChatMessage } from "../../agent/mod.ts";

/** The default context budget, in estimated tokens. */
export const DEFAULT_CONTEXT_TOKENS = 100_000;

/** Estimated tokens of one message: its text, tool calls and images, at 4 characters a token. */
export function estimateTokens(message: ChatMessage): number {
  let chars = 16; // role and framing
  const content = message.content;
  if (typeof content === "string") chars += content.length;
  else if (Array.isArray(content)) {
    for (const part of content) {
      // An image costs the upstream far more than its URL; count a flat ~1k tokens.
      chars += part.type === "text" ? part.text.length : 4_000;
    }
  }
  if (message.role === "assistant") {
    for (const call of message.tool_calls ?? []) {
      chars += call.function.name.length + call.function.arguments.length + 32;
    }
  }
  return Math.ceil(chars / 4);
}

/** Options for {@link truncateHistory}. */
export interface TruncateOptions {
  /** The budget for history plus the new input, in estimated tokens. */
  budget: number;
  /** Estimated tokens already spent elsewhere (the instructions). */
  reserved?: number;
}

/**
 * Drops the oldest turns of `history` until `history + input` fits the budget. A turn starts at
 * a user message and runs up to the next one, so a tool call always goes with its result.
 * System and developer messages of dropped turns are kept, and the new input is never cut —
 * when it alone is over the budget, all history goes and the input is sent as it is.
 *
 * @example
 * ```ts
 * const kept = truncateHistory(history, input, { budget: 100_000 });
 * ```
 */
export function truncateHistory(
  history: ChatMessage[],
  input: ChatMessage[],
  options: TruncateOptions,
): ChatMessage[] {
  const sum = (messages: ChatMessage[]) => messages.reduce((n, m) => n + estimateTokens(m), 0);
  let available = options.budget - (options.reserved ?? 0) - sum(input);
  const turns = splitTurns(history);
  const kept: ChatMessage[][] = [];
  // An input that opens with tool results answers calls in the last turn: that turn stays.
  const mustKeep = input[0]?.role === "tool" ? turns.length - 1 : turns.length;
  // Newest turns first, until one does not fit; everything older goes too.
  for (let i = turns.length - 1; i >= 0; i--) {
    const cost = sum(turns[i]);
    if (cost > available && i < mustKeep) {
      kept.unshift(...turns.slice(0, i + 1).map(systemOnly));
      break;
    }
    available -= cost;
    kept.unshift(turns[i]);
  }
  return [...kept.flat(), ...input];
}

/** Splits history into turns, each starting at a user message (leading messages form one). */
function splitTurns(history: ChatMessage[]): ChatMessage[][] {
  const turns: ChatMessage[][] = [];
  for (const message of history) {
    if (message.role === "user" || turns.length === 0) turns.push([message]);
    else turns[turns.length - 1].push(message);
  }
  return turns;
}

function systemOnly(turn: ChatMessage[]): ChatMessage[] {
  return turn.filter((m) => m.role === "system" || m.role === "developer");
}
